// Each login rule failing on its own: a token that passes every rule, changed in exactly one respect,
// is refused with the status and reasonCode that name that rule, and the token is never echoed.
import { exports } from "cloudflare:workers";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, login, ok, postLoginRaw } from "../support/api";
import { gitlabClaims, type Claims } from "../support/idp";
import { expectRefusal, type WireReasonCode } from "../support/refusal";
import { AUDIENCE, expectIssued, GITLAB_SUBJECT, type Scenario, scenario } from "../support/scenario";

/** The seed pipeline's configuration: subject, audience and two claims bound. */
const SEED_CONFIG = {
  boundSubject: GITLAB_SUBJECT,
  boundAudiences: AUDIENCE,
  boundClaims: { project_id: "20", ref_protected: "true" },
};

const now = () => Math.floor(Date.now() / 1000);

/** Logs in with the seed token changed by `overrides`, expecting a 401 with `reasonCode`. */
async function expectClaimsRefused(overrides: Claims, reasonCode: WireReasonCode, config: Record<string, unknown> = SEED_CONFIG) {
  const s = await scenario(config);
  const res = await s.loginWith(overrides);
  expectRefusal(res, 401, reasonCode, { secrets: [res.jwt] });
}

/** Replaces one segment of a compact JWT. */
function withSegment(jwt: string, index: 0 | 1 | 2, value: string): string {
  const parts = jwt.split(".");
  parts[index] = value;
  return parts.join(".");
}
const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));

describe("the seed token passes every rule (control for the tests below)", () => {
  it("is admitted with subject, audience and both claims bound", async () => {
    const s = await scenario(SEED_CONFIG);
    await s.login();
  });
});

describe("subject", () => {
  it("refuses another subject", async () => {
    await expectClaimsRefused({ sub: "project_path:mygroup/myproject:ref_type:branch:ref:dev" }, "subject_not_allowed");
  });

  it("refuses a token without sub", async () => {
    await expectClaimsRefused({ sub: undefined }, "subject_not_allowed");
  });

  it("refuses a non-string sub", async () => {
    await expectClaimsRefused({ sub: 20 }, "subject_not_allowed", { ...SEED_CONFIG, boundSubject: "20" });
  });

  it("compares case-sensitively", async () => {
    await expectClaimsRefused({ sub: GITLAB_SUBJECT.replace("mygroup", "MyGroup") }, "subject_not_allowed");
  });
});

describe("audiences", () => {
  it("refuses another audience", async () => {
    await expectClaimsRefused({ aud: "https://someone-else.example" }, "audience_not_allowed");
  });

  it("refuses a token without aud", async () => {
    await expectClaimsRefused({ aud: undefined }, "audience_not_allowed");
  });

  it("refuses an aud array none of whose entries is bound", async () => {
    await expectClaimsRefused({ aud: ["https://a.example", "https://b.example"] }, "audience_not_allowed");
  });

  it("refuses an empty aud array", async () => {
    await expectClaimsRefused({ aud: [] }, "audience_not_allowed");
  });
});

describe("bound claims", () => {
  it.each(["project_id", "ref_protected"])("refuses a wrong %s with claim_not_allowed: <claim>", async (claim) => {
    const wrong = claim === "ref_protected" ? "false" : "21";
    await expectClaimsRefused({ [claim]: wrong }, `claim_not_allowed: ${claim}`);
  });

  it.each(["project_id", "ref_protected"])("refuses a token without %s", async (claim) => {
    await expectClaimsRefused({ [claim]: undefined }, `claim_not_allowed: ${claim}`);
  });

  it("refuses a null claim", async () => {
    await expectClaimsRefused({ ref_protected: null }, "claim_not_allowed: ref_protected");
  });

  it("refuses an object where a string is bound", async () => {
    await expectClaimsRefused({ ref_protected: { value: "true" } }, "claim_not_allowed: ref_protected");
  });

  it("requires every bound claim, not just one", async () => {
    // project_id matches; ref_protected does not.
    await expectClaimsRefused({ project_id: "20", ref_protected: "false" }, "claim_not_allowed: ref_protected");
  });

  it("lets a fork's merge-request pipeline through only if it matches the upstream project_id", async () => {
    // The reference's caveat: on a fork, project_* describe the fork.
    await expectClaimsRefused(
      { project_id: "999", project_path: "attacker/myproject", sub: GITLAB_SUBJECT },
      "claim_not_allowed: project_id",
    );
  });
});

describe("condition (CEL), after the bound claims", () => {
  const EXAMPLE = String.raw`claims.ref_type == "tag" && claims.ref.matches("^v[0-9]+\\.[0-9]+\\.[0-9]+$") && !(claims.user_login in ["dependabot[bot]"])`;
  const TAGS = { boundSubject: "project_path:mygroup/myproject:**", boundAudiences: AUDIENCE, condition: EXAMPLE };
  const tag = (ref: string, more: Claims = {}) => ({
    sub: `project_path:mygroup/myproject:ref_type:tag:ref:${ref}`,
    ref,
    ref_type: "tag",
    ref_path: `refs/tags/${ref}`,
    ...more,
  });

  /** A refusal that names the reason only: neither the conjunct (the admin's policy) nor a claim value. */
  function expectConditionFailed(res: Awaited<ReturnType<Scenario["loginWith"]>>) {
    expectRefusal(res, 401, "condition_failed", { secrets: [res.jwt] });
    expect(res.body.message).toBe("The token does not satisfy the identity's condition");
    expect(res.body).not.toHaveProperty("details");
  }

  it("admits a semver tag", async () => {
    const s = await scenario(TAGS);
    expectIssued(await s.loginWith(tag("v1.4.2")));
  });

  it("refuses a branch, a tag that is not semver, and the bot, with condition_failed", async () => {
    const s = await scenario(TAGS);
    expectConditionFailed(await s.loginWith({ sub: "project_path:mygroup/myproject:ref_type:branch:ref:main" }));
    expectConditionFailed(await s.loginWith(tag("v1.4")));
    expectConditionFailed(await s.loginWith(tag("v1.4.2", { user_login: "dependabot[bot]" })));
  });

  it("refuses a token without a claim the condition reads (an evaluation error is a refusal, never a 5xx)", async () => {
    const s = await scenario(TAGS);
    expectConditionFailed(await s.loginWith(tag("v1.4.2", { user_login: undefined })));
    expectConditionFailed(await s.loginWith(tag("v1.4.2", { ref: 42 })));
  });

  it("runs matches() in linear time: ^(a+)+$ against a 5,000-character claim answers at once", async () => {
    const s = await scenario({ ...SEED_CONFIG, condition: 'claims.ci_config_ref_uri.matches("^(a+)+$")' });
    const res = await s.loginWith({ ci_config_ref_uri: `${"a".repeat(5000)}b` });
    expectConditionFailed(res);
    expectIssued(await s.loginWith({ ci_config_ref_uri: "a".repeat(5000) }));
  });

  it("comes after the bound claims: a token failing both is refused for the claim", async () => {
    const s = await scenario({ ...SEED_CONFIG, condition: 'claims.pipeline_source == "web"' });
    const res = await s.loginWith({ ref_protected: "false" });
    expectRefusal(res, 401, "claim_not_allowed: ref_protected", { secrets: [res.jwt] });
    expectConditionFailed(await s.loginWith());
  });
});

describe("issuer", () => {
  it("refuses a token whose iss is not the bound issuer", async () => {
    await expectClaimsRefused({ iss: "https://gitlab.com" }, "issuer_mismatch");
  });

  it("refuses a token without iss", async () => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({}, { omit: ["iss"] });
    expectRefusal(res, 401, "issuer_mismatch", { secrets: [res.jwt] });
  });

  it("refuses an iss differing only by a trailing slash", async () => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({ iss: `${s.idp.issuer}/` });
    expectRefusal(res, 401, "issuer_mismatch", { secrets: [res.jwt] });
  });

  it("refuses when the discovery document's issuer is not the configured issuer", async () => {
    const s = await scenario(SEED_CONFIG);
    await s.idp.behaviour({ issuerOverride: "https://gitlab.com" });
    const res = await s.loginWith();
    expectRefusal(res, 401, "discovery_issuer_mismatch", { secrets: [res.jwt] });
  });

  it("refuses when boundIssuer is not the issuer that the discovery URL serves", async () => {
    const s = await scenario({ ...SEED_CONFIG, boundIssuer: "https://gitlab.com" });
    const res = await s.loginWith({ iss: "https://gitlab.com" });
    expectRefusal(res, 401, "discovery_issuer_mismatch", { secrets: [res.jwt] });
  });
});

describe("where the keys come from", () => {
  it("refuses a discovery document whose jwks_uri is on another host, without fetching it", async () => {
    const s = await scenario(SEED_CONFIG);
    const elsewhere = s.idp.jwksUrl.replace("127.0.0.1", "localhost");
    await s.idp.behaviour({ discoveryOverride: { jwks_uri: elsewhere } });
    const res = await s.loginWith();
    expectRefusal(res, 401, "jwks_uri_refused", { secrets: [res.jwt] });
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 0 });
  });

  it("uses an explicitly configured jwksUrl instead of the discovery document's", async () => {
    const s = await scenario(SEED_CONFIG);
    await s.idp.behaviour({ discoveryOverride: { jwks_uri: "http://localhost:1/elsewhere" } });
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { jwksUrl: s.idp.jwksUrl } });
    await s.login();
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 1 });
  });
});

describe("time claims (30 s clock-skew leeway)", () => {
  it("refuses an expired token", async () => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({}, { expiresIn: -120 });
    expectRefusal(res, 401, "token_expired", { secrets: [res.jwt] });
  });

  it("admits a token that expired within the leeway", async () => {
    const s = await scenario(SEED_CONFIG);
    expectIssued(await s.loginWith({}, { expiresIn: -5 }));
  });

  it("refuses a token whose nbf is in the future", async () => {
    await expectClaimsRefused({ nbf: now() + 120 }, "token_not_yet_valid");
  });

  it("admits an nbf within the leeway", async () => {
    const s = await scenario(SEED_CONFIG);
    expectIssued(await s.loginWith({ nbf: now() + 5 }));
  });

  it("refuses a token whose iat is in the future", async () => {
    await expectClaimsRefused({ iat: now() + 120, nbf: now() }, "token_issued_in_future");
  });

  it("refuses a token without exp", async () => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({}, { omit: ["exp"] });
    expectRefusal(res, 401, "exp_invalid", { secrets: [res.jwt] });
  });

  it("refuses a non-numeric exp", async () => {
    await expectClaimsRefused({ exp: String(now() + 300) }, "exp_invalid");
  });
});

describe("signature and keys", () => {
  it("refuses a token whose payload was changed after signing", async () => {
    const s = await scenario(SEED_CONFIG);
    const genuine = await s.idp.mint(gitlabClaims({ project_id: "21" }));
    const forged = withSegment(
      genuine,
      1,
      encodeJson({ ...JSON.parse(new TextDecoder().decode(base64url.decode(genuine.split(".")[1]!))), project_id: "20" }),
    );
    expectRefusal(await s.loginJwt(forged), 401, "signature_invalid", { secrets: [forged, genuine] });
  });

  it("refuses a token signed by another key that claims a published kid", async () => {
    const s = await scenario(SEED_CONFIG);
    const [published] = await s.idp.keys(); // the tenant's RS256 key
    await s.idp.rotate("RS256"); // new current RS256 key, also published
    const jwt = await s.idp.mint(gitlabClaims(), { header: { kid: published!.kid } });
    expectRefusal(await s.loginJwt(jwt), 401, "signature_invalid", { secrets: [jwt] });
  });

  it("refuses a token whose kid the IdP never published", async () => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({}, { kid: "no-such-key" });
    expectRefusal(res, 401, "key_not_found", { secrets: [res.jwt] });
  });

  it("refuses a token whose header algorithm does not fit the named key", async () => {
    const s = await scenario(SEED_CONFIG);
    const es256 = (await s.idp.keys()).find((k) => k.alg === "ES256")!;
    const res = await s.loginWith({}, { kid: es256.kid, header: { alg: "RS256" } });
    // Refused before any key lookup: a 64-byte ES256 signature cannot be an RS256 one (src/oidc/token-shape.ts).
    // A lying alg whose signature has a plausible size finds no key: hostile-tokens.test.ts (PS256 on an RS256 key).
    expectRefusal(res, 401, "signature_invalid", { secrets: [res.jwt] });
  });

  it("refuses a token with no signature", async () => {
    const s = await scenario(SEED_CONFIG);
    const jwt = withSegment(await s.idp.mint(gitlabClaims()), 2, "");
    expectRefusal(await s.loginJwt(jwt), 401, "signature_invalid", { secrets: [jwt] });
  });

  it("refuses a string that is not a JWT", async () => {
    const s = await scenario(SEED_CONFIG);
    expectRefusal(await s.loginJwt("not-a-jwt"), 401, "token_malformed");
  });

  it("refuses a token whose payload is not JSON", async () => {
    const s = await scenario(SEED_CONFIG);
    const jwt = await s.idp.mint("this is not json");
    expectRefusal(await s.loginJwt(jwt), 401, "token_malformed", { secrets: [jwt] });
  });
});

describe("algorithms", () => {
  it("refuses alg none (unsigned)", async () => {
    const s = await scenario(SEED_CONFIG);
    const genuine = await s.idp.mint(gitlabClaims());
    const unsigned = `${encodeJson({ alg: "none", typ: "JWT" })}.${genuine.split(".")[1]}.`;
    expectRefusal(await s.loginJwt(unsigned), 401, "alg_not_allowed", { secrets: [unsigned] });
  });

  it.each(["none", "HS256", "HS512", "RSA-OAEP", "", "rs256"])("refuses a header claiming alg %j", async (alg) => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({}, { header: { alg } });
    expectRefusal(res, 401, "alg_not_allowed", { secrets: [res.jwt] });
  });

  it("refuses a token without alg", async () => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({}, { header: { alg: null } });
    expectRefusal(res, 401, "alg_not_allowed", { secrets: [res.jwt] });
  });

  it("refuses an HS256 token keyed with the IdP's public key (algorithm confusion)", async () => {
    const s = await scenario(SEED_CONFIG);
    const [rsa] = await s.idp.keys();
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = rsa!;
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const hmacKey = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const input = `${encodeJson({ alg: "HS256", kid: rsa!.kid, typ: "JWT" })}.${encodeJson({ ...gitlabClaims(), iss: s.idp.issuer, exp: now() + 300 })}`;
    const mac = await crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(input));
    const jwt = `${input}.${base64url.encode(new Uint8Array(mac))}`;
    expectRefusal(await s.loginJwt(jwt), 401, "alg_not_allowed", { secrets: [jwt] });
  });

  it.each(["jwk", "jku", "x5u", "x5c"])("refuses a header carrying its own key (%s)", async (name) => {
    const s = await scenario(SEED_CONFIG);
    const value = name === "x5c" ? ["MIIB"] : name === "jwk" ? { kty: "OKP", crv: "Ed25519", x: "AAAA" } : "https://evil.example/keys";
    const res = await s.loginWith({}, { header: { [name]: value } });
    expectRefusal(res, 401, "header_not_allowed", { secrets: [res.jwt] });
  });
});

describe("identity and configuration lookup", () => {
  it("answers 404 identity_not_found for an unknown identityId", async () => {
    const s = await scenario(SEED_CONFIG);
    const jwt = await s.idp.mint(gitlabClaims());
    expectRefusal(await login(crypto.randomUUID(), jwt), 404, "identity_not_found", { secrets: [jwt] });
  });

  it("answers 404 identity_not_found for an identityId that is not a UUID", async () => {
    const s = await scenario(SEED_CONFIG);
    const jwt = await s.idp.mint(gitlabClaims());
    expectRefusal(await login("ci-deployer", jwt), 404, "identity_not_found", { secrets: [jwt] });
  });

  it("answers 404 oidc_auth_not_configured for an identity without OIDC Auth", async () => {
    const s = await scenario(SEED_CONFIG);
    const bare = await createIdentity(s.org.id);
    const jwt = await s.idp.mint(gitlabClaims());
    expectRefusal(await login(bare.id, jwt), 404, "oidc_auth_not_configured", { secrets: [jwt] });
  });

  it("refuses an organizationSlug that is not the identity's organization, as it refuses an unknown id", async () => {
    const s = await scenario(SEED_CONFIG);
    const other = await createOrg();
    const jwt = await s.idp.mint(gitlabClaims());
    const res = await call("POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId: s.identity.id, jwt, organizationSlug: other.slug },
      token: null,
    });
    expectRefusal(res, 404, "identity_not_found", { secrets: [jwt] });
    // Nothing tells the caller that the id exists in another organization.
    const unknown = await call("POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId: crypto.randomUUID(), jwt, organizationSlug: other.slug },
      token: null,
    });
    const { reqId: _a, ...answer } = res.body as Record<string, unknown>;
    const { reqId: _b, ...unknownAnswer } = unknown.body as Record<string, unknown>;
    expect(answer).toEqual(unknownAnswer);
  });

  it("looks the identity up before judging the token", async () => {
    // No IdP round trip for an unknown identity: the token is not even parsed.
    expectRefusal(await login(crypto.randomUUID(), "not-a-jwt"), 404, "identity_not_found");
  });
});

describe("malformed request bodies (422 invalid_request)", () => {
  const loginPath = "/api/v1/auth/oidc-auth/login";
  const identityId = "6f1c2b9e-0000-4000-8000-000000000000";
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldC1wYXJ0";

  it.each<[string, unknown]>([
    ["missing jwt", { identityId }],
    ["missing identityId", { jwt }],
    ["empty jwt", { identityId, jwt: "" }],
    ["blank jwt", { identityId, jwt: "   " }],
    ["numeric jwt", { identityId, jwt: 123 }],
    ["array identityId", { identityId: [identityId], jwt }],
    ["null jwt", { identityId, jwt: null }],
    ["numeric organizationSlug", { identityId, jwt, organizationSlug: 7 }],
    ["a JSON array", [identityId, jwt]],
    ["a JSON string", "just a string"],
    ["JSON null", null],
    ["an empty object", {}],
  ])("refuses %s", async (_name, body) => {
    const res = await call("POST", loginPath, { body: JSON.stringify(body), token: null });
    expectRefusal(res, 422, "invalid_request", { secrets: [jwt] });
  });

  it("names the missing field", async () => {
    const res = await call("POST", loginPath, { body: { identityId }, token: null });
    expectRefusal(res, 422, "invalid_request");
    expect(res.body.details).toEqual([expect.objectContaining({ field: "jwt" })]);
  });

  it("refuses a body that is not JSON", async () => {
    expectRefusal(await postLoginRaw(`{"identityId": "${identityId}", "jwt": "${jwt}"`, "application/json"), 422, "invalid_request", {
      secrets: [jwt],
    });
  });

  it("refuses an empty body", async () => {
    expectRefusal(await postLoginRaw("", "application/json"), 422, "invalid_request");
  });

  it("refuses a form body without jwt", async () => {
    const res = await call("POST", loginPath, { form: { identityId }, token: null });
    expectRefusal(res, 422, "invalid_request");
  });

  it("refuses a form body that repeats a field", async () => {
    const res = await postLoginRaw(`identityId=${identityId}&jwt=${jwt}&jwt=${jwt}`, "application/x-www-form-urlencoded");
    expectRefusal(res, 422, "invalid_request", { secrets: [jwt] });
  });

  it("refuses a body that is not UTF-8", async () => {
    const res = await exportsFetchBytes(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expectRefusal(res, 422, "invalid_request");
  });

  it("refuses a jwt longer than 16 KiB with 413 token_too_large", async () => {
    const long = `${jwt}${"A".repeat(17 * 1024)}`;
    expectRefusal(await call("POST", loginPath, { body: { identityId, jwt: long }, token: null }), 413, "token_too_large", {
      secrets: [long],
    });
  });

  it("refuses a body larger than 64 KiB with 413", async () => {
    const res = await call("POST", loginPath, { body: { identityId, jwt, padding: "x".repeat(65 * 1024) }, token: null });
    expectRefusal(res, 413, "body_too_large", { secrets: [jwt] });
  });
});

/** POSTs raw bytes as a JSON login body. */
async function exportsFetchBytes(bytes: Uint8Array) {
  const res = await exports.default.fetch(
    new Request("http://edge-oidc-auth.test/api/v1/auth/oidc-auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    }),
  );
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}
