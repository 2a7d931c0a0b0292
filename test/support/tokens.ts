// Helpers shared by test/integration/{tokens,projects,rpc}*.test.ts: a logged-in identity, token uses over
// HTTP and through the consumer Worker, and refusal assertions (status AND reasonCode).
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { call, login, setupIdentity } from "./api";
import { createIdp, gitlabClaims, type TestIdp } from "./idp";

type CallResult = Awaited<ReturnType<typeof call>>;

export interface LoggedIn {
  idp: TestIdp;
  org: { id: string; slug: string; name: string };
  identity: { id: string; orgId: string; role: string };
  /** The login response body (Infisical's shape). */
  login: { accessToken: string; expiresIn: number; accessTokenMaxTTL: number; tokenType: string };
  token: string;
  /** Logs in again (a new token, new jti) with a fresh ID token. */
  relogin(opts?: { ip?: string }): Promise<string>;
}

/** An organization, an identity with OIDC Auth (extra `config` fields applied) and one access token. */
export async function loggedIn(config: Record<string, unknown> = {}, role = "no-access"): Promise<LoggedIn> {
  const idp = createIdp();
  const { org, identity } = await setupIdentity(idp.issuer, config, role);
  const relogin = async (opts: { ip?: string } = {}) => {
    const res = await login(identity.id, await idp.mint(gitlabClaims()), opts);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.accessToken as string;
  };
  const res = await login(identity.id, await idp.mint(gitlabClaims()));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { idp, org, identity, login: res.body, token: res.body.accessToken, relogin };
}

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

/** An HTTP refusal in the documented error shape, with exactly this status and reasonCode. */
export function expectRefusal(res: CallResult, status: number, reasonCode: string): void {
  expect({ status: res.status, reasonCode: res.body?.reasonCode }, JSON.stringify(res.body)).toEqual({ status, reasonCode });
  expect(res.body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
}

export function expectOk(res: CallResult): any {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Through the consumer Worker (test/consumer/), which calls env.AUTH.authenticate over the service binding. */
export async function whoami(token: string, opts: { ip?: string; projectId?: string } = {}) {
  const url = new URL("http://consumer.test/whoami");
  if (opts.projectId !== undefined) url.searchParams.set("projectId", opts.projectId);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (opts.ip) headers["cf-connecting-ip"] = opts.ip;
  const res = await env.CONSUMER.fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as any };
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

/** Resolves once the wall clock has reached `epochSeconds` (plus a margin), i.e. a token with that exp is expired. */
export async function sleepUntil(epochSeconds: number, marginMs = 50): Promise<void> {
  const ms = epochSeconds * 1000 + marginMs - Date.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Counts results by "status reasonCode" (or "200"), for concurrency assertions. */
export function tally(results: { status: number; body: any }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 200 ? "200" : `${r.status} ${r.body?.reasonCode}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
