// Storage faults: the real Worker's fetch handler called with an env whose D1, KV or Durable Object
// binding fails every call (the same wrappers, in spirit, as the soak's bench/soak/entry.mjs). A failure
// must answer 503 with Retry-After and a reasonCode, never a 500, and never admit what a healthy system
// refuses. D1 is seen through src/storage/guarded-d1.ts, which the Worker's entry installs.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { flushAudit, recordAudit } from "../../src/storage/audit-log";
import { setStorageTimeoutForTests } from "../../src/storage/guarded-d1";
import { setStateObjectTimeoutForTests } from "../../src/tokens/token-state-client";
import { call, ok } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { scenario } from "../support/scenario";
import { expectOk, revoke, useToken } from "../support/tokens";

const fault = () => Promise.reject(new Error("D1_ERROR: injected storage fault"));

function failingD1(): D1Database {
  const stmt: Record<string, unknown> = { first: fault, all: fault, run: fault, raw: fault };
  stmt.bind = () => stmt;
  return { prepare: () => stmt, batch: fault, exec: fault, withSession: () => failingD1(), dump: fault } as never;
}

function failingKv(): KVNamespace {
  const kvFault = () => Promise.reject(new Error("KV GET failed: injected storage fault"));
  return { get: kvFault, getWithMetadata: kvFault, put: kvFault, delete: kvFault, list: kvFault } as never;
}

function failingDo(ns: DurableObjectNamespace): DurableObjectNamespace {
  const stubFault = () => Promise.reject(Object.assign(new Error("injected Durable Object fault"), { retryable: true }));
  return new Proxy(ns, {
    get(target, prop) {
      if (prop === "get" || prop === "getByName") {
        return () => new Proxy({}, { get: (_t, p) => (p === "then" ? undefined : stubFault) });
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Bindings that never answer: a hung database or object. */
const never = () => new Promise<never>(() => {});
function hangingD1(): D1Database {
  const stmt: Record<string, unknown> = { first: never, all: never, run: never, raw: never };
  stmt.bind = () => stmt;
  return { prepare: () => stmt, batch: never, exec: never, withSession: () => hangingD1(), dump: never } as never;
}
function hangingDo(ns: DurableObjectNamespace): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop) {
      if (prop === "get" || prop === "getByName") return () => new Proxy({}, { get: (_t, p) => (p === "then" ? undefined : never) });
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

type Broken = "DB" | "CACHE" | "TOKEN_STATE" | "DB_HANGS" | "TOKEN_STATE_HANGS";
function envWith(broken: Broken) {
  const e = { ...env } as Record<string, unknown>;
  if (broken === "DB") e.DB = failingD1();
  if (broken === "CACHE") e.CACHE = failingKv();
  if (broken === "TOKEN_STATE") e.TOKEN_STATE = failingDo(env.TOKEN_STATE as never);
  if (broken === "DB_HANGS") e.DB = hangingD1();
  if (broken === "TOKEN_STATE_HANGS") e.TOKEN_STATE = hangingDo(env.TOKEN_STATE as never);
  return e as never;
}

async function send(
  broken: Broken,
  method: string,
  path: string,
  { body, token, form }: { body?: unknown; token?: string; form?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { "cf-connecting-ip": "203.0.113.50" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (form) headers["content-type"] = "application/x-www-form-urlencoded";
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://edge-oidc-auth.test${path}`, {
      method,
      headers,
      body: form ? new URLSearchParams(form).toString() : body === undefined ? undefined : JSON.stringify(body),
    }) as never,
    envWith(broken),
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: JSON.parse(text) as { reasonCode?: string } };
}

function expectRetryable(res: Awaited<ReturnType<typeof send>>) {
  expect(res.status).toBe(503);
  expect(res.retryAfter).toMatch(/^\d+$/);
  expect(res.body.reasonCode).toMatch(/_unavailable$/);
}

describe("storage faults", () => {
  it("the Durable Object failing: use, renew and revoke answer 503 with Retry-After", async () => {
    const s = await scenario();
    const token = await s.login();
    expectRetryable(await send("TOKEN_STATE", "GET", "/api/v1/identities/details", { token }));
    expectRetryable(await send("TOKEN_STATE", "POST", "/api/v1/auth/token/renew", { body: { accessToken: token } }));
    expectRetryable(await send("TOKEN_STATE", "POST", "/api/v1/auth/token/revoke", { body: { accessToken: token } }));
    expectOk(await useToken(token)); // nothing was spent or revoked by the failed calls
  });

  it("the Durable Object failing never admits a revoked token", async () => {
    const s = await scenario();
    const token = await s.login();
    expectOk(await revoke(token));
    const res = await send("TOKEN_STATE", "GET", "/api/v1/identities/details", { token });
    expect(res.status).not.toBe(200);
    expect(res.status).not.toBe(500);
  });

  it("the Durable Object failing: an admin change is saved but answers 503 propagation_failed; the retry reaches every shard", async () => {
    const s = await scenario();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => s.login()));
    for (const token of tokens) expectOk(await useToken(token)); // policies cached on their shards
    const revokeAll = `/api/v1/identities/${s.identity.id}/access-tokens/revoke-all`;
    const failed = await send("TOKEN_STATE", "POST", revokeAll, { token: env.ADMIN_API_KEY });
    expect(failed.status).toBe(503);
    expect(failed.body.reasonCode).toBe("propagation_failed");
    expectOk(await call("POST", revokeAll));
    for (const token of tokens) expect((await useToken(token)).status).toBe(401);
  });

  it("KV failing: a login still succeeds (KV is a cache) and a use is unaffected", async () => {
    const s = await scenario();
    const token = await s.login();
    const res = await send("CACHE", "GET", "/api/v1/identities/details", { token });
    expect(res.status).toBe(200);
  });

  it("D1 failing: a use of a token whose state is loaded is not a 500", async () => {
    const s = await scenario();
    const token = await s.login();
    expectOk(await useToken(token));
    const res = await send("DB", "GET", "/api/v1/identities/details", { token });
    expect(res.status).not.toBe(500);
  });

  it("KV failing on a first login (nothing cached): the login is answered, never a 500", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const res = await send("CACHE", "POST", "/api/v1/auth/oidc-auth/login", { body: { identityId: s.identity.id, jwt } });
    expect([200, 503]).toContain(res.status);
  });

  // D1's failures reach the edges as 503 storage_unavailable (src/storage/guarded-d1.ts).
  it("D1 failing: an admin change answers 503, not 500", async () => {
    const res = await send("DB", "POST", "/api/v1/organizations", { token: env.ADMIN_API_KEY, body: { name: "faulty" } });
    expectRetryable(res);
  });

  it("D1 failing on a first login (login context not cached): 503, not 500", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    expectRetryable(await send("DB", "POST", "/api/v1/auth/oidc-auth/login", { body: { identityId: s.identity.id, jwt } }));
  });

  it("D1 failing: every kind of admin change answers 503 and writes nothing", async () => {
    const s = await scenario();
    const admin = env.ADMIN_API_KEY;
    const project = (await ok("POST", "/api/v1/projects", { body: { name: "p", organizationId: s.org.id } })).project as {
      id: string;
    };
    const changes: [string, string, unknown][] = [
      ["POST", "/api/v1/identities", { name: "x", organizationId: s.org.id }],
      ["PATCH", `/api/v1/identities/${s.identity.id}`, { name: "renamed" }],
      ["PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { accessTokenTTL: 60 }],
      ["DELETE", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, undefined],
      ["POST", "/api/v1/projects", { name: "q", organizationId: s.org.id }],
      ["POST", `/api/v1/projects/${project.id}/memberships/identities/${s.identity.id}`, { roles: [{ role: "viewer" }] }],
      ["DELETE", `/api/v1/projects/${project.id}`, undefined],
      ["DELETE", `/api/v1/identities/${s.identity.id}`, undefined],
    ];
    for (const [method, path, body] of changes) {
      const res = await send("DB", method, path, { token: admin, body });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(503);
      expectRetryable(res);
    }
    // Nothing happened: the identity and its configuration are as they were.
    expect((await call("GET", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`)).body.identityOidcAuth.accessTokenTTL).toBe(
      s.config.accessTokenTTL,
    );
  });

  it("D1 failing on a first token exchange: 503 temporarily_unavailable, not 500", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const res = await send("DB", "POST", "/oauth/token", {
      form: {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: jwt,
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        audience: s.identity.id,
      },
    });
    expect(res.status).toBe(503);
    expect(res.retryAfter).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ error: "temporarily_unavailable", reasonCode: "storage_unavailable" });
  });

  it("a write-behind flush that D1 refuses keeps its rows for the next flush: an outage loses nothing", async () => {
    const event = `test.retained.${crypto.randomUUID()}`;
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE event = ?").bind(event).first<{ n: number }>())!.n;
    recordAudit(failingD1(), { event, outcome: "success" }, () => {});
    await flushAudit(failingD1()); // refused: the row goes back to the queue
    expect(await count()).toBe(0);
    await flushAudit(env.DB); // D1 is back
    expect(await count()).toBe(1);
    await flushAudit(env.DB); // and it is written once
    expect(await count()).toBe(1);
  });

  it("storage that does not answer is an outage too: 503 once the deadline passes, never a hang", async () => {
    setStorageTimeoutForTests(200);
    setStateObjectTimeoutForTests(200);
    try {
      const s = await scenario();
      const token = await s.login();
      expectRetryable(await send("DB_HANGS", "POST", "/api/v1/organizations", { token: env.ADMIN_API_KEY, body: { name: "hung" } }));
      const jwt = await s.idp.mint(gitlabClaims());
      expectRetryable(
        await send("DB_HANGS", "POST", "/api/v1/auth/oidc-auth/login", { body: { identityId: crypto.randomUUID(), jwt } }),
      );
      const use = await send("TOKEN_STATE_HANGS", "GET", "/api/v1/identities/details", { token });
      expectRetryable(use);
      expect(use.body.reasonCode).toBe("token_state_unavailable");
      expectRetryable(await send("TOKEN_STATE_HANGS", "POST", "/api/v1/auth/token/renew", { body: { accessToken: token } }));
      // Nothing was spent or refused for good: with the object answering again the token works.
      expectOk(await useToken(token));
    } finally {
      setStorageTimeoutForTests(10_000);
      setStateObjectTimeoutForTests(10_000);
    }
  });
});
