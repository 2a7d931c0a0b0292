import { tokenCeilingSeconds, type Env } from "../env";
import { recordRenewedToken } from "../storage/access-tokens";
import { nowSeconds } from "../time/clock";
import { signAccessToken, verifyAccessToken } from "./access-token";
import { auditTokenEvent } from "./audit";
import type { Caller } from "./caller";
import { tokenResponse, type TokenResponse } from "./issue";
import { loadSigningKeys } from "./signing-keys";
import { admittedBy, stateObject } from "./token-state-client";
import type { RenewOutcome } from "./token-state-object";

export type RenewEnv = Pick<Env, "DB" | "TOKEN_STATE" | "SIGNING_KEYS" | "TOKEN_MAX_LIFETIME_SECONDS">;

/**
 * A new access token with the same jti and a later exp, never past the max TTL counted from first
 * issuance. Not a use. The identity's object admits it as it admits a use (src/tokens/admission.ts), so
 * an expired token, or one past its max TTL, is refused there and says which limit it hit: the signature
 * check here lets expired tokens through for that.
 */
export async function renewAccessToken(env: RenewEnv, accessToken: string, caller: Caller): Promise<TokenResponse> {
  const keys = await loadSigningKeys(env.SIGNING_KEYS);
  const claims = await verifyAccessToken(keys, accessToken, { allowExpired: true });
  const stub = stateObject(env, claims.sob);
  const { expiresAt } = await admittedBy<RenewOutcome>(claims, (ref) => stub.renew(ref, caller.ip, tokenCeilingSeconds(env)));
  const now = nowSeconds();
  const renewed = { ...claims, iat: now, exp: expiresAt };
  const token = await signAccessToken(keys, renewed);
  recordRenewedToken(env.DB, renewed, caller.ip, caller.waitUntil);
  auditTokenEvent(env.DB, caller, "token.renew", renewed);
  return tokenResponse(token, renewed, now);
}
