/**
 * Whether the identity's object admits a presented token, for a use or a renewal alike: pure functions of
 * plain data (the object's `admit()` reads the inputs and writes the outcome). The order is the answer's
 * order when several apply: expiry first (an expired token is told so, whatever else is wrong), then the
 * identity's policy, then the token's own row.
 */
import { CONFIG_CACHE_TTL_MS } from "../constants";
import { isIpAllowed } from "../net/ip-ranges";
import { failure, Reason, type Failure } from "../errors";
import { configAdmitsClaims, type LiveRules } from "../oidc/live-rules";
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
 * exclusive, as in the JWT check), the policy readable, the identity still there and not all its tokens
 * revoked since this one was first issued (a revoke-all), the auth method and the
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
  if (policy.tokensRevokedBefore !== null && ref.firstIat <= policy.tokensRevokedBefore) {
    return failure(Reason.token_revoked, "The access token was revoked with all of its identity's tokens");
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

/**
 * The object's answer when only the token's snapshot can decide and the call did not bring it: the caller
 * calls again with it (`withIssuedFor`). Nothing was read or written for the token.
 */
export interface Recheck {
  ok: false;
  recheck: true;
}

export const RECHECK: Recheck = Object.freeze({ ok: false, recheck: true });

export const isRecheck = (outcome: { ok: boolean }): outcome is Recheck => !outcome.ok && "recheck" in outcome;

/**
 * How long after a configuration change a login may still have used the configuration before it: another
 * isolate's login context is fresh for CONFIG_CACHE_TTL_MS, and a login in flight (IdP fetches time out
 * after 5 s each) is bounded well below a minute. Only judges tokens without a configuration fingerprint.
 */
export const ISSUANCE_WINDOW_MS = CONFIG_CACHE_TTL_MS + 60_000;

/**
 * Whether the identity's current configuration (`rules`) still admits the presented token, which
 * admitPresented already admitted; null when it does:
 * - issued under this very configuration (`issuedUnder` is its fingerprint): admitted, nothing changed;
 * - issued under another one: its snapshot decides (configAdmitsClaims), and RECHECK asks for it when the
 *   call did not bring it;
 * - issued before tokens carried a snapshot: admitted while the configuration's last change is older than
 *   the token's first issuance by ISSUANCE_WINDOW_MS; after a change nothing can decide, so refused;
 * - no rules to judge by: refused. Every doubt fails closed, with `binding_changed`.
 */
export function admitUnderRules(ref: TokenRef, rules: LiveRules | undefined): Failure | Recheck | null {
  if (!rules) return bindingChanged("its current rules could not be read");
  if (ref.issuedUnder === undefined) {
    if (rules.updatedAtMs + ISSUANCE_WINDOW_MS < ref.firstIat * 1000) return null;
    return bindingChanged("this token was issued before access tokens recorded their ID token, so it cannot be re-checked");
  }
  if (ref.issuedUnder === rules.version) return null;
  if (!ref.issuedFor) return RECHECK;
  const refused = configAdmitsClaims(rules, ref.issuedFor);
  if (!refused) return null;
  // Under another key source nothing refuses the ID token: its signature can no longer be checked at all.
  if (refused.reason === Reason.key_not_found) return bindingChanged("the issuer's keys now come from another source");
  return bindingChanged(
    `the ID token would now be refused with ${refused.reason}${refused.qualifier ? `: ${refused.qualifier}` : ""}`,
  );
}

const bindingChanged = (why: string) =>
  failure(
    Reason.binding_changed,
    `The OIDC Auth configuration changed and no longer admits the ID token this access token was issued for (${why}); log in again`,
  );

/** The token's row: not revoked, uses left (a limit of 0 is no limit). */
export function admitRow(row: TokenRowState): Failure | null {
  if (row.revoked_at !== null) return failure(Reason.token_revoked);
  if (row.uses_limit > 0 && row.uses >= row.uses_limit) return failure(Reason.token_uses_exhausted);
  return null;
}
