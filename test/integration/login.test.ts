// Successful OIDC logins: the seed's GitLab pipeline, GitHub Actions, every IdP key type, both body
// encodings Infisical's clients use, and the access token we hand back.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { describe, expect, it } from "vitest";
import { call, jwtPayload, login, ok, postLoginRaw } from "../support/api";
import { githubClaims, gitlabClaims, type SigningAlg } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { AUDIENCE, expectIssued, GITLAB_SUBJECT, scenario } from "../support/scenario";

/** Verifies one of our access tokens the way a relying service would: with the published JWKS only. */
async function verifyWithPublishedKeys(accessToken: string) {
  const jwks = (await ok("GET", "/.well-known/jwks.json", { token: null })) as JSONWebKeySet;
  return jwtVerify(accessToken, createLocalJWKSet(jwks), {
    issuer: "http://edge-oidc-auth.test", // the issuer identifier: PUBLIC_URL, else the request's origin
    audience: "edge-oidc-auth",
    typ: "at+jwt",
    algorithms: ["ES256", "EdDSA"],
  });
}

const now = () => Math.floor(Date.now() / 1000);

describe("GitLab CI login (the seed's pipeline)", () => {
  it("logs a GitLab CI job in with an RS256 ID token", async () => {
    const s = await scenario({
      boundSubject: GITLAB_SUBJECT,
      boundAudiences: AUDIENCE,
      boundClaims: { project_id: "20", ref_protected: "true" },
      accessTokenTTL: 600,
      accessTokenMaxTTL: 3600,
    });
    const res = await s.loginWith();
    expect(decodeProtectedHeader(res.jwt).alg).toBe("RS256");
    expectIssued(res);
    expect(res.body).toMatchObject({ tokenType: "Bearer", expiresIn: 600, accessTokenMaxTTL: 3600 });
    expect(jwtPayload(res.body.accessToken)).toMatchObject({ sub: s.identity.id, org: s.org.id, auth_method: "oidc-auth" });
  });

  it("answers with the Infisical response shape and nothing else", async () => {
    const s = await scenario();
    const res = await s.loginWith();
    expectIssued(res);
    expect(Object.keys(res.body).sort()).toEqual(["accessToken", "accessTokenMaxTTL", "expiresIn", "tokenType"]);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("accepts organizationSlug when it names the identity's organization", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const res = await call("POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId: s.identity.id, jwt, organizationSlug: s.org.slug },
      token: null,
    });
    expectIssued(res);
  });

  it("issues a new token on every login", async () => {
    const s = await scenario();
    const first = await s.login();
    const second = await s.login();
    expect(jwtPayload(first).jti).not.toBe(jwtPayload(second).jti);
  });
});

describe("GitHub Actions login", () => {
  it("logs a workflow in with GitHub-shaped claims", async () => {
    const s = await scenario({
      boundSubject: "repo:octo-org/octo-repo:ref:refs/heads/main",
      boundAudiences: "https://github.com/octo-org",
      boundClaims: { repository_owner_id: "65", repository: "octo-org/octo-repo", event_name: "push,workflow_dispatch" },
    });
    const jwt = await s.idp.mint(githubClaims(), { header: { x5t: "dGVzdC14NXQ" } });
    expectIssued(await s.loginJwt(jwt));
  });

  it("logs in with the form body Infisical's GitHub Action sends", async () => {
    const s = await scenario({
      boundSubject: "repo:octo-org/octo-repo:environment:production",
      boundAudiences: "https://github.com/octo-org",
    });
    const jwt = await s.idp.mint(githubClaims({ sub: "repo:octo-org/octo-repo:environment:production", environment: "production" }));
    const res = await s.loginJwt(jwt, { form: true });
    expectIssued(res);
    expect(jwtPayload(res.body.accessToken).sub).toBe(s.identity.id);
  });
});

describe("IdP key types", () => {
  it.each<SigningAlg>(["RS256", "ES256", "EdDSA", "Ed25519", "PS256", "ES384"])("accepts an ID token signed with %s", async (alg) => {
    const s = await scenario();
    const res = await s.loginWith({}, { alg });
    expect(decodeProtectedHeader(res.jwt).alg).toBe(alg);
    expectIssued(res);
  });

  it("accepts a token without kid when one published key fits its algorithm", async () => {
    const s = await scenario();
    const res = await s.loginWith({}, { alg: "ES256", header: { kid: null } });
    expect(decodeProtectedHeader(res.jwt).kid).toBeUndefined();
    expectIssued(res);
  });
});

describe("request encodings", () => {
  it("accepts JSON", async () => {
    const s = await scenario();
    expectIssued(await s.loginWith({}, {}, { form: false }));
  });

  it("accepts application/x-www-form-urlencoded", async () => {
    const s = await scenario();
    expectIssued(await s.loginWith({}, {}, { form: true }));
  });

  it("accepts a form body with a charset parameter and organizationSlug", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const form = new URLSearchParams({ identityId: s.identity.id, jwt, organizationSlug: s.org.slug }).toString();
    expectIssued(await postLoginRaw(form, "application/x-www-form-urlencoded; charset=UTF-8"));
  });

  it("ignores extra form fields, whatever their name", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const form = `${new URLSearchParams({ identityId: s.identity.id, jwt, constructor: "x", toString: "y" })}&__proto__=z`;
    expectIssued(await postLoginRaw(form, "application/x-www-form-urlencoded"));
  });

  it("accepts JSON sent without a Content-Type", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    expectIssued(await postLoginRaw(JSON.stringify({ identityId: s.identity.id, jwt }), null));
  });

  it("answers a multipart form with 415, naming the two formats it takes", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const body = `--x\r\nContent-Disposition: form-data; name="identityId"\r\n\r\n${s.identity.id}\r\n--x\r\nContent-Disposition: form-data; name="jwt"\r\n\r\n${jwt}\r\n--x--\r\n`;
    const res = await postLoginRaw(body, "multipart/form-data; boundary=x");
    expectRefusal(res, 415, "unsupported_media_type", { secrets: [jwt] });
    expect(res.body.message).toContain("application/x-www-form-urlencoded");
  });

  it("finds the identity whatever the case of its id, as Infisical's uuid ids do", async () => {
    const s = await scenario();
    expectIssued(await login(s.identity.id.toUpperCase(), await s.idp.mint(gitlabClaims())));
  });

  it("accepts JSON with surrounding whitespace in the fields", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    expectIssued(await login(` ${s.identity.id} `, `${jwt}\n`));
  });
});

describe("the access token", () => {
  it("verifies against GET /.well-known/jwks.json and names the identity and organization", async () => {
    const s = await scenario({ accessTokenTTL: 900, accessTokenMaxTTL: 7200, accessTokenNumUsesLimit: 5 });
    const before = now();
    const accessToken = await s.login();
    const { payload, protectedHeader } = await verifyWithPublishedKeys(accessToken);
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({ sub: s.identity.id, org: s.org.id, auth_method: "oidc-auth", uses: 5 });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(now());
    expect(payload.exp).toBe(payload.iat! + 900);
  });

  it("does not verify once altered", async () => {
    const s = await scenario();
    const accessToken = await s.login();
    const [h, p, sig] = accessToken.split(".");
    const forged = JSON.stringify({ ...jwtPayload(accessToken), sub: "someone-else" });
    const forgedPayload = btoa(forged).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    await expect(verifyWithPublishedKeys(`${h}.${forgedPayload}.${sig}`)).rejects.toThrow();
    expect(p).not.toBe(forgedPayload);
  });

  it("carries the claims named in claimMetadataMapping, and only those", async () => {
    const s = await scenario({
      claimMetadataMapping: {
        project: "project_path",
        ref: "ref",
        runner: "runner_id",
        protected: "deploy.protected",
        teams: "groups",
        absent: "no_such_claim",
      },
    });
    const accessToken = expectIssued(await s.loginWith({ deploy: { protected: true }, groups: ["ops", "dev"] }));
    const { payload } = await verifyWithPublishedKeys(accessToken);
    expect(payload.metadata).toEqual({
      project: "mygroup/myproject",
      ref: "main",
      runner: "1",
      protected: "true",
      teams: "ops,dev",
    });
    expect(payload).not.toHaveProperty("user_email");
  });

  it("stays usable when a mapped claim is huge: the oversized value is left out", async () => {
    const s = await scenario({ claimMetadataMapping: { big: "big", ref: "ref", list: "list" } });
    const accessToken = expectIssued(
      await s.loginWith({ big: "x".repeat(7000), list: Array.from({ length: 300 }, (_, i) => `g${i}`) }),
    );
    expect(jwtPayload(accessToken).metadata).toEqual({ ref: "main" });
    const details = await call("GET", "/api/v1/identities/details", { token: accessToken });
    expect(details.status, JSON.stringify(details.body)).toBe(200);
    expect(details.body.identityDetails.identity.id).toBe(s.identity.id);
  });

  it("stays under the access-token size limit with 32 long mapped claims", async () => {
    const mapping = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${String(i).padStart(2, "0")}`, `c${i}`]));
    const claims = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`c${i}`, "v".repeat(250)]));
    const s = await scenario({ claimMetadataMapping: mapping });
    const accessToken = expectIssued(await s.loginWith(claims));
    expect(Object.keys(jwtPayload(accessToken).metadata).length).toBeGreaterThan(0);
    expect((await call("GET", "/api/v1/identities/details", { token: accessToken })).status).toBe(200);
  });

  it("carries no metadata when no mapping is configured", async () => {
    const s = await scenario();
    const { payload } = await verifyWithPublishedKeys(await s.login());
    expect(payload).not.toHaveProperty("metadata");
    expect(payload).not.toHaveProperty("project_path");
  });
});

describe("expiresIn and accessTokenMaxTTL are true", () => {
  it("reports the configured TTLs, matching the token's own exp", async () => {
    const s = await scenario({ accessTokenTTL: 300, accessTokenMaxTTL: 86400 });
    const res = await s.loginWith();
    const accessToken = expectIssued(res);
    const claims = jwtPayload(accessToken);
    expect(res.body.expiresIn).toBe(300);
    expect(res.body.accessTokenMaxTTL).toBe(86400);
    expect(claims.exp - claims.iat).toBe(res.body.expiresIn);
  });

  it("uses Infisical's 30-day defaults", async () => {
    const s = await scenario();
    const res = await s.loginWith();
    expectIssued(res);
    expect(res.body).toMatchObject({ expiresIn: 2592000, accessTokenMaxTTL: 2592000 });
  });

  it("never promises more than the deployment's ceiling (TOKEN_MAX_LIFETIME_SECONDS)", async () => {
    const s = await scenario({ accessTokenTTL: 315360000, accessTokenMaxTTL: 315360000 });
    const res = await s.loginWith();
    const claims = jwtPayload(expectIssued(res));
    expect(res.body).toMatchObject({ expiresIn: 2592000, accessTokenMaxTTL: 2592000 });
    expect(claims.exp - claims.iat).toBe(2592000);
  });

  it("caps expiresIn at the max TTL when the TTL is unlimited (0)", async () => {
    const s = await scenario({ accessTokenTTL: 0, accessTokenMaxTTL: 1200 });
    const res = await s.loginWith();
    const claims = jwtPayload(expectIssued(res));
    expect(res.body).toMatchObject({ expiresIn: 1200, accessTokenMaxTTL: 1200 });
    expect(claims.exp - claims.iat).toBe(1200);
  });
});

describe("a refused login", () => {
  it("is recognisable by its reasonCode and never echoes the token", async () => {
    const s = await scenario();
    const res = await s.loginWith({ ref: "dev", sub: "project_path:mygroup/myproject:ref_type:branch:ref:dev" });
    expectRefusal(res, 401, "subject_not_allowed", { secrets: [res.jwt] });
    expect(res.headers.get("x-request-id")).toBe(res.body.reqId);
  });
});
