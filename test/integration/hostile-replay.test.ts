// Replay protection (issue 4, docs/security.md "Token theft"): with `replayProtection` on, an ID token logs
// in to an identity once, recorded atomically in the identity's Durable Object; off (the default), the login
// path touches no Durable Object.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getIdentity } from "../../src/storage/identities";
import type { TokenStateObject } from "../../src/tokens/token-state-object";
import { jwtPayload, login, ok, setupIdentity } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario } from "../support/scenario";
import { tally } from "../support/tokens";

/** The identity's own token-state object, which keeps its replay records (its tokens are on its shards). */
async function stubOf(accessToken: string): Promise<DurableObjectStub<TokenStateObject>> {
  const identity = await getIdentity(env.DB, jwtPayload(accessToken).sub);
  if (!identity) throw new Error("no identity");
  return env.TOKEN_STATE.get(env.TOKEN_STATE.idFromString(identity.stateObject));
}

const replayRows = (stub: DurableObjectStub<TokenStateObject>) =>
  runInDurableObject(stub, (_instance: TokenStateObject, state) => {
    const table = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'id_tokens'").toArray();
    if (table.length === 0) return null;
    return state.storage.sql
      .exec<{ iss: string; jti: string; keep_until: number }>("SELECT iss, jti, keep_until FROM id_tokens ORDER BY jti")
      .toArray();
  });

const now = () => Math.floor(Date.now() / 1000);

describe("off (the default)", () => {
  it("admits the same ID token twice and records nothing in the Durable Object", async () => {
    const s = await scenario();
    expect(s.config.replayProtection).toBe(false);
    const jwt = await s.idp.mint(gitlabClaims());
    const first = expectIssued(await s.loginJwt(jwt));
    expectIssued(await s.loginJwt(jwt));
    expect(await replayRows(await stubOf(first))).toBeNull(); // the table was never even created
  });
});

describe("on", () => {
  it("refuses a second login with the same ID token (token_replayed), admits a new one", async () => {
    const s = await scenario({ replayProtection: true });
    const jwt = await s.idp.mint(gitlabClaims());
    const access = expectIssued(await s.loginJwt(jwt));
    expectRefusal(await s.loginJwt(jwt), 401, "token_replayed", { secrets: [jwt] });
    expectRefusal(await s.loginJwt(jwt, { form: true }), 401, "token_replayed", { secrets: [jwt] });
    await s.login();
    const { jti, exp } = jwtPayload(jwt);
    const rows = await replayRows(await stubOf(access));
    expect(rows).toHaveLength(2);
    expect(rows).toContainEqual({ iss: s.idp.issuer, jti, keep_until: exp + 30 });
  });

  it("of 25 concurrent logins with one ID token, exactly one succeeds", async () => {
    const s = await scenario({ replayProtection: true });
    const jwt = await s.idp.mint(gitlabClaims());
    // Distinct client addresses: the failed-login rate limit is not what this test is about.
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => login(s.identity.id, jwt, { ip: `192.0.2.${i + 1}` })));
    expect(tally(results)).toEqual({ "200": 1, "401 token_replayed": 24 });
  });

  it("records a token only once it passed every rule: a refused login does not spend it", async () => {
    const s = await scenario({ replayProtection: true, boundClaims: { ref_protected: "false" } });
    const jwt = await s.idp.mint(gitlabClaims()); // ref_protected: "true"
    expectRefusal(await s.loginJwt(jwt), 401, "claim_not_allowed: ref_protected", { secrets: [jwt] });
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { boundClaims: { ref_protected: "true" } } });
    expectIssued(await s.loginJwt(jwt));
    expectRefusal(await s.loginJwt(jwt), 401, "token_replayed", { secrets: [jwt] });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ["without jti", {}, ["jti"]],
    ["with an empty jti", { jti: "" }, []],
    ["with a numeric jti", { jti: 12345 }, []],
    ["with a jti over 256 characters", { jti: "j".repeat(257) }, []],
  ])("refuses a token %s (jti_required)", async (_name, claims, omit) => {
    const s = await scenario({ replayProtection: true });
    const res = await s.loginWith(claims, { omit });
    expectRefusal(res, 401, "jti_required", { secrets: [res.jwt] });
  });

  it("admits a token without jti when replay protection is off", async () => {
    const s = await scenario();
    const res = await s.loginWith({}, { omit: ["jti"] });
    expect(jwtPayload(res.jwt)).not.toHaveProperty("jti");
    expectIssued(res);
  });

  it("is scoped to the identity: one token may log in once to each identity that accepts it", async () => {
    const s = await scenario({ replayProtection: true });
    const second = await setupIdentity(s.idp.issuer, { replayProtection: true });
    const jwt = await s.idp.mint(gitlabClaims());
    expectIssued(await s.loginJwt(jwt));
    expectIssued(await login(second.identity.id, jwt));
    expectRefusal(await login(second.identity.id, jwt), 401, "token_replayed", { secrets: [jwt] });
  });

  it("turning it on applies to the next login; turning it off admits replays again", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    expectIssued(await s.loginJwt(jwt));
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { replayProtection: true } });
    expectIssued(await s.loginJwt(jwt)); // not recorded while it was off
    expectRefusal(await s.loginJwt(jwt), 401, "token_replayed", { secrets: [jwt] });
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { replayProtection: false } });
    expectIssued(await s.loginJwt(jwt));
  });
});

describe("the record in the Durable Object", () => {
  it("lives until the ID token's exp plus the leeway, then the alarm removes it", async () => {
    const s = await scenario({ replayProtection: true });
    const stub = await stubOf(await s.login());
    const iss = s.idp.issuer;
    // A token that expired 31 s ago is past exp + leeway: its record may go (and the same jti is free again).
    expect(await stub.claimIdToken(iss, "old", now() - 31)).toEqual({ ok: true });
    expect(await stub.claimIdToken(iss, "old", now() - 31)).toEqual({ ok: true });
    // One still inside the leeway is live.
    expect(await stub.claimIdToken(iss, "recent", now() - 5)).toEqual({ ok: true });
    expect(await stub.claimIdToken(iss, "recent", now() - 5)).toMatchObject({ ok: false, reason: "token_replayed" });
    // The issuer is part of the key.
    expect(await stub.claimIdToken(`${iss}/other`, "recent", now() - 5)).toEqual({ ok: true });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = (await replayRows(stub))!.map((r) => r.jti);
    expect(left).not.toContain("old");
    expect(left).toContain("recent");
  });

  it("keeps an absurd exp without breaking the alarm", async () => {
    const s = await scenario({ replayProtection: true });
    const stub = await stubOf(await s.login());
    expect(await stub.claimIdToken(s.idp.issuer, "forever", 1e15)).toEqual({ ok: true });
    expect(await stub.claimIdToken(s.idp.issuer, "forever", 1e15)).toMatchObject({ ok: false, reason: "token_replayed" });
    const alarm = await runInDurableObject(stub, (_i: TokenStateObject, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + 366 * 86_400_000);
  });
});
