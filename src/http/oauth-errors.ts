import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, Reason, type ReasonCode, type ReasonKind } from "../errors";
import { errorName, log } from "../observability/log";
import { redactJwts } from "../observability/redact";
import type { AppEnv } from "../request-context";
import { INSUFFICIENT_SCOPE_CHALLENGE } from "./admin-auth";
import { HttpRefusal, refusalHeaders } from "./errors";

/**
 * The OAuth edge of the error model (src/errors.ts): the /oauth/* endpoints (src/http/routes/oauth.ts)
 * answer RFC 6749 §5.2 errors, `{ error, error_description, reasonCode }`, where `error` is the OAuth code
 * a generic client understands and `reasonCode` (an extension member) is ours, the same as the login's.
 * As in src/http/errors.ts, the status and code come from the reason's kind, a few reasons by name.
 */
/**
 * The OAuth error codes we answer (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 6750 §3.1, RFC 6749 §4.1.2.1), written
 * once, as keys: three of them are also names of our reasons (`invalid_request`, `unsupported_grant_type`,
 * `invalid_target`),
 * and code names either kind of code, never writes it as a string (scripts/check-structure.mjs).
 */
const OAUTH_ERROR_CODES = {
  invalid_request: "the request is malformed",
  invalid_grant: "the subject token (the ID token) is refused",
  invalid_target: "the audience names no identity that can log in",
  unsupported_grant_type: "only the token exchange grant is supported",
  invalid_token: "the caller's bearer credentials are missing or refused",
  insufficient_scope: "the caller's identity may not do this",
  temporarily_unavailable: "rate limited, or a dependency is down: retry after Retry-After",
  server_error: "a bug of ours",
};
export type OAuthErrorCode = keyof typeof OAUTH_ERROR_CODES;
export const OAUTH_ERRORS = Object.keys(OAUTH_ERROR_CODES) as [OAuthErrorCode, ...OAuthErrorCode[]];
const E = Object.freeze(Object.fromEntries(OAUTH_ERRORS.map((code) => [code, code]))) as { readonly [C in OAuthErrorCode]: C };

type Answer = [ContentfulStatusCode, OAuthErrorCode];

/** Where the error is answered: the token endpoint (a grant), or an endpoint that reads a presented token. */
export type OAuthEndpoint = "token" | "bearer";

const SHARED: Record<Exclude<ReasonKind, "refused" | "forbidden" | "not_found">, Answer> = {
  invalid: [400, E.invalid_request],
  conflict: [400, E.invalid_request],
  too_large: [400, E.invalid_request],
  rate_limited: [429, E.temporarily_unavailable],
  unavailable: [503, E.temporarily_unavailable],
  internal: [500, E.server_error],
};

const BY_KIND: Record<OAuthEndpoint, Record<ReasonKind, Answer>> = {
  // RFC 8693 §2.2.2 / RFC 6749 §5.2: every refusal of the subject token is invalid_grant; an audience that
  // names no usable identity is invalid_target.
  token: { ...SHARED, refused: [400, E.invalid_grant], forbidden: [400, E.invalid_grant], not_found: [400, E.invalid_target] },
  // RFC 7662 §2.3 / RFC 6750 §3.1: the caller's bearer token is refused (401) or lacks the privilege (403).
  bearer: { ...SHARED, refused: [401, E.invalid_token], forbidden: [403, E.insufficient_scope], not_found: [400, E.invalid_request] },
};

const BY_REASON: Partial<Record<ReasonCode, Answer>> = {
  [Reason.unsupported_grant_type]: [400, E.unsupported_grant_type],
  // RFC 8693 §2.2.2: no token for all the targets the audience and resource parameters name.
  [Reason.invalid_target]: [400, E.invalid_target],
  // The ID token itself is too large: a refusal of the subject token like any other.
  [Reason.token_too_large]: [400, E.invalid_grant],
  // A wrong method keeps HTTP's 405 (with Allow); RFC 6749 has no code of its own for it.
  [Reason.method_not_allowed]: [405, E.invalid_request],
};

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
  reasonCode: string;
}

/** The login's wording names its own parameter (`identityId`); the token exchange names the identity in `audience`. */
const TOKEN_DESCRIPTIONS: Partial<Record<ReasonCode, string>> = {
  [Reason.identity_not_found]: "No identity has the id named in audience",
};

export function oauthError(err: DomainError, endpoint: OAuthEndpoint): { status: ContentfulStatusCode; body: OAuthErrorBody } {
  const [status, error] = BY_REASON[err.reason] ?? BY_KIND[endpoint][err.kind];
  const description = (endpoint === "token" && TOKEN_DESCRIPTIONS[err.reason]) || describe(err.message);
  return { status, body: { error, error_description: description, reasonCode: err.reasonCode } };
}

/** RFC 6749 §5.2: error_description is printable ASCII without `"` and `\`. */
const describe = (message: string) =>
  redactJwts(message)
    .replace(/["\\]/g, "'")
    .replace(/[^\x20-\x7e]/g, "")
    .slice(0, 500);

/** The /oauth/* answers are never stored by a cache (RFC 6749 §5.1, RFC 7662 §2.2). */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

/** The one way an error of an OAuth endpoint becomes a response (its module's onError). */
export function oauthErrorResponse(c: Context<AppEnv>, err: unknown, endpoint: OAuthEndpoint): Response {
  let refusal: DomainError | HttpRefusal;
  if (err instanceof DomainError || err instanceof HttpRefusal) refusal = err;
  else {
    // Unexpected: log the kind only (errors may carry token payloads), answer without internals.
    log("error", "unhandled_error", { name: errorName(err) });
    refusal = new DomainError(Reason.internal_error);
  }
  // Answered here rather than thrown to the app's onError: the access log reads the refusal's reasonCode
  // where Hono keeps a thrown one (src/http/request-log.ts).
  c.error = refusal;
  const { status, body } = oauthError(refusal instanceof HttpRefusal ? refusal.error : refusal, endpoint);
  // RFC 6750 §3: a bearer token that lacks the privilege is answered with the insufficient_scope challenge.
  const headers: Record<string, string> = { ...refusalHeaders(refusal), ...NO_STORE };
  if (body.error === E.insufficient_scope) headers["WWW-Authenticate"] = INSUFFICIENT_SCOPE_CHALLENGE;
  return c.json(body, status, headers);
}
