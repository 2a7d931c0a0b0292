// The identity's token-state Durable Object itself: its rows, its cleanup alarm, its own expiry guard,
// and that its state is durable (survives eviction of the instance).
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { AccessTokenClaims } from "../../src/tokens/access-token";
import { POLICY_MAX_AGE_MS, POLICY_REFRESH_AHEAD_MS, type TokenStateObject } from "../../src/tokens/token-state-object";
import { tokenRef, type TokenRef } from "../../src/tokens/token-ref";
import { identityStateObjects, shardObjectId, shardOf } from "../../src/tokens/token-state-client";
import { getIdentity } from "../../src/storage/identities";
import { jwtPayload, ok } from "../support/api";
import { advanceClock, advanceClockTo } from "../support/clock";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";
import { expectOk, renew, revoke, useToken, whoami } from "../support/tokens";

const stubOf = (token: string): DurableObjectStub<TokenStateObject> =>
  env.TOKEN_STATE.get(env.TOKEN_STATE.idFromString(jwtPayload(token).sob));

const getIdentityRecord = async (id: string) => {
  const identity = await getIdentity(env.DB, id);
  if (!identity) throw new Error(`no identity ${id}`);
  return identity;
};

const refOf = (token: string): TokenRef => tokenRef(jwtPayload(token) as AccessTokenClaims);

/** The object's token rows; none when it never held a token (the table is created on first need). */
function rows(stub: DurableObjectStub<TokenStateObject>) {
  return runInDurableObject(stub, (_instance: TokenStateObject, state) => {
    const sql = state.storage.sql;
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tokens'").toArray().length === 0) return [];
    return sql
      .exec<{ jti: string; uses: number; expires_at: number; revoked_at: number | null }>(
        "SELECT jti, uses, expires_at, revoked_at FROM tokens ORDER BY expires_at",
      )
      .toArray();
  });
}

const alarmOf = (stub: DurableObjectStub<TokenStateObject>) =>
  runInDurableObject(stub, (_instance: TokenStateObject, state) => state.storage.getAlarm());

describe("token state Durable Object", () => {
  it("a token's state is in its identity's shard named by the signed `sob` claim; login creates no state, the first use does", async () => {
    const a = await scenario();
    const b = await scenario();
    const identityObject = (await getIdentityRecord(a.identity.id)).stateObject;
    const tokens = await Promise.all(Array.from({ length: 8 }, () => a.login()));
    const other = await b.login();
    for (const token of tokens) {
      const { sob, jti } = jwtPayload(token);
      expect(sob).toBe(shardObjectId(env, identityObject, shardOf(jti)));
      expect(identityStateObjects(env, identityObject)).toContain(sob);
    }
    expect(new Set(tokens.map((t) => jwtPayload(t).sob)).size).toBeGreaterThan(1); // 8 tokens on one of 16 shards: p = 16^-7
    expect(identityStateObjects(env, identityObject)).not.toContain(jwtPayload(other).sob);
    const first = tokens[0]!;
    const stub = stubOf(first);
    expect(await rows(stub)).toEqual([]);
    expectOk(await useToken(first));
    expect((await rows(stub)).map((r) => r.jti)).toEqual([jwtPayload(first).jti]);
    // The identity's own object holds nothing of a sharded token.
    expect(await rows(env.TOKEN_STATE.get(env.TOKEN_STATE.idFromString(identityObject)))).toEqual([]);
  });

  it("the alarm deletes the rows of expired tokens and keeps the others", async () => {
    const s = await scenario({ accessTokenTTL: 3600, accessTokenMaxTTL: 7200 });
    const long = await s.login();
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { accessTokenTTL: 60, accessTokenMaxTTL: 600 } });
    const short = await s.login();
    // Create both rows; revoke the long one (a revoked, live token's row must stay: it is what refuses it).
    expectOk(await useToken(short));
    expectOk(await useToken(long));
    expectOk(await revoke(long));
    // Each in its own shard (which may be the same one).
    const shortStub = stubOf(short);
    const longStub = stubOf(long);
    const jtis = async (stub: DurableObjectStub<TokenStateObject>) => (await rows(stub)).map((r) => r.jti);
    expect(await jtis(shortStub)).toContain(jwtPayload(short).jti);
    expect(await jtis(longStub)).toContain(jwtPayload(long).jti);
    expect(await alarmOf(shortStub)).toBe((jwtPayload(short).exp + 1) * 1000);

    // The alarm is set on real time and would fire by itself at that time; run it now instead, with the
    // clock it reads at that time.
    advanceClockTo(jwtPayload(short).exp + 1);
    expect(await runDurableObjectAlarm(shortStub)).toBe(true);
    expect(await jtis(shortStub)).not.toContain(jwtPayload(short).jti);
    const longRow = (await rows(longStub)).find((r) => r.jti === jwtPayload(long).jti);
    expect(longRow?.revoked_at).not.toBeNull();
    expect(await alarmOf(longStub)).toBe((jwtPayload(long).exp + 1) * 1000);

    // The cleaned-up token stays dead, and the revoked one stays revoked.
    expectRefusal(await useToken(short), 401, "access_token_expired");
    expectRefusal(await renew(short), 401, "access_token_expired");
    expectRefusal(await useToken(long), 401, "token_revoked");
  });

  it("with nothing left to clean, no alarm stays scheduled", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const token = await s.login();
    const stub = stubOf(token);
    expectOk(await useToken(token));
    expect(await alarmOf(stub)).toBe((jwtPayload(token).exp + 1) * 1000);
    advanceClockTo(jwtPayload(token).exp + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rows(stub)).toEqual([]);
    expect(await alarmOf(stub)).toBeNull();
  });

  it("refuses an expired token itself, without creating a row (a use that passed the Worker's check just before exp)", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const token = await s.login();
    const stub = stubOf(token);
    advanceClockTo(jwtPayload(token).exp);
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: false, reason: "access_token_expired" });
    expect(await stub.renew(refOf(token), null, 2_592_000)).toMatchObject({ ok: false, reason: "access_token_expired" });
    expect(await rows(stub)).toEqual([]);
  });

  it("refuses renewal at the max TTL itself", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 60 });
    const token = await s.login();
    const stub = stubOf(token);
    advanceClockTo(jwtPayload(token).max_exp);
    expect(await stub.renew(refOf(token), null, 2_592_000)).toMatchObject({ ok: false, reason: "token_max_ttl_reached" });
  });

  it("is exact when called directly and concurrently", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 3 });
    const token = await s.login();
    const stub = stubOf(token);
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => stub.use(refOf(token), null)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.ok && "reason" in o && o.reason === "token_uses_exhausted")).toHaveLength(47);
    expect((await rows(stub))[0]!.uses).toBe(3);
  });

  it("a token without a max-uses limit is not counted: its uses write nothing, and it is still revocable at once", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 0 });
    const token = await s.login();
    const stub = stubOf(token);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => stub.use(refOf(token), null)));
    expect(outcomes.every((o) => o.ok && o.usesLeft === null)).toBe(true);
    expect((await rows(stub)).map((r) => [r.uses, r.revoked_at])).toEqual([[0, null]]);
    expect(await stub.revoke(refOf(token))).toBe(true);
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: false, reason: "token_revoked" });
  });

  it("the rows it keeps in memory always equal its storage, through uses, renewals, revocations and the alarm", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 600, accessTokenNumUsesLimit: 0 });
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { accessTokenNumUsesLimit: 3 } });
    const limited = await s.login();
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { accessTokenNumUsesLimit: 0 } });
    const unlimited = await s.login();
    type Row = { jti: string; uses: number; uses_limit: number; expires_at: number; max_exp: number; revoked_at: number | null };
    // Every row the object keeps in memory, next to the same row read from its storage.
    const compare = async (token: string) => {
      const stub = stubOf(token);
      return runInDurableObject(stub, (instance: TokenStateObject, state) => {
        const kept = (instance as unknown as { cachedRows: Map<string, Row> }).cachedRows;
        return [...kept.values()].map((row) => ({
          kept: { ...row },
          stored: { ...state.storage.sql.exec<Row>("SELECT * FROM tokens WHERE jti = ?", row.jti).toArray()[0] },
        }));
      });
    };
    const expectInStep = async (token: string) => {
      for (const { kept, stored } of await compare(token)) expect(kept).toEqual(stored);
    };
    const steps: [string, () => Promise<unknown>][] = [
      ["use limited", () => useToken(limited)],
      ["use unlimited", () => useToken(unlimited)],
      ["use limited again", () => useToken(limited)],
      ["use unlimited again", () => useToken(unlimited)],
      ["renew limited", () => renew(limited)],
      ["renew unlimited", () => renew(unlimited)],
      ["use limited (third)", () => useToken(limited)],
      ["use limited (exhausted)", () => useToken(limited)],
      ["revoke unlimited", () => revoke(unlimited)],
      ["use unlimited (revoked)", () => useToken(unlimited)],
    ];
    for (const [, step] of steps) {
      await step();
      await expectInStep(limited);
      await expectInStep(unlimited);
    }
    expect((await compare(unlimited)).length + (await compare(limited)).length).toBeGreaterThan(0);
    expectRefusal(await useToken(limited), 401, "token_uses_exhausted");
    expectRefusal(await useToken(unlimited), 401, "token_revoked");
    // The alarm deletes expired rows: nothing it deleted is still kept in memory.
    advanceClockTo(jwtPayload(limited).max_exp + 1);
    for (const token of [limited, unlimited]) {
      await runDurableObjectAlarm(stubOf(token));
      expect(await compare(token)).toEqual([]);
    }
  });

  it("uses and revocations are durable: they survive eviction of the instance", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 2 });
    const token = await s.login();
    const revoked = await s.login();
    const stub = stubOf(token);
    expectOk(await useToken(token));
    expectOk(await revoke(revoked));
    await evictDurableObject(stub);
    expect(expectOk(await useToken(token)).identityDetails.token.usesLeft).toBe(0);
    expectRefusal(await useToken(token), 401, "token_uses_exhausted");
    expectRefusal(await useToken(revoked), 401, "token_revoked");
  });

  it("reloads the policy after eviction and after policyChanged()", async () => {
    const s = await scenario({}, { role: "member" });
    const token = await s.login();
    const stub = stubOf(token);
    expectOk(await useToken(token));
    // Change D1 behind the object's back: the cached policy is still used...
    await env.DB.prepare("UPDATE identities SET role = 'admin' WHERE id = ?").bind(s.identity.id).run();
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "member" } });
    // ...until the admin path's notification.
    await stub.policyChanged();
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "admin" } });
    await env.DB.prepare("UPDATE identities SET role = 'no-access' WHERE id = ?").bind(s.identity.id).run();
    await evictDurableObject(stub);
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "no-access" } });
  });

  it("refreshes an aging policy in the background (no use waits for D1), and never judges by a copy past POLICY_MAX_AGE_MS", async () => {
    const s = await scenario({ accessTokenTTL: 3600 }, { role: "member" });
    const token = await s.login();
    const stub = stubOf(token);
    const setRole = (role: string) => env.DB.prepare("UPDATE identities SET role = ? WHERE id = ?").bind(role, s.identity.id).run();
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "member" } });
    // A change whose notice never came (the admin saw a 503): only the age bound brings it.
    await setRole("admin");
    advanceClock(POLICY_REFRESH_AHEAD_MS / 1000 + 1);
    // Within the bound: judged by the copy at once, while a reload starts behind it...
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "member" } });
    // ...which later uses see.
    await vi.waitFor(async () => expect(await stub.use(refOf(token), null)).toMatchObject({ policy: { orgRole: "admin" } }));
    // Past the bound with no use in between: the use waits for the reload rather than use the old copy.
    await setRole("no-access");
    advanceClock(POLICY_MAX_AGE_MS / 1000 + 1);
    expect(await stub.use(refOf(token), null)).toMatchObject({ ok: true, policy: { orgRole: "no-access" } });
  });

  it("a policyChanged() that arrives while the policy is being read makes it read again: no use is judged by a read from before the change", async () => {
    const s = await scenario({}, { role: "member" });
    const token = await s.login();
    const stub = stubOf(token);
    const outcome = await runInDurableObject(stub, async (instance: TokenStateObject) => {
      // The object's D1, with the first policy read held back after it has read (the state before the change).
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let first = true;
      const db = new Proxy(env.DB, {
        get(target, prop) {
          if (prop === "batch") {
            return async (statements: D1PreparedStatement[]) => {
              const results = await target.batch(statements);
              if (first) {
                first = false;
                await held;
              }
              return results;
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const objectEnv = instance as unknown as { env: Record<string, unknown> };
      objectEnv.env = { ...objectEnv.env, DB: db };
      const use = instance.use(refOf(token), null);
      // The read has been made (it sees "member"); now the admin's change and its notification.
      while (first) await new Promise((resolve) => setTimeout(resolve, 1));
      await env.DB.prepare("UPDATE identities SET role = 'admin' WHERE id = ?").bind(s.identity.id).run();
      instance.policyChanged();
      release();
      return use;
    });
    expect(outcome).toMatchObject({ ok: true, policy: { orgRole: "admin" } });
  });

  it("a failing object or policy read is a 503 to retry, never a 500 and never an admission", async () => {
    const s = await scenario();
    const token = await s.login();
    expectOk(await useToken(token));
    await env.DB.prepare("UPDATE identity_oidc_auths SET access_token_trusted_ips = 'not json' WHERE identity_id = ?")
      .bind(s.identity.id)
      .run();
    await stubOf(token).policyChanged();
    const res = await useToken(token);
    expectRefusal(res, 503, "token_state_unavailable");
    expect(res.headers.get("retry-after")).toBe("1");
    expectRefusal(await renew(token), 503, "token_state_unavailable");
    expectRefusal(await whoami(token), 503, "token_state_unavailable");
    // Repaired: the next use reloads and works (a failed load is not cached).
    await env.DB.prepare("UPDATE identity_oidc_auths SET access_token_trusted_ips = ? WHERE identity_id = ?")
      .bind(JSON.stringify([{ ipAddress: "0.0.0.0/0" }, { ipAddress: "::/0" }]), s.identity.id)
      .run();
    expectOk(await useToken(token));
  });
});
