// Access tokens after login: max uses under concurrency, revocation, renewal, TTL and max TTL.
// Expiry is reached by moving the service's clock (advanceClockTo a token's own `exp`), not by sleeping;
// the two renewal tests that still sleep say why.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, jwtPayload } from "../support/api";
import { advanceClockTo, freezeClockAt, nowSeconds } from "../support/clock";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario } from "../support/scenario";
import { expectOk, renew, revoke, tally, useToken, whoami } from "../support/tokens";

const CEILING = Number(env.TOKEN_MAX_LIFETIME_SECONDS);

describe("max uses", () => {
  it("100 concurrent uses of a token limited to 5: exactly 5 succeed, 95 are refused, no 5xx", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 5 });
    const token = await s.login();
    const results = await Promise.all(Array.from({ length: 100 }, () => useToken(token)));
    expect(tally(results)).toEqual({ "200": 5, "401 token_uses_exhausted": 95 });
    // Each success saw a different count: the check and the increment are one step.
    const left = results.filter((r) => r.status === 200).map((r) => r.body.identityDetails.token.usesLeft);
    expect(left.sort()).toEqual([0, 1, 2, 3, 4]);
    expectRefusal(await useToken(token), 401, "token_uses_exhausted");
  });

  it("counts HTTP uses and RPC uses against the same limit", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 3 });
    const token = await s.login();
    expect(expectOk(await useToken(token)).identityDetails.token.usesLeft).toBe(2);
    expect((await whoami(token)).body).toMatchObject({ ok: true, usesLeft: 1 });
    expect(expectOk(await useToken(token)).identityDetails.token.usesLeft).toBe(0);
    expectRefusal(await whoami(token), 401, "token_uses_exhausted");
  });

  it("0 means unlimited: usesLeft is null", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 0 });
    const token = await s.login();
    for (let i = 0; i < 12; i++) expect(expectOk(await useToken(token)).identityDetails.token.usesLeft).toBeNull();
  });

  it("limits each token separately: a new login has its own uses", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 1 });
    const token = await s.login();
    expectOk(await useToken(token));
    expectRefusal(await useToken(token), 401, "token_uses_exhausted");
    const second = await s.login();
    expectOk(await useToken(second));
    expectRefusal(await useToken(second), 401, "token_uses_exhausted");
  });
});

describe("revocation", () => {
  it("is seen by the very next use, renew and RPC call", async () => {
    const s = await scenario();
    const token = await s.login();
    expectOk(await useToken(token));
    expect(expectOk(await revoke(token))).toEqual({ message: "Successfully revoked access token" });
    expectRefusal(await useToken(token), 401, "token_revoked");
    expectRefusal(await renew(token), 401, "token_revoked");
    expectRefusal(await whoami(token), 401, "token_revoked");
    // Idempotent.
    expect(expectOk(await revoke(token))).toEqual({ message: "Successfully revoked access token" });
  });

  it("takes effect at once under concurrent uses: nothing succeeds after the revoke returned", async () => {
    const s = await scenario();
    const token = await s.login();
    const before = await Promise.all(Array.from({ length: 10 }, () => useToken(token)));
    expect(tally(before)).toEqual({ "200": 10 });
    expectOk(await revoke(token));
    const after = await Promise.all(Array.from({ length: 20 }, () => useToken(token)));
    expect(tally(after)).toEqual({ "401 token_revoked": 20 });
  });

  it("revokes one token, not the identity's others", async () => {
    const s = await scenario();
    const token = await s.login();
    const other = await s.login();
    expectOk(await revoke(token));
    expectRefusal(await useToken(token), 401, "token_revoked");
    expectOk(await useToken(other));
  });

  it("revokes the renewed token too (same jti), also when presented as the older, already expired token", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 3600 });
    const issued = await s.loginWith();
    const token = expectIssued(issued);
    const first = jwtPayload(token);
    expect(issued.body.expiresIn).toBe(60);
    advanceClockTo(first.iat + 30); // renewed exp = iat + 90: alive 30 s after the original's exp
    const renewed = expectOk(await renew(token)).accessToken as string;
    expect(jwtPayload(renewed).exp).toBeGreaterThan(first.exp);
    advanceClockTo(first.exp); // the original is now expired, the renewed one is not
    expectRefusal(await useToken(token), 401, "access_token_expired");
    expect(expectOk(await revoke(token))).toEqual({ message: "Successfully revoked access token" });
    expectRefusal(await useToken(renewed), 401, "token_revoked");
  });

  it("accepts an expired token (revoking is always allowed to whoever holds it)", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const token = await s.login();
    advanceClockTo(jwtPayload(token).exp);
    expectRefusal(await useToken(token), 401, "access_token_expired");
    expectOk(await revoke(token));
  });

  it("refuses tokens we did not sign, and bodies without a token", async () => {
    const s = await scenario();
    const token = await s.login();
    const [h, p] = token.split(".");
    const forged = `${h}.${p}.${"A".repeat(86)}`;
    expectRefusal(await revoke(forged), 401, "access_token_invalid");
    expectRefusal(await revoke("not-a-jwt"), 401, "access_token_invalid");
    expectRefusal(await revoke(""), 422, "invalid_request");
    // The token still works: nothing above touched it.
    expectOk(await useToken(token));
  });
});

describe("renewal", () => {
  it("returns a token with the same jti and a later exp, in the login response shape", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 3600 });
    const issued = await s.loginWith();
    const token = expectIssued(issued);
    expect(issued.body).toMatchObject({ expiresIn: 60, accessTokenMaxTTL: 3600, tokenType: "Bearer" });
    const before = jwtPayload(token);
    advanceClockTo(before.iat + 1);
    const body = expectOk(await renew(token));
    expect(Object.keys(body).sort()).toEqual(["accessToken", "accessTokenMaxTTL", "expiresIn", "tokenType"]);
    expect(body).toMatchObject({ expiresIn: 60, accessTokenMaxTTL: 3600, tokenType: "Bearer" });
    const after = jwtPayload(body.accessToken);
    expect(after.jti).toBe(before.jti);
    expect(after.sub).toBe(before.sub);
    expect(after.first_iat).toBe(before.first_iat);
    expect(after.max_exp).toBe(before.max_exp);
    expect(after.exp).toBeGreaterThan(before.exp);
    expect(after.exp - after.iat).toBe(60);
    // The renewed token is a working token, and so is the old one until its own exp.
    expect(expectOk(await useToken(body.accessToken)).identityDetails.token).toMatchObject({ id: before.jti, expiresAt: after.exp });
    expectOk(await useToken(token));
  });

  it("accepts the form encoding too", async () => {
    const s = await scenario();
    const token = await s.login();
    const res = await call("POST", "/api/v1/auth/token/renew", { form: { accessToken: token }, token: null });
    expect(jwtPayload(expectOk(res).accessToken).jti).toBe(jwtPayload(token).jti);
  });

  it("does not consume a use, and is refused once the token is out of uses", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 2 });
    const token = await s.login();
    expect(expectOk(await useToken(token)).identityDetails.token.usesLeft).toBe(1);
    let current = token;
    for (let i = 0; i < 3; i++) current = expectOk(await renew(current)).accessToken;
    expect(expectOk(await useToken(current)).identityDetails.token.usesLeft).toBe(0);
    expectRefusal(await useToken(current), 401, "token_uses_exhausted");
    expectRefusal(await renew(current), 401, "token_uses_exhausted");
    expectRefusal(await renew(token), 401, "token_uses_exhausted");
  });

  it("never extends past the max TTL, and is refused once it is reached", async () => {
    const s = await scenario({ accessTokenTTL: 2, accessTokenMaxTTL: 3 });
    const issued = await s.loginWith();
    const token = expectIssued(issued);
    expect(issued.body).toMatchObject({ expiresIn: 2, accessTokenMaxTTL: 3 });
    const first = jwtPayload(token);
    expect(first.max_exp).toBe(first.iat + 3);
    freezeClockAt(first.iat + 1);
    const once = expectOk(await renew(token));
    expect(jwtPayload(once.accessToken).exp).toBe(first.iat + 3);
    freezeClockAt(first.iat + 2);
    // now + TTL would pass max_exp: capped at max_exp, and expiresIn says so.
    const twice = expectOk(await renew(once.accessToken));
    const renewed = jwtPayload(twice.accessToken);
    expect(renewed.exp).toBe(first.max_exp);
    expect(twice.expiresIn).toBe(renewed.exp - renewed.iat);
    expect(twice.expiresIn).toBe(1);
    expect(twice.accessTokenMaxTTL).toBe(3);
    freezeClockAt(first.max_exp);
    expectRefusal(await renew(twice.accessToken), 401, "token_max_ttl_reached");
    expectRefusal(await renew(once.accessToken), 401, "token_max_ttl_reached");
    expectRefusal(await renew(token), 401, "token_max_ttl_reached");
    expectRefusal(await useToken(twice.accessToken), 401, "access_token_expired");
  });

  it("is refused for an expired token (renew before expiresIn runs out, or log in again)", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const token = await s.login();
    advanceClockTo(jwtPayload(token).exp);
    expectRefusal(await renew(token), 401, "access_token_expired");
  });

  it("refuses garbage and missing tokens", async () => {
    expectRefusal(await renew("a.b.c"), 401, "access_token_invalid");
    expectRefusal(await renew("x".repeat(9000)), 422, "invalid_request");
    expectRefusal(await call("POST", "/api/v1/auth/token/renew", { body: {}, token: null }), 422, "invalid_request");
  });
});

describe("TTL", () => {
  it("a token is refused from its exp on, with no clock leeway (we issue it, we know its clock)", async () => {
    const s = await scenario({ accessTokenTTL: 600, accessTokenMaxTTL: 3600 });
    const issued = await s.loginWith();
    const token = expectIssued(issued);
    expect(issued.body.expiresIn).toBe(600);
    const { exp } = jwtPayload(token);
    expectOk(await useToken(token));
    advanceClockTo(exp - 1); // its last second
    expectOk(await useToken(token));
    expectOk(await whoami(token));
    advanceClockTo(exp);
    expectRefusal(await useToken(token), 401, "access_token_expired");
    expectRefusal(await whoami(token), 401, "access_token_expired");
  });

  it.each([
    { ttl: 600, maxTtl: 3600, expiresIn: 600, accessTokenMaxTTL: 3600 },
    { ttl: 3600, maxTtl: 3600, expiresIn: 3600, accessTokenMaxTTL: 3600 },
    { ttl: 0, maxTtl: 3600, expiresIn: 3600, accessTokenMaxTTL: 3600 },
    { ttl: 600, maxTtl: 0, expiresIn: 600, accessTokenMaxTTL: CEILING },
    { ttl: 0, maxTtl: 0, expiresIn: CEILING, accessTokenMaxTTL: CEILING },
    { ttl: 315_360_000, maxTtl: 315_360_000, expiresIn: CEILING, accessTokenMaxTTL: CEILING },
    { ttl: 600, maxTtl: 315_360_000, expiresIn: 600, accessTokenMaxTTL: CEILING },
  ])("TTL $ttl, max TTL $maxTtl -> expiresIn $expiresIn, accessTokenMaxTTL $accessTokenMaxTTL", async (row) => {
    expect(CEILING).toBe(2_592_000); // wrangler.toml's TOKEN_MAX_LIFETIME_SECONDS
    const s = await scenario({ accessTokenTTL: row.ttl, accessTokenMaxTTL: row.maxTtl });
    const issued = await s.loginWith();
    const token = expectIssued(issued);
    expect(issued.body).toMatchObject({ expiresIn: row.expiresIn, accessTokenMaxTTL: row.accessTokenMaxTTL });
    const claims = jwtPayload(token);
    expect(claims.exp - claims.iat).toBe(row.expiresIn);
    expect(claims.max_exp - claims.first_iat).toBe(row.accessTokenMaxTTL);
    // True seconds: what is left now, give or take the second that may have ticked since.
    expect(claims.exp - nowSeconds()).toBeGreaterThanOrEqual(row.expiresIn - 1);
    expect(claims.exp - nowSeconds()).toBeLessThanOrEqual(row.expiresIn);
    expect(expectOk(await useToken(token)).identityDetails.token.expiresAt).toBe(claims.exp);
  });
});

describe("GET /api/v1/identities/details", () => {
  it("returns the identity, its organization and project memberships", async () => {
    const s = await scenario({}, { role: "member" });
    const { identity, org } = s;
    const token = await s.login();
    const body = expectOk(await useToken(token));
    expect(body.identityDetails).toMatchObject({
      organization: { id: org.id, name: org.name, slug: org.slug },
      identity: { id: identity.id, orgId: org.id, role: "member", authMethods: ["oidc-auth"] },
      projectMemberships: [],
      token: { id: jwtPayload(token).jti, expiresAt: jwtPayload(token).exp, usesLeft: null },
    });
    expect(body.identityDetails.identity).not.toHaveProperty("stateObject");
  });

  it("refuses a missing, malformed or foreign token", async () => {
    const missing = await call("GET", "/api/v1/identities/details", { token: null });
    expectRefusal(missing, 401, "credentials_missing");
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expectRefusal(await useToken("a.b.c"), 401, "access_token_invalid");
    expectRefusal(await useToken(env.ADMIN_API_KEY!), 401, "access_token_invalid");
    // A limited token edited to "unlimited", signature kept.
    const s = await scenario({ accessTokenNumUsesLimit: 1 });
    const token = await s.login();
    const [h, p, sig] = token.split(".");
    const payload = btoa(JSON.stringify({ ...jwtPayload(token), uses: 0 }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    expect(payload).not.toBe(p);
    expectRefusal(await useToken(`${h}.${payload}.${sig}`), 401, "access_token_invalid");
    expectOk(await useToken(token));
    expectRefusal(await useToken(token), 401, "token_uses_exhausted");
  });
});
