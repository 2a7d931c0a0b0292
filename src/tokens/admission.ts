/**
 * Whether the identity's object admits a presented token, for a use or a renewal alike: pure functions of
 * plain data (the object's `admit()` reads the inputs and writes the outcome). The order is the answer's
 * order when several apply: expiry first (an expired token is told so, whatever else is wrong), then the
 * identity's policy, then the token's own row.
 */
import { isIpAllowed } from "../net/ip-ranges";
import { failure, Reason, type Failure } from "../errors";
import type { IdentityPolicy } from "./policy";
import type { TokenRef } from "./token-ref";

/** The identity's policy could not be read (D1 failed): nothing is admitted, the caller may retry. */
export const POLICY_UNAVAILABLE: unique symbol = Symbol("policy unavailable");

/** The identity's policy; null when the identity no longer exists. */
export type PolicyLookup = IdentityPolicy | null | typeof POLICY_UNAVAILABLE;

/** What the object's row of a token adds to the presented token: its uses so far and its revocation. */
export interface TokenRowState {
  uses: number;
  uses_limit: number;
  revoked_at: number | null;
}

/**
 * The presented token against the clock and the identity's current policy: expiry and max TTL (`exp` is
 * exclusive, as in the JWT check), the policy readable, the identity still there, the auth method and the
 * configuration the token was issued under still attached, the client address trusted.
 */
export function admitPresented(
  ref: TokenRef,
  policy: PolicyLookup,
  clientIp: string | null,
  now: number,
): { ok: true; policy: IdentityPolicy } | Failure {
  if (now >= ref.maxExp) return failure(Reason.token_max_ttl_reached);
  if (now >= ref.exp) return failure(Reason.access_token_expired);
  if (policy === POLICY_UNAVAILABLE) return failure(Reason.token_state_unavailable, undefined, { retryAfterSeconds: 1 });
  if (!policy || policy.identityId !== ref.identityId) {
    return failure(Reason.identity_not_found, "The identity of this access token no longer exists", { kind: "refused" });
  }
  const ranges = policy.trustedIpsByMethod[ref.authMethod];
  const configId = policy.authConfigIdByMethod[ref.authMethod];
  if (!ranges || ref.authConfigId !== configId) {
    return failure(Reason.auth_method_removed, `The ${ref.authMethod} configuration this token was issued under was removed`);
  }
  const allowsAll = ranges.includes("0.0.0.0/0") && ranges.includes("::/0");
  if (!allowsAll && (clientIp === null || !isIpAllowed(clientIp, ranges))) {
    return failure(Reason.ip_not_trusted);
  }
  return { ok: true, policy };
}

/** The token's row: not revoked, uses left (a limit of 0 is no limit). */
export function admitRow(row: TokenRowState): Failure | null {
  if (row.revoked_at !== null) return failure(Reason.token_revoked);
  if (row.uses_limit > 0 && row.uses >= row.uses_limit) return failure(Reason.token_uses_exhausted);
  return null;
}
