import { DomainError, type ReasonCode, type ReasonKind } from "../errors";
import type { AuthenticateFailure } from "./types";

/**
 * The RPC edge of the error model (src/errors.ts): the AuthService's failure result. `status` is the HTTP
 * status a consumer should answer its own caller with; a kind without one fails the typecheck.
 */
const CONSUMER_STATUS: Record<ReasonKind, number> = {
  refused: 401,
  forbidden: 403,
  not_found: 404,
  invalid: 400, // the consumer called with wrong arguments
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 503, // a bug on our side: the consumer can only retry
};

export function rpcFailure(err: DomainError): AuthenticateFailure {
  return { ok: false, status: CONSUMER_STATUS[err.kind], reasonCode: err.reasonCode, message: err.message };
}

export const rpcRefusal = (reason: ReasonCode, message?: string): AuthenticateFailure => rpcFailure(new DomainError(reason, message));
