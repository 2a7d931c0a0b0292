// Uses of an access token: over HTTP, and through the consumer Worker (test/consumer/) as a downstream
// Worker would call the AuthService binding. Tokens come from scenario() (./scenario.ts); refusals are
// asserted with expectRefusal (./refusal.ts), at both edges.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { answer, call, type Answer } from "./api";

/** One use of the token over HTTP: GET /api/v1/identities/details. */
export function useToken(token: string, opts: { ip?: string; headers?: Record<string, string> } = {}) {
  return call("GET", "/api/v1/identities/details", { token, ...opts });
}

export function renew(accessToken: string, opts: { ip?: string } = {}) {
  return call("POST", "/api/v1/auth/token/renew", { body: { accessToken }, token: null, ...opts });
}

export function revoke(accessToken: string) {
  return call("POST", "/api/v1/auth/token/revoke", { body: { accessToken }, token: null });
}

export function expectOk(res: Answer): any {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/**
 * Through the consumer Worker (test/consumer/), which calls env.AUTH.authenticate over the service binding
 * and answers its result as JSON, with the result's status (200 when ok).
 */
export async function whoami(token: string, opts: { ip?: string; projectId?: string } = {}): Promise<Answer> {
  const url = new URL("http://consumer.test/whoami");
  if (opts.projectId !== undefined) url.searchParams.set("projectId", opts.projectId);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (opts.ip) headers["cf-connecting-ip"] = opts.ip;
  return answer(await env.CONSUMER.fetch(url, { headers }), [token], "rpc");
}

/** authenticate(...args) through the consumer with arbitrary JSON arguments; reports whether it threw. */
export async function rawAuthenticate(args: unknown[]): Promise<{ threw: boolean; result?: any; error?: string }> {
  const res = await env.CONSUMER.fetch("http://consumer.test/raw", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ args }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** Counts results by "status reasonCode" (or "200"), for concurrency assertions. */
export function tally(results: { status: number; body: any }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 200 ? "200" : `${r.status} ${r.body?.reasonCode}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
