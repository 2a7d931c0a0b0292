import type { Context } from "hono";
import type { AppEnv } from "../request-context";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, type ReasonCode, type ReasonKind } from "../errors";
import { redactJwts, redactJwtsDeep } from "../observability/redact";
import { ignoredKeysWarning } from "./ignored-keys";

/**
 * The HTTP edge of the error model (src/errors.ts): a reason's status comes from its kind; the few
 * reasons whose status differs from their kind's are listed by name (Infisical answers 400 for some
 * conflicts). A kind without a status fails the typecheck.
 */
const KIND_STATUS: Record<ReasonKind, ContentfulStatusCode> = {
  refused: 401,
  forbidden: 403,
  not_found: 404,
  invalid: 422,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

const STATUS_OF_REASON: Partial<Record<ReasonCode, ContentfulStatusCode>> = {
  auth_method_exists: 400,
  membership_exists: 400,
  invalid_arguments: 400,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  // OAuth endpoints only (src/http/oauth-errors.ts answers them as RFC 6749 errors, 400)
  unsupported_grant_type: 400,
  unsupported_token_type: 400,
  invalid_target: 400,
};

export const httpStatus = (err: DomainError): ContentfulStatusCode => STATUS_OF_REASON[err.reason] ?? KIND_STATUS[err.kind];

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  405: "Method Not Allowed",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * A domain refusal with HTTP-only headers added at the edge (an RFC 6750 challenge), as hono's
 * HTTPException wraps plain errors. Domain code never builds one.
 */
export class HttpRefusal extends Error {
  override readonly name = "HttpRefusal";
  constructor(
    readonly error: DomainError,
    readonly headers: Record<string, string>,
  ) {
    super(error.message);
  }
}

/** The refusal behind `err`, when it is one (a DomainError, or one wrapped with headers). */
export function refusalOf(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  if (err instanceof HttpRefusal) return err.error;
  return undefined;
}

/** Headers a refusal is answered with: Retry-After when retrying helps, then any edge headers. */
export function refusalHeaders(err: DomainError | HttpRefusal): Record<string, string> {
  const error = err instanceof HttpRefusal ? err.error : err;
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers["Retry-After"] = String(error.retryAfterSeconds);
  return err instanceof HttpRefusal ? { ...headers, ...err.headers } : headers;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  reqId: string;
  reasonCode: string;
  details?: unknown;
}

/** The one way a refusal becomes an HTTP response: status from the table above, body, headers. */
export function refusalResponse(c: Context<AppEnv>, err: DomainError | HttpRefusal): Response {
  c.error ??= err; // what the access log reads the reasonCode from when the refusal was answered, not thrown
  const error = err instanceof HttpRefusal ? err.error : err;
  const body = errorBody(error, c.get("reqId") ?? "req-unknown");
  // A request refused as invalid that also had parameters ignored (`?orgID=` for `orgId`) says which: the
  // likelier cause of a "required" refusal (src/http/ignored-keys.ts).
  const ignored = error.kind === "invalid" ? ignoredKeysWarning(c.get("ignoredQueryParams") ?? [], "query") : null;
  if (ignored) body.message = `${body.message}. ${ignored.message}`;
  return c.json(body, httpStatus(error), refusalHeaders(err));
}

export function errorBody(err: DomainError, reqId: string): ErrorBody {
  const status = httpStatus(err);
  const body: ErrorBody = {
    statusCode: status,
    error: STATUS_TEXT[status] ?? "Error",
    // A caller's text can reach a message or a detail (a parameter's name): never a token's (redact.ts).
    message: redactJwts(err.message),
    reqId,
    reasonCode: err.reasonCode,
  };
  if (err.details !== undefined) body.details = redactJwtsDeep(err.details);
  return body;
}
