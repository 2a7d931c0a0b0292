// POST | PATCH | GET | DELETE /api/v1/auth/oidc-auth/identities/:identityId: Infisical's fields and
// defaults, validation through the API, and changes that take effect on the very next login.
// (ALLOW_INSECURE_ISSUERS is "true" in tests; the strict URL policy is covered in test/unit/config-schema.test.ts.)
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, login, ok } from "../support/api";
import { TEST_CA_CERT } from "../support/certificates";
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

/** POSTs (or PATCHes) a configuration that must be refused with 422 binding_too_broad, naming `field`. */
async function expectTooBroad(config: Record<string, unknown>, field: string, method: "POST" | "PATCH" = "POST", identityId?: string) {
  const id = identityId ?? (await newIdentity()).id;
  const res = await call(method, path(id), { body: config });
  expectRefusal(res, 422, "binding_too_broad");
  expect(res.body.details, JSON.stringify(res.body)).toEqual([{ field, message: expect.any(String) }]);
  expect(res.body.details[0].message).toContain(field === "condition" ? "condition" : field);
  expect(res.body.message).toContain(field === "condition" ? "condition" : field);
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
      condition: "",
      claimMetadataMapping: null,
      accessTokenTTL: 2592000,
      accessTokenMaxTTL: 2592000,
      accessTokenNumUsesLimit: 0,
      accessTokenTrustedIps: [
        { ipAddress: "0.0.0.0", type: "ipv4", prefix: 0 },
        { ipAddress: "::", type: "ipv6", prefix: 0 },
      ],
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
    expect(created).toMatchObject({
      ...config,
      accessTokenTrustedIps: [
        { ipAddress: "203.0.113.0", type: "ipv4", prefix: 24 },
        { ipAddress: "2001:db8::", type: "ipv6", prefix: 32 },
      ],
    });
    expect((await ok("GET", path(identity.id))).identityOidcAuth).toEqual(created);
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity.authMethods).toEqual(["oidc-auth"]);
  });

  it("keeps a single trusted address one (no prefix), and the spelling sent, as Infisical does", async () => {
    const identity = await newIdentity();
    const body = {
      ...MINIMAL,
      accessTokenTrustedIps: [{ ipAddress: "203.0.113.7" }, { ipAddress: "2001:DB8:0:0::1" }, { ipAddress: "198.51.100.7/32" }],
    };
    const { identityOidcAuth } = await ok("POST", path(identity.id), { body });
    expect(identityOidcAuth.accessTokenTrustedIps).toEqual([
      { ipAddress: "203.0.113.7", type: "ipv4" },
      { ipAddress: "2001:DB8:0:0::1", type: "ipv6" },
      { ipAddress: "198.51.100.7", type: "ipv4", prefix: 32 },
    ]);
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
      // the discovery path is appended to it: after a query it would land in the query
      ["a query", "https://gitlab.example.com/t?x=1"],
      // the URL parser drops these silently: what was checked would not be what is stored and fetched
      ["a line break", "https://gitlab.example.com/t\r\nX-Injected: 1"],
      ["a tab", "https://gitlab.example.com/t\tx"],
      ["a space", "https://gitlab.example.com/a b"],
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

  describe("owner pinning (a shared issuer must not admit all its users): 422 binding_too_broad, naming the field", () => {
    const NO_BINDING = { oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER };

    it.each([
      ["project_path:**"],
      ["project_path:*/*:ref_type:branch:ref:main"],
      ["repo:*/*:ref:refs/heads/main"],
      ["repo**"],
      ["*"],
      ["**"],
      ["?"],
      ["*?*"],
    ])("refuses the subject %j", async (boundSubject) => {
      await expectTooBroad({ ...NO_BINDING, boundSubject }, "boundSubject");
    });

    it.each<Record<string, string>>([
      { ref_protected: "true" },
      { ref_type: "branch", ref: "main" },
      { environment: "production", user_login: "alice" },
      { project_id: "*" },
      { project_id: "**", ref: "?*" },
      { project_id: "20, *" },
      { namespace_path: "*/platform" },
      { iss: ISSUER },
      { aud: AUDIENCE },
      { exp: "1*" },
      // the subject under another name, and claims any user sets for a project of their own
      { sub: "project_path:**" },
      { sub: "repo:*/*:ref:refs/heads/main" },
      { actor_id: "12345" },
      { deployment_tier: "production" },
      { job_workflow_ref: "*/*/.github/workflows/deploy.yml@refs/heads/main" },
    ])("refuses the claims %j without a subject", async (boundClaims) => {
      await expectTooBroad({ ...NO_BINDING, boundClaims }, "boundClaims");
    });

    it("refuses a configuration that binds nothing, or only the audience", async () => {
      await expectTooBroad(NO_BINDING, "boundSubject");
      await expectTooBroad({ ...NO_BINDING, boundAudiences: AUDIENCE }, "boundSubject");
    });

    it("refuses a condition that fixes only what any user controls", async () => {
      await expectTooBroad({ ...NO_BINDING, condition: 'claims.ref_protected == "true"' }, "condition");
      await expectTooBroad({ ...NO_BINDING, condition: 'claims.actor_id == "1234"' }, "condition");
    });

    it.each<[string, Record<string, unknown>]>([
      ["a GitLab subject with a literal top-level group", { boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main" }],
      ["a GitHub subject with a literal owner", { boundSubject: "repo:octo-org/*" }],
      ["a namespace_id claim", { boundClaims: { namespace_id: "72", ref_protected: "true" } }],
      ["a project_id claim", { boundClaims: { project_id: "20" } }],
      ["a condition conjunct on an owner claim", { boundSubject: "project_path:**", condition: 'claims.namespace_id == "72"' }],
      ["an identifying claim of another issuer", { boundClaims: { workload: "billing-*" } }],
      ["a GitLab subject bound as the sub claim", { boundClaims: { sub: "project_path:mygroup/*:ref_type:branch:ref:main" } }],
      ["a literal sub in a condition", { condition: 'claims.sub == "repo:octo-org/app:ref:refs/heads/main"' }],
    ])("accepts %s", async (_name, binding) => {
      const identity = await newIdentity();
      expect((await ok("POST", path(identity.id), { body: { ...NO_BINDING, ...binding } })).identityOidcAuth).toMatchObject(binding);
    });

    it("judges the merged configuration on PATCH", async () => {
      const identity = await newIdentity();
      await ok("POST", path(identity.id), { body: MINIMAL });
      await expectTooBroad({ boundSubject: "project_path:*/*:ref_type:branch:ref:main" }, "boundSubject", "PATCH", identity.id);
      await expectTooBroad({ boundSubject: "", boundClaims: { ref_protected: "true" } }, "boundClaims", "PATCH", identity.id);
      expect((await ok("GET", path(identity.id))).identityOidcAuth.boundSubject).toBe(GITLAB_SUBJECT);
    });

    it("checks the fields first: a bad URL with nothing bound is invalid_oidc_config", async () => {
      await expectInvalid({ ...NO_BINDING, oidcDiscoveryUrl: "gitlab.com" }, "oidcDiscoveryUrl");
    });

    it("refuses a bound claim whose value is not a string", async () => {
      await expectInvalid({ ...MINIMAL, boundClaims: { runner_id: 1 } }, "boundClaims.runner_id");
    });

    it.each(["", " ", ",", " , "])("refuses a bound claim with no pattern in %j: it would refuse every token", async (list) => {
      await expectInvalid({ ...MINIMAL, boundClaims: { namespace_id: "72", ref: list } }, "boundClaims.ref");
    });

    it("refuses __proto__ as a bound claim or a metadata key, which an object cannot keep", async () => {
      // As raw JSON: a JavaScript object literal would not even send it.
      const identity = await newIdentity();
      for (const [field, member] of [
        ["boundClaims", '{"__proto__":"x","namespace_id":"72"}'],
        ["claimMetadataMapping", '{"__proto__":"sub"}'],
      ] as const) {
        const body = `{"oidcDiscoveryUrl":"${ISSUER}","boundIssuer":"${ISSUER}","boundSubject":"${GITLAB_SUBJECT}","${field}":${member}}`;
        const res = await call("POST", path(identity.id), { body });
        expectRefusal(res, 422, "invalid_oidc_config");
        expect(JSON.stringify(res.body.details)).toContain("__proto__");
      }
    });

    it("binds no audience for a list with no pattern in it, as for an empty one: stored as empty, and logins work", async () => {
      const idp = createIdp();
      for (const boundAudiences of [" ", ",", " , "]) {
        const identity = await newIdentity();
        const body = { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundSubject: GITLAB_SUBJECT, boundAudiences };
        const res = await ok("POST", path(identity.id), { body });
        expect(res.identityOidcAuth.boundAudiences).toBe("");
        expect(res.warnings).toContainEqual(expect.objectContaining({ code: "audience_unbound" }));
        expectIssued(await login(identity.id, await idp.mint({ ...gitlabClaims(), aud: "https://anything.example" })));
      }
    });
  });

  describe("other fields", () => {
    it("ignores an unknown field (as Infisical does) and names it in a warning, without its value", async () => {
      const identity = await newIdentity();
      const res = await ok("POST", path(identity.id), { body: { ...MINIMAL, boundSubjects: "typo-value" } });
      expect(res.warnings).toContainEqual({
        code: "unknown_keys_ignored",
        field: "boundSubjects",
        keys: ["boundSubjects"],
        message: expect.stringContaining("boundSubjects"),
      });
      expect(JSON.stringify(res)).not.toContain("typo-value");
      expect(res.identityOidcAuth).not.toHaveProperty("boundSubjects");
    });

    it("refuses a caCert that is not a PEM certificate, and stores a blank one as none", async () => {
      await expectInvalid({ ...MINIMAL, caCert: "hello" }, "caCert");
      const identity = await newIdentity();
      expect((await ok("POST", path(identity.id), { body: { ...MINIMAL, caCert: "  \n" } })).identityOidcAuth.caCert).toBe("");
    });

    it("keeps a CA certificate out of the audit trail: its SHA-256 fingerprint is recorded instead", async () => {
      const identity = await newIdentity();
      const saved = (await ok("POST", path(identity.id), { body: { ...MINIMAL, caCert: TEST_CA_CERT } })).identityOidcAuth;
      expect(saved.caCert).toBe(TEST_CA_CERT.trim());
      await ok("PATCH", path(identity.id), { body: { caCert: "" } });
      const { auditLogs } = await ok("GET", `/api/v1/audit-logs?identityId=${identity.id}`);
      const attach = auditLogs.find((e: { event: string }) => e.event === "oidc-auth.attach");
      const update = auditLogs.find((e: { event: string }) => e.event === "oidc-auth.update");
      expect(attach.details.after.caCert).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(update.details.before.caCert).toBe(attach.details.after.caCert);
      expect(update.details.after.caCert).toBe("");
      expect(JSON.stringify(auditLogs)).not.toContain("BEGIN CERTIFICATE");
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
    await expectTooBroad({ boundSubject: "" }, "boundSubject", "PATCH", identity.id);
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

describe("the condition (CEL) through the API", () => {
  const EXAMPLE = String.raw`claims.ref_type == "tag" && claims.ref.matches("^v[0-9]+\\.[0-9]+\\.[0-9]+$") && !(claims.user_login in ["dependabot[bot]"])`;

  /** POSTs a configuration that must be refused with 422 condition_invalid at this position. */
  async function expectConditionInvalid(condition: string, position: { offset: number; line: number; column: number }) {
    const identity = await newIdentity();
    const res = await call("POST", path(identity.id), { body: { ...MINIMAL, condition } });
    expectRefusal(res, 422, "condition_invalid");
    expect(res.body.details).toEqual([{ field: "condition", message: expect.stringMatching(/^line \d+, column \d+: /), position }]);
    expect(res.body.message).toContain(`line ${position.line}, column ${position.column}`);
    return res;
  }

  it("is stored as sent and returned by GET; absent on PATCH it stays, an empty one removes it", async () => {
    const identity = await newIdentity();
    const created = (await ok("POST", path(identity.id), { body: { ...MINIMAL, condition: EXAMPLE } })).identityOidcAuth;
    expect(created.condition).toBe(EXAMPLE);
    expect((await ok("GET", path(identity.id))).identityOidcAuth.condition).toBe(EXAMPLE);
    expect((await ok("PATCH", path(identity.id), { body: { accessTokenTTL: 600 } })).identityOidcAuth.condition).toBe(EXAMPLE);
    expect((await ok("PATCH", path(identity.id), { body: { condition: "" } })).identityOidcAuth.condition).toBe("");
  });

  it("refuses a syntax error with condition_invalid and its position", async () => {
    await expectConditionInvalid('claims.ref_type == "tag" &&\n  claims.ref ==== "v1"', { offset: 43, line: 2, column: 16 });
  });

  it("refuses a type error, an unknown variable and a function that is not allowed, each with its position", async () => {
    await expectConditionInvalid('claims.ref_type == "tag" && 1 + "a" == 2', { offset: 28, line: 1, column: 29 });
    await expectConditionInvalid('ref_type == "tag"', { offset: 0, line: 1, column: 1 });
    await expectConditionInvalid('claims.ref.matches("(?=v)v")', { offset: 19, line: 1, column: 20 });
  });

  it("compiles the condition before judging owner pinning, after the fields", async () => {
    const identity = await newIdentity();
    const res = await call("POST", path(identity.id), {
      body: { oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, condition: "claims.ref ==" },
    });
    expectRefusal(res, 422, "condition_invalid");
    await expectInvalid(
      { oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, condition: "claims.ref ==", accessTokenTTL: -1 },
      "accessTokenTTL",
    );
  });

  it("refuses one over 4096 characters as an invalid field", async () => {
    await expectInvalid({ ...MINIMAL, condition: `claims.ref == "${"x".repeat(4096)}"` }, "condition");
  });
});

describe("warnings", () => {
  it("an empty boundAudiences is accepted (Infisical's clients send it) with audience_unbound, in POST, PATCH and GET", async () => {
    const identity = await newIdentity();
    const posted = await ok("POST", path(identity.id), { body: { ...MINIMAL, boundAudiences: "" } });
    const unbound = [{ code: "audience_unbound", field: "boundAudiences", message: expect.stringMatching(/replay/) }];
    expect(posted.warnings).toEqual(unbound);
    expect((await ok("GET", path(identity.id))).warnings).toEqual(unbound);
    expect((await ok("PATCH", path(identity.id), { body: { boundAudiences: AUDIENCE } })).warnings).toEqual([]);
    expect((await ok("GET", path(identity.id))).warnings).toEqual([]);
  });

  it("a configuration stored before owner pinning still logs in; GET warns binding_too_broad, and the next change must pin", async () => {
    const idp = createIdp();
    const identity = await newIdentity();
    const body = { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundSubject: GITLAB_SUBJECT, boundAudiences: AUDIENCE };
    await ok("POST", path(identity.id), { body });
    // As an older version stored it: no subject, only a claim that any user of the issuer controls.
    await env.DB.prepare("UPDATE identity_oidc_auths SET bound_subject = '', bound_claims = ? WHERE identity_id = ?")
      .bind(JSON.stringify({ ref_protected: "true" }), identity.id)
      .run();

    const { warnings } = await ok("GET", path(identity.id));
    expect(warnings).toEqual([
      { code: "binding_too_broad", field: "boundClaims", message: expect.stringMatching(/^boundClaims pins no owner.*still logs in/) },
    ]);
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));
    await expectTooBroad({ accessTokenTTL: 600 }, "boundClaims", "PATCH", identity.id);
    expect(
      (await ok("PATCH", path(identity.id), { body: { boundClaims: { ref_protected: "true", namespace_id: "72" } } })).warnings,
    ).toEqual([]);
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
