// POST | PATCH | GET | DELETE /api/v1/auth/oidc-auth/identities/:identityId: Infisical's fields and
// defaults, validation through the API, and changes that take effect on the very next login.
// (ALLOW_INSECURE_ISSUERS is "true" in tests; the strict URL policy is covered in test/unit/config-schema.test.ts.)
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, login, ok } from "../support/api";
import { createIdp, gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { AUDIENCE, expectIssued, GITLAB_SUBJECT } from "../support/scenario";

const path = (identityId: string) => `/api/v1/auth/oidc-auth/identities/${identityId}`;
const ISSUER = "https://gitlab.example.com";
/** The smallest acceptable configuration: where the keys are, whose tokens, and one binding. */
const MINIMAL = { oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, boundSubject: GITLAB_SUBJECT };

async function newIdentity() {
  const org = await createOrg();
  return createIdentity(org.id);
}

/** POSTs a configuration that must be refused with 422 invalid_oidc_config, naming `field`. */
async function expectInvalid(config: Record<string, unknown>, field: string, method: "POST" | "PATCH" = "POST", identityId?: string) {
  const id = identityId ?? (await newIdentity()).id;
  const res = await call(method, path(id), { body: config });
  expectRefusal(res, 422, "invalid_oidc_config");
  expect(res.body.details, JSON.stringify(res.body)).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  return res;
}

describe("attaching OIDC Auth (POST)", () => {
  it("fills Infisical's defaults", async () => {
    const identity = await newIdentity();
    const { identityOidcAuth } = await ok("POST", path(identity.id), { body: MINIMAL });
    expect(identityOidcAuth).toMatchObject({
      id: expect.any(String),
      identityId: identity.id,
      oidcDiscoveryUrl: ISSUER,
      boundIssuer: ISSUER,
      caCert: "",
      boundSubject: GITLAB_SUBJECT,
      boundAudiences: "",
      boundClaims: {},
      claimMetadataMapping: null,
      accessTokenTTL: 2592000,
      accessTokenMaxTTL: 2592000,
      accessTokenNumUsesLimit: 0,
      accessTokenTrustedIps: [{ ipAddress: "0.0.0.0/0" }, { ipAddress: "::/0" }],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it("stores every field as sent, and GET returns it", async () => {
    const identity = await newIdentity();
    const config = {
      oidcDiscoveryUrl: ISSUER,
      boundIssuer: ISSUER,
      boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main",
      boundAudiences: `${AUDIENCE}, https://other.example`,
      boundClaims: { project_id: "20", ref_protected: "true" },
      claimMetadataMapping: { project: "project_path" },
      accessTokenTTL: 600,
      accessTokenMaxTTL: 3600,
      accessTokenNumUsesLimit: 10,
      accessTokenTrustedIps: [{ ipAddress: "203.0.113.0/24" }, { ipAddress: "2001:db8::/32" }],
    };
    const created = (await ok("POST", path(identity.id), { body: config })).identityOidcAuth;
    expect(created).toMatchObject(config);
    expect((await ok("GET", path(identity.id))).identityOidcAuth).toEqual(created);
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity.authMethods).toEqual(["oidc-auth"]);
  });

  it("normalises a single trusted address to a CIDR", async () => {
    const identity = await newIdentity();
    const body = { ...MINIMAL, accessTokenTrustedIps: [{ ipAddress: "203.0.113.7" }, { ipAddress: "2001:DB8:0:0::1" }] };
    const { identityOidcAuth } = await ok("POST", path(identity.id), { body });
    expect(identityOidcAuth.accessTokenTrustedIps).toEqual([{ ipAddress: "203.0.113.7/32" }, { ipAddress: "2001:db8::1/128" }]);
  });

  it("refuses a second configuration for the same identity (400 auth_method_exists)", async () => {
    const identity = await newIdentity();
    await ok("POST", path(identity.id), { body: MINIMAL });
    const res = await call("POST", path(identity.id), { body: { ...MINIMAL, boundSubject: "something-else" } });
    expectRefusal(res, 400, "auth_method_exists");
    expect((await ok("GET", path(identity.id))).identityOidcAuth.boundSubject).toBe(GITLAB_SUBJECT);
  });

  it("answers 404 identity_not_found for an unknown identity", async () => {
    expectRefusal(await call("POST", path(crypto.randomUUID()), { body: MINIMAL }), 404, "identity_not_found");
  });

  it("refuses a body that is not JSON (422 invalid_request)", async () => {
    const identity = await newIdentity();
    expectRefusal(await call("POST", path(identity.id), { body: "{oidcDiscoveryUrl:" }), 422, "invalid_request");
  });
});

describe("validation", () => {
  describe("URLs", () => {
    it.each([
      ["not a URL", "gitlab.com"],
      ["a non-http scheme", "ftp://gitlab.example.com"],
      ["credentials in the URL", "https://user:pass@gitlab.example.com"],
      ["a fragment", "https://gitlab.example.com/#x"],
    ])("refuses an oidcDiscoveryUrl with %s", async (_name, url) => {
      await expectInvalid({ ...MINIMAL, oidcDiscoveryUrl: url }, "oidcDiscoveryUrl");
    });

    it("refuses a jwksUrl that is not a URL", async () => {
      await expectInvalid({ ...MINIMAL, jwksUrl: "keys.json" }, "jwksUrl");
    });

    it.each(["oidcDiscoveryUrl", "boundIssuer"])("requires %s", async (field) => {
      const { [field]: _omitted, ...rest } = MINIMAL as Record<string, string>;
      await expectInvalid(rest, field);
    });
  });

  describe("trusted IPs", () => {
    it.each(["10.0.0.0/33", "300.1.2.3", "not-an-ip", "", "2001:db8::/129", "10.0.0.0/8/8"])("refuses %j", async (ipAddress) => {
      await expectInvalid(
        { ...MINIMAL, accessTokenTrustedIps: [{ ipAddress: "192.0.2.0/24" }, { ipAddress }] },
        "accessTokenTrustedIps.1.ipAddress",
      );
    });

    it("refuses an empty list (it would admit nothing; 0.0.0.0/0 and ::/0 admit everything)", async () => {
      await expectInvalid({ ...MINIMAL, accessTokenTrustedIps: [] }, "accessTokenTrustedIps");
    });
  });

  describe("TTLs and limits", () => {
    it("refuses an accessTokenTTL greater than accessTokenMaxTTL", async () => {
      await expectInvalid({ ...MINIMAL, accessTokenTTL: 7200, accessTokenMaxTTL: 3600 }, "accessTokenTTL");
    });

    it("refuses a TTL greater than the default max TTL when no max is sent", async () => {
      await expectInvalid({ ...MINIMAL, accessTokenTTL: 2592001 }, "accessTokenTTL");
    });

    it.each([
      ["accessTokenTTL", -1],
      ["accessTokenTTL", 1.5],
      ["accessTokenTTL", "ten"],
      ["accessTokenMaxTTL", 315360001],
      ["accessTokenNumUsesLimit", -1],
    ])("refuses %s = %j", async (field, value) => {
      await expectInvalid({ ...MINIMAL, [field]: value }, field);
    });

    it("accepts a TTL equal to the max TTL, and the 10-year bound", async () => {
      const identity = await newIdentity();
      const body = { ...MINIMAL, accessTokenTTL: 315360000, accessTokenMaxTTL: 315360000 };
      expect((await ok("POST", path(identity.id), { body })).identityOidcAuth).toMatchObject(body);
    });
  });

  describe("bindings (a shared issuer must not admit all its users)", () => {
    it("refuses a configuration that binds neither subject nor claim", async () => {
      await expectInvalid({ oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER }, "boundSubject");
    });

    it("refuses one that binds only the audience", async () => {
      await expectInvalid({ oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, boundAudiences: AUDIENCE }, "boundSubject");
    });

    it.each(["*", "**", "?", "*?*", "***"])("refuses the pure-wildcard subject %j", async (boundSubject) => {
      await expectInvalid({ ...MINIMAL, boundSubject }, "boundSubject");
    });

    it.each([{ project_id: "*" }, { project_id: "**", ref: "?*" }, { project_id: "20, *" }, { project_id: "**,20" }])(
      "refuses claims that match anything: %j",
      async (boundClaims) => {
        await expectInvalid({ oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, boundClaims }, "boundSubject");
      },
    );

    it.each([{ iss: ISSUER }, { aud: AUDIENCE }, { exp: "1*" }])(
      "does not count a claim that identifies no one: %j",
      async (boundClaims) => {
        await expectInvalid({ oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, boundClaims }, "boundSubject");
      },
    );

    it("accepts a configuration that binds one identifying claim and no subject", async () => {
      const identity = await newIdentity();
      const body = { oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, boundClaims: { project_id: "20" } };
      expect((await ok("POST", path(identity.id), { body })).identityOidcAuth.boundSubject).toBe("");
    });

    it("accepts a wildcard claim next to an identifying one", async () => {
      const identity = await newIdentity();
      const body = { oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, boundClaims: { project_id: "20", environment: "*" } };
      expect((await ok("POST", path(identity.id), { body })).identityOidcAuth.boundClaims).toEqual(body.boundClaims);
    });

    it("refuses a bound claim whose value is not a string", async () => {
      await expectInvalid({ ...MINIMAL, boundClaims: { runner_id: 1 } }, "boundClaims.runner_id");
    });
  });

  describe("other fields", () => {
    it("refuses an unknown field rather than ignoring it", async () => {
      await expectInvalid({ ...MINIMAL, boundSubjects: "typo" }, "boundSubjects");
    });

    it("refuses a caCert that is not a PEM certificate", async () => {
      await expectInvalid({ ...MINIMAL, caCert: "hello" }, "caCert");
    });

    it("refuses a claimMetadataMapping key with odd characters", async () => {
      await expectInvalid({ ...MINIMAL, claimMetadataMapping: { "bad key": "sub" } }, "claimMetadataMapping.bad key");
    });

    it("refuses a body that is an array", async () => {
      const identity = await newIdentity();
      expectRefusal(await call("POST", path(identity.id), { body: [MINIMAL] }), 422, "invalid_oidc_config");
    });
  });
});

describe("changing OIDC Auth (PATCH)", () => {
  async function attached(extra: Record<string, unknown> = {}) {
    const identity = await newIdentity();
    const config = (await ok("POST", path(identity.id), { body: { ...MINIMAL, ...extra } })).identityOidcAuth;
    return { identity, config };
  }

  it("changes only the fields sent", async () => {
    const { identity, config } = await attached({ boundAudiences: AUDIENCE, accessTokenTTL: 600, boundClaims: { project_id: "20" } });
    const { identityOidcAuth } = await ok("PATCH", path(identity.id), { body: { boundAudiences: "https://new.example" } });
    expect(identityOidcAuth).toEqual({ ...config, boundAudiences: "https://new.example", updatedAt: expect.any(String) });
    expect(identityOidcAuth.updatedAt >= config.updatedAt).toBe(true);
    expect((await ok("GET", path(identity.id))).identityOidcAuth).toEqual(identityOidcAuth);
  });

  it("refuses a TTL above the stored max TTL, and leaves the configuration as it was", async () => {
    const { identity, config } = await attached({ accessTokenTTL: 600, accessTokenMaxTTL: 3600 });
    await expectInvalid({ accessTokenTTL: 7200 }, "accessTokenTTL", "PATCH", identity.id);
    expect((await ok("GET", path(identity.id))).identityOidcAuth).toEqual(config);
  });

  it("refuses removing the only binding", async () => {
    const { identity } = await attached();
    await expectInvalid({ boundSubject: "" }, "boundSubject", "PATCH", identity.id);
  });

  it("accepts moving the binding from subject to a claim in one PATCH", async () => {
    const { identity } = await attached();
    const { identityOidcAuth } = await ok("PATCH", path(identity.id), {
      body: { boundSubject: "", boundClaims: { project_id: "20" } },
    });
    expect(identityOidcAuth).toMatchObject({ boundSubject: "", boundClaims: { project_id: "20" } });
  });

  it("clears claimMetadataMapping with null", async () => {
    const { identity } = await attached({ claimMetadataMapping: { project: "project_path" } });
    const { identityOidcAuth } = await ok("PATCH", path(identity.id), { body: { claimMetadataMapping: null } });
    expect(identityOidcAuth.claimMetadataMapping).toBeNull();
  });

  it("answers 404 oidc_auth_not_configured for an identity without OIDC Auth", async () => {
    const identity = await newIdentity();
    expectRefusal(await call("PATCH", path(identity.id), { body: { boundAudiences: AUDIENCE } }), 404, "oidc_auth_not_configured");
  });

  it("takes effect on the next login", async () => {
    const idp = createIdp();
    const identity = await newIdentity();
    await ok("POST", path(identity.id), {
      body: { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundSubject: GITLAB_SUBJECT },
    });
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));

    await ok("PATCH", path(identity.id), { body: { boundClaims: { ref_protected: "false" } } });
    const jwt = await idp.mint(gitlabClaims());
    expectRefusal(await login(identity.id, jwt), 401, "claim_not_allowed: ref_protected", { secrets: [jwt] });

    await ok("PATCH", path(identity.id), { body: { accessTokenTTL: 120, boundClaims: {} } });
    const res = await login(identity.id, await idp.mint(gitlabClaims()));
    expectIssued(res);
    expect(res.body.expiresIn).toBe(120);
  });
});

describe("reading and removing OIDC Auth (GET, DELETE)", () => {
  it("GET answers 404 oidc_auth_not_configured before it is attached", async () => {
    const identity = await newIdentity();
    expectRefusal(await call("GET", path(identity.id)), 404, "oidc_auth_not_configured");
  });

  it("DELETE returns the removed configuration; afterwards the identity cannot log in and may attach again", async () => {
    const idp = createIdp();
    const identity = await newIdentity();
    const config = { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundSubject: GITLAB_SUBJECT };
    const created = (await ok("POST", path(identity.id), { body: config })).identityOidcAuth;
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));

    expect((await ok("DELETE", path(identity.id))).identityOidcAuth).toEqual(created);
    expectRefusal(await call("GET", path(identity.id)), 404, "oidc_auth_not_configured");
    expectRefusal(await call("DELETE", path(identity.id)), 404, "oidc_auth_not_configured");
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity.authMethods).toEqual([]);
    const jwt = await idp.mint(gitlabClaims());
    expectRefusal(await login(identity.id, jwt), 404, "oidc_auth_not_configured", { secrets: [jwt] });

    await ok("POST", path(identity.id), { body: config });
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));
  });

  it.each(["GET", "PATCH", "DELETE"])("%s of an unknown identity is 404 identity_not_found", async (method) => {
    const res = await call(method, path(crypto.randomUUID()), { body: method === "PATCH" ? { boundAudiences: AUDIENCE } : undefined });
    expectRefusal(res, 404, "identity_not_found");
  });
});

describe("the discovery URL (mind a trailing /)", () => {
  it.each([
    ["the issuer", (issuer: string) => issuer],
    ["the issuer with a trailing /", (issuer: string) => `${issuer}/`],
    ["the full .well-known URL", (issuer: string) => `${issuer}/.well-known/openid-configuration`],
  ])("logs in when oidcDiscoveryUrl is %s", async (_name, discoveryUrl) => {
    const idp = createIdp();
    const identity = await newIdentity();
    await ok("POST", path(identity.id), {
      body: { oidcDiscoveryUrl: discoveryUrl(idp.issuer), boundIssuer: idp.issuer, boundSubject: GITLAB_SUBJECT },
    });
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));
    expect(await idp.stats()).toEqual({ discovery: 1, jwks: 1 });
  });
});
