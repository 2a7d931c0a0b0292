// Hot identities: an identity's token state spread over its shards (docs/architecture.md, "Token state").
// Max uses stay exact whichever shard a token lands on, and what applies to all of an identity's tokens
// (a revoke-all, a configuration change) reaches every shard before the admin's request is answered.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { getIdentity } from "../../src/storage/identities";
import { signAccessToken, type AccessTokenClaims } from "../../src/tokens/access-token";
import { loadSigningKeys } from "../../src/tokens/signing-keys";
import type { TokenStateObject } from "../../src/tokens/token-state-object";
import { identityStateObjects, TOKEN_STATE_SHARDS } from "../../src/tokens/token-state-client";
import { call, jwtPayload, ok } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { scenario, type Scenario } from "../support/scenario";
import { expectOk, revoke, tally, useToken, whoami } from "../support/tokens";

const identityObjectOf = async (identityId: string): Promise<string> => {
  const identity = await getIdentity(env.DB, identityId);
  if (!identity) throw new Error(`no identity ${identityId}`);
  return identity.stateObject;
};

/** Logs in until the identity's tokens cover every one of its shards; all the tokens. */
async function tokensOnEveryShard(s: Scenario): Promise<string[]> {
  const tokens: string[] = [];
  const shards = new Set<string>();
  // 16 shards: about 54 logins on average cover them all (coupon collector); 320 miss one with p < 1e-7.
  while (shards.size < TOKEN_STATE_SHARDS && tokens.length < 320) {
    const batch = await Promise.all(Array.from({ length: 16 }, () => s.login()));
    for (const token of batch) shards.add(jwtPayload(token).sob);
    tokens.push(...batch);
  }
  expect(shards.size).toBe(TOKEN_STATE_SHARDS);
  return tokens;
}

/** Uses per jti, summed over every object of the identity, and how many objects hold each jti. */
async function usesByJti(identityObject: string): Promise<Map<string, { uses: number; objects: number }>> {
  const out = new Map<string, { uses: number; objects: number }>();
  for (const hexId of identityStateObjects(env, identityObject)) {
    const stub = env.TOKEN_STATE.get(env.TOKEN_STATE.idFromString(hexId));
    const rows = await runInDurableObject(stub, (_instance: TokenStateObject, state) => {
      const sql = state.storage.sql;
      if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tokens'").toArray().length === 0) return [];
      return sql.exec<{ jti: string; uses: number }>("SELECT jti, uses FROM tokens").toArray();
    });
    for (const row of rows) {
      const known = out.get(row.jti) ?? { uses: 0, objects: 0 };
      out.set(row.jti, { uses: known.uses + row.uses, objects: known.objects + 1 });
    }
  }
  return out;
}

/** A token as this service signed them before shards: the same claims, `sob` the identity's own object. */
async function unshardedToken(like: string, identityObject: string): Promise<string> {
  const { iss, aud: _aud, ...claims } = jwtPayload(like);
  return signAccessToken(await loadSigningKeys(env.SIGNING_KEYS), { ...claims, sob: identityObject } as AccessTokenClaims, iss);
}

/** The Worker with a token-state namespace that records each call made on a stub: "<object hex id>.<method>". */
async function fetchCountingCalls(path: string, init: RequestInit): Promise<{ status: number; calls: string[]; body: any }> {
  const calls: string[] = [];
  const ns = env.TOKEN_STATE;
  const counting = new Proxy(ns, {
    get(target, prop) {
      if (prop === "get") {
        return (id: DurableObjectId, opts?: DurableObjectNamespaceGetDurableObjectOptions) => {
          const stub = target.get(id, opts);
          return new Proxy(stub, {
            get(t, p) {
              const rpc = t as unknown as Record<string, (...args: unknown[]) => unknown>;
              if (typeof p !== "string" || p === "then" || p === "id" || p === "name") return rpc[p as string];
              return (...args: unknown[]) => {
                calls.push(`${id.toString()}.${p}`);
                return rpc[p]!(...args);
              };
            },
          });
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  headers.set("cf-connecting-ip", "203.0.113.60");
  const res = await worker.fetch(
    new Request(`http://edge-oidc-auth.test${path}`, { ...init, headers }) as never,
    { ...env, TOKEN_STATE: counting } as never,
    ctx,
  );
  const body = await res.json();
  await waitOnExecutionContext(ctx);
  return { status: res.status, calls, body };
}

describe("an identity's tokens spread over its shards", () => {
  it("a login makes no Durable Object call; a warm use makes exactly one, to the token's shard (no coordinator)", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const login = await fetchCountingCalls("/api/v1/auth/oidc-auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identityId: s.identity.id, jwt }),
    });
    expect(login.status).toBe(200);
    expect(login.calls).toEqual([]);
    const token = login.body.accessToken as string;
    const details = { method: "GET", headers: { authorization: `Bearer ${token}` } };
    expect((await fetchCountingCalls("/api/v1/identities/details", details)).status).toBe(200); // first use: creates the row
    const warm = await fetchCountingCalls("/api/v1/identities/details", details);
    expect(warm.status).toBe(200);
    expect(warm.calls).toEqual([`${jwtPayload(token).sob}.use`]);
  });

  it("max uses stay exact under concurrency across the spread: every token its own limit, each counted in exactly one shard", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 3 });
    const tokens = await Promise.all(Array.from({ length: 24 }, () => s.login()));
    expect(new Set(tokens.map((t) => jwtPayload(t).sob)).size).toBeGreaterThan(4); // 24 tokens on 16 shards
    // 8 concurrent uses of each of the 24 tokens, all at once, over HTTP and over RPC.
    const results = await Promise.all(tokens.flatMap((t) => Array.from({ length: 8 }, (_, i) => (i % 2 ? useToken(t) : whoami(t)))));
    for (const [i, token] of tokens.entries()) {
      expect(tally(results.slice(i * 8, i * 8 + 8)), jwtPayload(token).jti).toEqual({ "200": 3, "401 token_uses_exhausted": 5 });
    }
    const counted = await usesByJti(await identityObjectOf(s.identity.id));
    for (const token of tokens) expect(counted.get(jwtPayload(token).jti)).toEqual({ uses: 3, objects: 1 });
  });

  it("one token used concurrently from everywhere at once stays exact", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 5 });
    const hot = await s.login();
    const others = await Promise.all(Array.from({ length: 6 }, () => s.login()));
    const results = await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => (i % 2 ? useToken(hot) : whoami(hot))),
      ...others.map((t) => useToken(t)),
    ]);
    expect(tally(results.slice(0, 60))).toEqual({ "200": 5, "401 token_uses_exhausted": 55 });
    expect(tally(results.slice(60))).toEqual({ "200": 6 });
  });

  it("a revoke-all reaches every shard and the identity's own object: once it has answered, no old token is admitted", async () => {
    const s = await scenario();
    const identityObject = await identityObjectOf(s.identity.id);
    const tokens = await tokensOnEveryShard(s);
    const unsharded = await unshardedToken(tokens[0]!, identityObject);
    // Every object has the policy cached and each token's row: the revocation must reach them, not a reload.
    for (const res of await Promise.all([...tokens, unsharded].map((t) => useToken(t)))) expectOk(res);

    const { revokedBefore } = await ok("POST", `/api/v1/identities/${s.identity.id}/access-tokens/revoke-all`);
    expect(revokedBefore).toBeGreaterThanOrEqual(jwtPayload(tokens.at(-1)!).first_iat);
    const after = await Promise.all([...tokens, unsharded].flatMap((t) => [useToken(t), whoami(t)]));
    expect(tally(after)).toEqual({ "401 token_revoked": 2 * (tokens.length + 1) });

    // The ledger lists them revoked; a login in a later second is not affected.
    const listed = await ok("GET", `/api/v1/identities/${s.identity.id}/access-tokens`);
    expect(listed.accessTokens.filter((t: { revokedAt: number | null }) => t.revokedAt === null)).toEqual([]);
    // The answer came once the revoked second was over: a login right after it is not affected.
    const fresh = await s.login();
    expectOk(await useToken(fresh));
    // A token issued before a revoke-all, even in its own second, is revoked by it.
    expectOk(await call("POST", `/api/v1/identities/${s.identity.id}/access-tokens/revoke-all`));
    expectRefusal(await useToken(fresh), 401, "token_revoked");
    expectOk(await useToken(await s.login()));
    const { auditLogs } = await ok("GET", `/api/v1/audit-logs?organizationId=${s.org.id}&event=identity.revoke_tokens`);
    expect(auditLogs).toHaveLength(2);
    expect(auditLogs[1]).toMatchObject({ event: "identity.revoke_tokens", identityId: s.identity.id, outcome: "success" });
  });

  it("a configuration change reaches the tokens on every shard: those it no longer admits are refused at once (binding_changed)", async () => {
    const s = await scenario({ boundClaims: { ref_protected: "true" } });
    const tokens = await tokensOnEveryShard(s);
    for (const res of await Promise.all(tokens.map((t) => useToken(t)))) expectOk(res);
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { boundClaims: { ref_protected: "false" } } });
    const after = await Promise.all(tokens.map((t) => useToken(t)));
    expect(tally(after)).toEqual({ "401 binding_changed": tokens.length });
    // Any other admin change reaches every shard too: a role change is seen by every token's next use.
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { boundClaims: { ref_protected: "true" } } });
    await ok("PATCH", `/api/v1/identities/${s.identity.id}`, { body: { role: "member" } });
    const roles = await Promise.all(tokens.map((t) => whoami(t)));
    expect(new Set(roles.map((res) => expectOk(res).orgRole))).toEqual(new Set(["member"])); // it was no-access
  });

  it("tokens issued before shards (sob: the identity's own object) keep working there: uses exact, revocable by holder and by admin", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 4 });
    const identityObject = await identityObjectOf(s.identity.id);
    const [a, b, c] = await Promise.all([s.login(), s.login(), s.login()]);
    const old = await unshardedToken(a!, identityObject);
    expect(jwtPayload(old).sob).toBe(identityObject);
    expect(tally(await Promise.all(Array.from({ length: 20 }, () => useToken(old))))).toEqual({
      "200": 4,
      "401 token_uses_exhausted": 16,
    });
    expect((await usesByJti(identityObject)).get(jwtPayload(old).jti)).toEqual({ uses: 4, objects: 1 });

    // Revoked by its holder: in the object it names.
    const held = await unshardedToken(b!, identityObject);
    expectOk(await useToken(held));
    expectOk(await revoke(held));
    expectRefusal(await useToken(held), 401, "token_revoked");

    // Revoked by an admin by id (the ledger knows no shard): both objects it may be in are told.
    const byAdmin = await unshardedToken(c!, identityObject);
    expectOk(await useToken(byAdmin));
    await ok("POST", `/api/v1/identities/${s.identity.id}/access-tokens/${jwtPayload(c!).jti}/revoke`);
    expectRefusal(await useToken(byAdmin), 401, "token_revoked");
    expectRefusal(await useToken(c!), 401, "token_revoked"); // the same jti on its shard: revoked too
  });
});
