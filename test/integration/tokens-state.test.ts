// The identity's token-state Durable Object itself: its rows, its cleanup alarm, its own expiry guard,
// and that its state is durable (survives eviction of the instance).
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { jwtPayload, ok } from "../support/api";
import type { TokenStateObject } from "../../src/tokens/token-state-object";
import { tokenRef, type TokenRef } from "../../src/tokens/token-ref";
import type { AccessTokenClaims } from "../../src/tokens/access-token";
import { expectOk, expectRefusal, loggedIn, nowSeconds, renew, revoke, sleepUntil, useToken, whoami } from "../support/tokens";

const stubOf = (token: string): DurableObjectStub<TokenStateObject> =>
  env.TOKEN_STATE.get(env.TOKEN_STATE.idFromString(jwtPayload(token).sob));

const refOf = (token: string): TokenRef => tokenRef(jwtPayload(token) as AccessTokenClaims);

function rows(stub: DurableObjectStub<TokenStateObject>) {
  return runInDurableObject(stub, (_instance: TokenStateObject, state) =>
    state.storage.sql
      .exec<{ jti: string; uses: number; expires_at: number; revoked_at: number | null }>(
        "SELECT jti, uses, expires_at, revoked_at FROM tokens ORDER BY expires_at",
      )
      .toArray(),
  );
}

const alarmOf = (stub: DurableObjectStub<TokenStateObject>) =>
  runInDurableObject(stub, (_instance: TokenStateObject, state) => state.storage.getAlarm());

describe("token state Durable Object", () => {
  it("one object per identity, named by the signed `sob` claim; login creates no state, the first use does", async () => {
    const a = await loggedIn();
    const second = await a.relogin();
    const b = await loggedIn();
    expect(jwtPayload(second).sob).toBe(jwtPayload(a.token).sob);
    expect(jwtPayload(b.token).sob).not.toBe(jwtPayload(a.token).sob);
    const stub = stubOf(a.token);
    expect(await rows(stub)).toEqual([]);
    expectOk(await useToken(a.token));
    expect((await rows(stub)).map((r) => r.jti)).toEqual([jwtPayload(a.token).jti]);
  });

  it("the alarm deletes the rows of expired tokens and keeps the others", async () => {
    const { token: long, identity, relogin } = await loggedIn({ accessTokenTTL: 3600, accessTokenMaxTTL: 7200 });
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${identity.id}`, { body: { accessTokenTTL: 2, accessTokenMaxTTL: 60 } });
    const short = await relogin();
    const stub = stubOf(short);
    // Create both rows; revoke the long one (a revoked, live token's row must stay: it is what refuses it).
    expectOk(await useToken(short));
    expectOk(await useToken(long));
    expectOk(await revoke(long));
    expect((await rows(stub)).map((r) => r.jti)).toEqual([jwtPayload(short).jti, jwtPayload(long).jti]);
    expect(await alarmOf(stub)).toBe((jwtPayload(short).exp + 1) * 1000);

    await sleepUntil(jwtPayload(short).exp + 1);
    // The alarm may already have fired by itself; either way one runs now and the result is the same.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await rows(stub);
    expect(left.map((r) => r.jti)).toEqual([jwtPayload(long).jti]);
    expect(left[0]!.revoked_at).not.toBeNull();
    expect(await alarmOf(stub)).toBe((jwtPayload(long).exp + 1) * 1000);

    // The cleaned-up token stays dead, and the revoked one stays revoked.
    expectRefusal(await useToken(short), 401, "access_token_expired");
    expectRefusal(await renew(short), 401, "access_token_expired");
    expectRefusal(await useToken(long), 401, "token_revoked");
  });

  it("with nothing left to clean, no alarm stays scheduled", async () => {
    const { token } = await loggedIn({ accessTokenTTL: 2, accessTokenMaxTTL: 60 });
    const stub = stubOf(token);
    expectOk(await useToken(token));
    await sleepUntil(jwtPayload(token).exp + 1);
    await runDurableObjectAlarm(stub);
    expect(await rows(stub)).toEqual([]);
    expect(await alarmOf(stub)).toBeNull();
  });

  it("refuses an expired token itself, without creating a row (a use that passed the Worker's check just before exp)", async () => {
    const { token } = await loggedIn({ accessTokenTTL: 1, accessTokenMaxTTL: 60 });
    const stub = stubOf(token);
    await sleepUntil(jwtPayload(token).exp);
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: false, reason: "access_token_expired" });
    expect(await stub.renew(refOf(token), null, 2_592_000)).toMatchObject({ ok: false, reason: "access_token_expired" });
    expect(await rows(stub)).toEqual([]);
  });

  it("refuses renewal at the max TTL itself", async () => {
    const { token } = await loggedIn({ accessTokenTTL: 60, accessTokenMaxTTL: 60 });
    const stub = stubOf(token);
    const ref = { ...refOf(token), maxExp: nowSeconds() }; // as if max_exp had passed
    expect(await stub.renew(ref, null, 2_592_000)).toMatchObject({ ok: false, reason: "token_max_ttl_reached" });
  });

  it("is exact when called directly and concurrently", async () => {
    const { token } = await loggedIn({ accessTokenNumUsesLimit: 3 });
    const stub = stubOf(token);
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => stub.use(refOf(token), null)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.ok && o.reason === "token_uses_exhausted")).toHaveLength(47);
    expect((await rows(stub))[0]!.uses).toBe(3);
  });

  it("uses and revocations are durable: they survive eviction of the instance", async () => {
    const { token, relogin } = await loggedIn({ accessTokenNumUsesLimit: 2 });
    const revoked = await relogin();
    const stub = stubOf(token);
    expectOk(await useToken(token));
    expectOk(await revoke(revoked));
    await evictDurableObject(stub);
    expect(expectOk(await useToken(token)).identityDetails.token.usesLeft).toBe(0);
    expectRefusal(await useToken(token), 401, "token_uses_exhausted");
    expectRefusal(await useToken(revoked), 401, "token_revoked");
  });

  it("reloads the policy after eviction and after policyChanged()", async () => {
    const { token, identity } = await loggedIn({}, "member");
    const stub = stubOf(token);
    expectOk(await useToken(token));
    // Change D1 behind the object's back: the cached policy is still used...
    await env.DB.prepare("UPDATE identities SET role = 'admin' WHERE id = ?").bind(identity.id).run();
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "member" } });
    // ...until the admin path's notification.
    await stub.policyChanged();
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "admin" } });
    await env.DB.prepare("UPDATE identities SET role = 'no-access' WHERE id = ?").bind(identity.id).run();
    await evictDurableObject(stub);
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "no-access" } });
  });

  it("a failing object or policy read is a 503 to retry, never a 500 and never an admission", async () => {
    const { token, identity } = await loggedIn();
    expectOk(await useToken(token));
    await env.DB.prepare("UPDATE identity_oidc_auths SET access_token_trusted_ips = 'not json' WHERE identity_id = ?")
      .bind(identity.id)
      .run();
    await stubOf(token).policyChanged();
    const res = await useToken(token);
    expectRefusal(res, 503, "token_state_unavailable");
    expect(res.headers.get("retry-after")).toBe("1");
    expectRefusal(await renew(token), 503, "token_state_unavailable");
    expect((await whoami(token)).body).toMatchObject({ ok: false, status: 503, reasonCode: "token_state_unavailable" });
    // Repaired: the next use reloads and works (a failed load is not cached).
    await env.DB.prepare("UPDATE identity_oidc_auths SET access_token_trusted_ips = ? WHERE identity_id = ?")
      .bind(JSON.stringify([{ ipAddress: "0.0.0.0/0" }, { ipAddress: "::/0" }]), identity.id)
      .run();
    expectOk(await useToken(token));
  });
});
