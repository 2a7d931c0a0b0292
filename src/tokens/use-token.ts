import type { Env } from "../env";
import { verifyAccessToken, type AccessTokenClaims } from "./access-token";
import type { OrgRole } from "../storage/records";
import { inForceAt, type CallerPolicy } from "./policy";
import { nowMs } from "../time/clock";
import { loadSigningKeys } from "./signing-keys";
import { admittedBy, stateObject } from "./token-state-client";
import type { UseOutcome } from "./token-state-object";

export interface TokenUse {
  claims: AccessTokenClaims;
  usesLeft: number | null;
  policy: CallerPolicy;
}

/**
 * One use of an access token, the same for HTTP callers, the console and RPC consumers: signature and
 * expiry here, then one Durable Object round trip that checks the identity's current policy, trusted IPs,
 * revocation and uses, and consumes a use only if everything passed. With `orgRole`, the identity must
 * have that organization role, judged in the same step: a token refused for its role spends nothing.
 */
export async function useAccessToken(
  env: Pick<Env, "SIGNING_KEYS" | "TOKEN_STATE">,
  token: string,
  clientIp: string | null,
  opts: { orgRole?: OrgRole } = {},
): Promise<TokenUse> {
  const keys = await loadSigningKeys(env.SIGNING_KEYS);
  const claims = await verifyAccessToken(keys, token);
  const stub = stateObject(env, claims.sob);
  const { usesLeft, policy } = await admittedBy<UseOutcome>(claims, (ref) => stub.use(ref, clientIp, opts.orgRole));
  // The object may hold a policy loaded long ago: the project roles are those in force now.
  return { claims, usesLeft, policy: inForceAt(policy, nowMs()) };
}

/** Bearer token from an Authorization header, per RFC 6750 (scheme case-insensitive). */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
