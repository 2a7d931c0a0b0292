// Live tokens follow the configuration: after an admin changes an identity's OIDC Auth configuration, each
// access token is admitted on use, renew and over RPC only while the new configuration would still admit
// the ID token it was issued for (docs/architecture.md, "How configuration changes reach live tokens").
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ISSUANCE_WINDOW_MS } from "../../src/tokens/admission";
import { MAX_ACCESS_TOKEN_LENGTH, signAccessToken, type AccessTokenClaims } from "../../src/tokens/access-token";
import { loadSigningKeys } from "../../src/tokens/signing-keys";
import { TokenStateObject } from "../../src/tokens/token-state-object";
import { jwtPayload, ok } from "../support/api";
import { advanceClock, nowSeconds } from "../support/clock";
import { createIdp, gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, GITLAB_SUBJECT, scenario } from "../support/scenario";
import { expectOk, renew, tally, useToken, whoami } from "../support/tokens";

const BRANCH_SUBJECT = (ref: string) => `project_path:mygroup/myproject:ref_type:branch:ref:${ref}`;

const patchOidc = (identityId: string, body: Record<string, unknown>) =>
  ok("PATCH", `/api/v1/auth/oidc-auth/identities/${identityId}`, { body });

/** Logs in with a GitLab-shaped ID token with these claims; the access token. */
async function loginAs(s: Awaited<ReturnType<typeof scenario>>, claims: Record<string, unknown>): Promise<string> {
  return expectIssued(await s.loginWith(claims));
}

/** Admitted on use over HTTP, over RPC, and on renew (whose new token is admitted too). */
async function expectAdmitted(token: string): Promise<void> {
  expectOk(await useToken(token));
  expect((await whoami(token)).body).toMatchObject({ ok: true });
  expectOk(await useToken(expectOk(await renew(token)).accessToken));
}

/** Refused with 401 binding_changed on use over HTTP, over RPC, and on renew. */
async function expectBindingChanged(token: string): Promise<void> {
  expectRefusal(await useToken(token), 401, "binding_changed");
  expectRefusal(await whoami(token), 401, "binding_changed");
  expectRefusal(await renew(token), 401, "binding_changed");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a configuration change reaches live tokens", () => {
  it("a condition on a claim the snapshot left out refuses the token: the re-check never admits what a login would not", async () => {
    const s = await scenario();
    // A nonce is left out of every snapshot; a 600-character claim is over the snapshot's value bound.
    const withNonce = await loginAs(s, { nonce: "n-123" });
    const withBig = await loginAs(s, { big: "b".repeat(600) });
    const plain = await loginAs(s, {});
    expect(jwtPayload(withNonce).idd).toEqual(["nonce"]);
    expect(jwtPayload(withBig).idd).toEqual(["big"]);
    expect(jwtPayload(plain).idd).toEqual([]);

    await patchOidc(s.identity.id, { condition: "!has(claims.nonce) && !has(claims.big)" });
    // A login with either claim is refused now, and so is the token of such a login.
    expectRefusal(await s.loginWith({ nonce: "n-123" }), 401, "condition_failed");
    await expectBindingChanged(withNonce);
    await expectBindingChanged(withBig);
    // A token whose ID token had neither is still admitted: the snapshot says it had none.
    await expectAdmitted(plain);
  });

  it("narrowing boundSubject refuses the tokens it no longer admits, on use, renew and RPC; the others keep working", async () => {
    const s = await scenario({ boundSubject: BRANCH_SUBJECT("*") });
    const main = await loginAs(s, { sub: BRANCH_SUBJECT("main") });
    const dev = await loginAs(s, { sub: BRANCH_SUBJECT("dev"), ref: "dev" });
    const devRenewed = expectOk(await renew(dev)).accessToken;
    await expectAdmitted(main);
    await expectAdmitted(dev);

    await patchOidc(s.identity.id, { boundSubject: BRANCH_SUBJECT("main") });
    await expectBindingChanged(dev);
    await expectBindingChanged(devRenewed);
    await expectAdmitted(main);
    // New logins follow the new rules as before.
    expectRefusal(await s.loginWith({ sub: BRANCH_SUBJECT("dev") }), 401, "subject_not_allowed");
  });

  it("loosening the configuration keeps every token working", async () => {
    const s = await scenario({ boundSubject: BRANCH_SUBJECT("main"), boundClaims: { ref_protected: "true" } });
    const token = await s.login();
    await patchOidc(s.identity.id, { boundSubject: BRANCH_SUBJECT("*"), boundClaims: {} });
    await expectAdmitted(token);
    await patchOidc(s.identity.id, { boundAudiences: "https://edge-oidc-auth.example, https://other.example" });
    await expectAdmitted(token);
  });

  it("boundAudiences: a token whose aud the new patterns miss is refused, one with a matching aud is not", async () => {
    const s = await scenario();
    const only = await s.login();
    const both = await loginAs(s, { aud: ["https://edge-oidc-auth.example", "https://secrets.example"] });
    await patchOidc(s.identity.id, { boundAudiences: "https://secrets.*" });
    await expectBindingChanged(only);
    await expectAdmitted(both);
  });

  it("boundClaims: a changed pattern, or a claim now bound that the token lacks, refuses the token", async () => {
    const s = await scenario({ boundClaims: { ref_protected: "true,false" } });
    const protectedRef = await s.login();
    const unprotected = await loginAs(s, { ref_protected: "false" });
    await patchOidc(s.identity.id, { boundClaims: { ref_protected: "true" } });
    await expectBindingChanged(unprotected);
    await expectAdmitted(protectedRef);

    // A newly bound claim, read through a dot path in one token, absent from the other.
    const nested = await loginAs(s, { deployment: { tier: "production" } });
    await patchOidc(s.identity.id, { boundClaims: { ref_protected: "true", "deployment.tier": "production" } });
    await expectAdmitted(nested);
    await expectBindingChanged(protectedRef);
  });

  it("condition: a condition added or narrowed refuses the tokens whose ID token it would refuse", async () => {
    const s = await scenario();
    const tag = await loginAs(s, { ref_type: "tag", ref: "v1.2.3" });
    const branch = await s.login();
    await patchOidc(s.identity.id, { condition: 'claims.ref_type == "tag" && claims.ref.matches("^v[0-9]+[.][0-9]+[.][0-9]+$")' });
    await expectBindingChanged(branch);
    await expectAdmitted(tag);
    await patchOidc(s.identity.id, { condition: 'claims.ref == "v2.0.0"' });
    await expectBindingChanged(tag);
  });

  it("reverting the change revives the refused tokens, with the uses they had: a refusal consumed nothing", async () => {
    const s = await scenario({ boundSubject: BRANCH_SUBJECT("*"), accessTokenNumUsesLimit: 3 });
    const dev = await loginAs(s, { sub: BRANCH_SUBJECT("dev") });
    expect(expectOk(await useToken(dev)).identityDetails.token.usesLeft).toBe(2);
    await patchOidc(s.identity.id, { boundSubject: BRANCH_SUBJECT("main") });
    const refused = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? useToken(dev) : whoami(dev))));
    expect(tally(refused)).toEqual({ "401 binding_changed": 20 });
    await patchOidc(s.identity.id, { boundSubject: BRANCH_SUBJECT("*") });
    expect(expectOk(await useToken(dev)).identityDetails.token.usesLeft).toBe(1);
  });
});

describe("issuer and key source", () => {
  it("a new issuer ends every token, even one whose claims the new rules would admit", async () => {
    const s = await scenario();
    const token = await s.login();
    const other = createIdp();
    await patchOidc(s.identity.id, { boundIssuer: other.issuer, oidcDiscoveryUrl: other.discoveryUrl });
    await expectBindingChanged(token);
    // The new issuer's tokens log in and work.
    const fresh = expectIssued(await s.loginJwt(await other.mint(gitlabClaims())));
    await expectAdmitted(fresh);
  });

  it("a new key source ends every token: jwksUrl (even naming the very keys discovery found), then jwksJson", async () => {
    const s = await scenario();
    const first = await s.login();
    await patchOidc(s.identity.id, { jwksUrl: s.idp.jwksUrl });
    await expectBindingChanged(first);

    const second = await s.login();
    await expectAdmitted(second);
    const pair = await s.idp.jwkPair("ES256");
    await patchOidc(s.identity.id, { jwksJson: JSON.stringify({ keys: [pair.publicJwk] }) });
    await expectBindingChanged(second);
    // The refusal says why: the keys, not a rule the ID token fails.
    expect((await useToken(second)).body.message).toContain("the issuer's keys now come from another source");
  });

  it("a key source changed back admits again the tokens verified against it, as any change back does", async () => {
    const s = await scenario();
    const token = await s.login();
    await patchOidc(s.identity.id, { jwksUrl: s.idp.jwksUrl });
    await expectBindingChanged(token);
    await patchOidc(s.identity.id, { jwksUrl: null });
    await expectAdmitted(token);
  });
});

describe("changes that do not touch the bindings", () => {
  it("a new TTL, max uses or trusted IPs leave matching tokens working (trusted IPs still apply)", async () => {
    const s = await scenario({ boundSubject: BRANCH_SUBJECT("*") });
    const token = await s.login();
    await patchOidc(s.identity.id, { accessTokenTTL: 600, accessTokenMaxTTL: 7200, accessTokenNumUsesLimit: 50 });
    await expectAdmitted(token);
    await patchOidc(s.identity.id, { accessTokenTrustedIps: [{ ipAddress: "203.0.113.0/24" }] });
    expectOk(await useToken(token, { ip: "203.0.113.7" }));
    expectRefusal(await useToken(token, { ip: "198.51.100.9" }), 403, "ip_not_trusted");
  });

  it("a detach and an identity's deletion keep their own reasons", async () => {
    const s = await scenario();
    const token = await s.login();
    await patchOidc(s.identity.id, { boundSubject: BRANCH_SUBJECT("dev") });
    await expectBindingChanged(token);
    await ok("DELETE", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`);
    expectRefusal(await useToken(token), 401, "auth_method_removed");
    await ok("DELETE", `/api/v1/identities/${s.identity.id}`);
    expectRefusal(await useToken(token), 401, "identity_not_found");
  });
});

describe("max uses stay exact across a change", () => {
  it("concurrent uses right after a change: exactly the uses left succeed, over HTTP and RPC", async () => {
    const s = await scenario({ boundSubject: BRANCH_SUBJECT("*"), accessTokenNumUsesLimit: 5 });
    const token = await s.login();
    expectOk(await useToken(token));
    expectOk(await useToken(token));
    await patchOidc(s.identity.id, { boundSubject: `${BRANCH_SUBJECT("*")}n` }); // main still matches
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? useToken(token) : whoami(token))));
    expect(tally(results)).toEqual({ "200": 3, "401 token_uses_exhausted": 37 });
  });
});

describe("cost", () => {
  it("a hot token costs its identity's object one extra round trip per change, not per use", async () => {
    const s = await scenario({ boundSubject: BRANCH_SUBJECT("*") });
    const token = await s.login();
    const use = vi.spyOn(TokenStateObject.prototype, "use");
    const calls = async (n: number) => {
      use.mockClear();
      for (let i = 0; i < n; i++) expectOk(await useToken(token));
      return use.mock.calls.length;
    };
    expect(await calls(3)).toBe(3); // issued under the current configuration: one call per use
    await patchOidc(s.identity.id, { accessTokenTTL: 600 });
    expect(await calls(3)).toBe(4); // the first use brings the snapshot when asked for it
    expect(use.mock.calls.map(([ref]) => ref.issuedFor !== undefined)).toEqual([false, true, false, false]);
    await patchOidc(s.identity.id, { accessTokenTTL: 900 });
    expect(await calls(2)).toBe(3);
  });

  it("the login path calls no Durable Object and, with a warm login context, no D1", async () => {
    const s = await scenario();
    await s.login(); // warms this isolate's login context and issuer keys
    const objectCalls = (["use", "renew", "revoke", "claimIdToken", "policyChanged"] as const).map((method) =>
      vi.spyOn(TokenStateObject.prototype, method),
    );
    const d1 = Object.getPrototypeOf(env.DB) as D1Database;
    const d1Calls = (["prepare", "batch", "exec"] as const).map((method) => vi.spyOn(d1, method));
    const jwt = await s.idp.mint(gitlabClaims());
    const token = expectIssued(await s.loginJwt(jwt));
    // Read before anything else runs: the ledger and audit rows are written a second later, after the response.
    expect(objectCalls.map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0, 0, 0]);
    expect(d1Calls.map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0]);
    expectOk(await useToken(token));
    expect(objectCalls[0]!.mock.calls.length).toBe(1);
  });

  it("a GitLab-shaped token carries its snapshot; the largest snapshot with the largest metadata still fits", async () => {
    const s = await scenario();
    const token = await s.login();
    const claims = jwtPayload(token);
    expect(claims.idc).toMatchObject({ sub: GITLAB_SUBJECT, project_path: "mygroup/myproject", iss: s.idp.issuer });
    expect(claims.kfp).toMatch(/^[\w-]{22}$/);
    expect(claims.cfp).toMatch(/^[\w-]{22}$/);
    expect(token.length).toBeLessThan(2500);

    // Metadata and snapshot both at their bounds, of 2-byte characters (the bounds count characters): the
    // token must still be one we accept back, and what it keeps of the snapshot still decides.
    const mapping = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`m${i}`, `long${i}`]));
    const big = await scenario({ claimMetadataMapping: mapping });
    const long = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`long${i}`, "é".repeat(256)]));
    const heavy = await loginAs(big, long);
    expect(heavy.length).toBeLessThanOrEqual(MAX_ACCESS_TOKEN_LENGTH);
    const kept = Object.keys(jwtPayload(heavy).idc);
    expect(kept).toContain("sub");
    expect(kept.filter((k) => k.startsWith("long")).length).toBeLessThan(8); // the last claims were dropped
    await expectAdmitted(heavy);
    await patchOidc(big.identity.id, { accessTokenTTL: 600 });
    await expectAdmitted(heavy);
  });
});

describe("tokens issued before access tokens carried their ID token's claims", () => {
  /** A token as this service signed them before: the same claims, without idc, kfp and cfp. */
  async function legacyToken(like: string): Promise<string> {
    const { iss: _iss, aud: _aud, idc: _idc, kfp: _kfp, cfp: _cfp, ...claims } = jwtPayload(like);
    const now = nowSeconds();
    const legacy = { ...claims, jti: crypto.randomUUID(), iat: now, first_iat: now, exp: now + 3600, max_exp: now + 7200 };
    return signAccessToken(await loadSigningKeys(env.SIGNING_KEYS), legacy as AccessTokenClaims);
  }

  it("work until the configuration changes, then are refused (nothing to re-check them with)", async () => {
    const s = await scenario();
    const like = await s.login();
    advanceClock(ISSUANCE_WINDOW_MS / 1000 + 1); // the configuration is older than the window
    const token = await legacyToken(like);
    expect(jwtPayload(token).idc).toBeUndefined();
    await expectAdmitted(token);
    await patchOidc(s.identity.id, { accessTokenTTL: 600 }); // even a change their claims would pass
    await expectBindingChanged(token);
  });

  it("are refused when the configuration changed shortly before they were issued: a stale login may have admitted them", async () => {
    const s = await scenario();
    const like = await s.login();
    expectRefusal(await useToken(await legacyToken(like)), 401, "binding_changed");
  });
});
