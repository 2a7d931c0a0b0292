// Revoking is idempotent and free when repeated: a token already revoked, or expired with nothing of its jti
// left alive, answers the same success without a D1 statement, without a second audit row and without
// creating state in the identity's Durable Object (src/tokens/revoke.ts).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Caller } from "../../src/tokens/caller";
import { revokeAccessToken } from "../../src/tokens/revoke";
import type { TokenStateObject } from "../../src/tokens/token-state-object";
import { jwtPayload, ok } from "../support/api";
import { advanceClockTo } from "../support/clock";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";
import { expectOk, renew, revoke, useToken } from "../support/tokens";

const REVOKED = { message: "Successfully revoked access token" };

/** env.DB that records every statement prepared and every batch run through it. */
function countingDb(db: D1Database): { db: D1Database; statements: string[] } {
  const statements: string[] = [];
  const counted = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") {
        return (query: string) => {
          statements.push(query);
          return target.prepare(query);
        };
      }
      if (prop === "batch" || prop === "exec") statements.push(String(prop));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, statements };
}

/** Revokes through the domain function with a D1 that counts; waits for the work it deferred. */
async function revokeCounting(token: string): Promise<string[]> {
  const { db, statements } = countingDb(env.DB);
  const pending: Promise<unknown>[] = [];
  const caller: Caller = { ip: null, country: null, colo: null, waitUntil: (p) => pending.push(p) };
  await revokeAccessToken({ ...env, DB: db }, token, caller);
  await Promise.all(pending);
  return statements;
}

const stateRows = (token: string) =>
  runInDurableObject(env.TOKEN_STATE.get(env.TOKEN_STATE.idFromString(jwtPayload(token).sob)), (_: TokenStateObject, state) => {
    const sql = state.storage.sql;
    // An object that never needed a token row has no table (it is created on first need).
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tokens'").toArray().length === 0) return 0;
    return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tokens").one().n;
  });

async function revokeEvents(orgId: string): Promise<unknown[]> {
  return (await ok("GET", `/api/v1/audit-logs?organizationId=${orgId}&event=token.revoke`)).auditLogs;
}

describe("revoking again", () => {
  it("an already revoked token: the same success, no D1 statement, one audit row in all", async () => {
    const s = await scenario();
    const token = await s.login();
    const first = await revokeCounting(token);
    expect(first.length).toBeGreaterThan(0); // the ledger's revoked_at
    expect(await revokeCounting(token)).toEqual([]);
    for (let i = 0; i < 3; i++) expect(expectOk(await revoke(token))).toEqual(REVOKED);
    expect(await revokeEvents(s.org.id)).toHaveLength(1);
    expectRefusal(await useToken(token), 401, "token_revoked");
  });

  it("a token past its max TTL: the same success, nothing written anywhere, not even the object's state", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 120 });
    const token = await s.login();
    advanceClockTo(jwtPayload(token).max_exp);
    expect(await revokeCounting(token)).toEqual([]);
    expect(expectOk(await revoke(token))).toEqual(REVOKED);
    expect(await stateRows(token)).toBe(0);
    expect(await revokeEvents(s.org.id)).toEqual([]);
  });

  it("an expired token never used or renewed (no state, so nothing of its jti lives): no write either", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 3600 });
    const token = await s.login();
    advanceClockTo(jwtPayload(token).exp);
    expect(await revokeCounting(token)).toEqual([]);
    expect(await stateRows(token)).toBe(0);
    expect(await revokeEvents(s.org.id)).toEqual([]);
  });

  it("an expired token whose jti lives on in a renewed one is still revoked, once", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 3600 });
    const token = await s.login();
    advanceClockTo(jwtPayload(token).iat + 30);
    const renewed = expectOk(await renew(token)).accessToken as string;
    advanceClockTo(jwtPayload(token).exp);
    expect((await revokeCounting(token)).length).toBeGreaterThan(0);
    expectRefusal(await useToken(renewed), 401, "token_revoked");
    expect(await revokeCounting(renewed)).toEqual([]);
    expect(await revokeEvents(s.org.id)).toHaveLength(1);
  });

  it("by an admin: the same answer, one audit row", async () => {
    const s = await scenario();
    const token = await s.login();
    const { jti } = jwtPayload(token);
    const path = `/api/v1/identities/${s.identity.id}/access-tokens/${jti}/revoke`;
    const first = (await ok("POST", path)).accessToken;
    const second = (await ok("POST", path)).accessToken;
    expect(second).toEqual(first);
    expect(expectOk(await revoke(token))).toEqual(REVOKED);
    expect(await revokeEvents(s.org.id)).toHaveLength(1);
  });
});
