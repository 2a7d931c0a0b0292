// The OAuth endpoints (src/http/routes/oauth.ts) as a client calls them: forms in, OAuth answers out.
//
//   const res = await exchange(jwt, s.identity.id);                  // RFC 8693 token exchange
//   expectOAuthError(res, 400, "invalid_grant", "audience_not_allowed", [jwt]);
import { expect } from "vitest";
import type { ReasonCode } from "../../src/errors";
import { call, type Answer } from "./api";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** POST /oauth/token with a token exchange form; `extra` adds or (undefined) removes parameters. */
export function exchange(
  jwt: string,
  audience: string,
  extra: Record<string, string | undefined> = {},
  opts: { ip?: string } = {},
): Promise<Answer> {
  const form: Record<string, string> = {};
  const fields = { grant_type: TOKEN_EXCHANGE, subject_token: jwt, subject_token_type: JWT_TYPE, audience, ...extra };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form[k] = v;
  return call("POST", "/oauth/token", { form, token: null, ...opts });
}

/** A 200 token exchange answer (RFC 8693 §2.2.1); returns the access token. */
export function expectExchanged(res: Answer): string {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toEqual({
    access_token: expect.any(String),
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: "Bearer",
    expires_in: expect.any(Number),
  });
  expect(res.headers.get("cache-control")).toBe("no-store");
  return res.body.access_token as string;
}

/** POST /oauth/introspect as `caller` (an access token or the admin key; null: none). */
export function introspect(token: string, caller: string | null, extra: Record<string, string> = {}, opts: { ip?: string } = {}) {
  return call("POST", "/oauth/introspect", { form: { token, ...extra }, token: caller, ...opts });
}

/** POST /oauth/revoke, as a public client. */
export function oauthRevoke(token: string, extra: Record<string, string> = {}) {
  return call("POST", "/oauth/revoke", { form: { token, ...extra }, token: null });
}

/**
 * An RFC 6749 §5.2 error with exactly this status, `error` and our `reasonCode`, in the documented shape
 * `{ error, error_description, reasonCode }`, not cached, echoing no JWT and none of `secrets`.
 */
export function expectOAuthError(
  res: Answer,
  status: 400 | 401 | 403 | 405 | 429 | 500 | 503,
  error: string,
  reasonCode: ReasonCode | `claim_not_allowed: ${string}`,
  secrets: string[] = [],
): void {
  const where = `expected ${status} ${error} ${reasonCode}, got ${res.status} ${JSON.stringify(res.body)}`;
  expect({ status: res.status, error: res.body?.error, reasonCode: res.body?.reasonCode }, where).toEqual({
    status,
    error,
    reasonCode,
  });
  expect(Object.keys(res.body).sort(), where).toEqual(["error", "error_description", "reasonCode"]);
  // RFC 6749 §5.2: error_description is printable ASCII without '"' and '\'.
  expect(res.body.error_description, where).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
  expect(res.headers.get("cache-control"), where).toBe("no-store");
  const answer = `${JSON.stringify(res.body)}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}`;
  expect(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/.exec(answer)?.[0], `${where}: a JWT in the answer`).toBeUndefined();
  for (const secret of secrets) expect(answer.includes(secret), `${where}: echoes a secret`).toBe(false);
}
