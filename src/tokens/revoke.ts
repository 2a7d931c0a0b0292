import type { Env } from "../env";
import { markTokenRevoked } from "../storage/access-tokens";
import { verifyAccessToken } from "./access-token";
import { auditTokenEvent } from "./audit";
import type { Caller } from "./caller";
import { loadSigningKeys } from "./signing-keys";
import { stateObject, withStateObject } from "./token-state-client";
import { tokenRef, type TokenRef } from "./token-ref";

export type RevokeEnv = Pick<Env, "DB" | "TOKEN_STATE">;

/**
 * The one revocation path, for the token's holder and for an admin alike: the identity's object first
 * (that is the enforcement: the next use anywhere is refused), then the ledger, which only lists. With
 * `deferLedger` the ledger write runs past the answer; without, it is awaited (an admin lists next).
 */
export async function revokeToken(
  env: RevokeEnv,
  stateObjectId: string,
  ref: TokenRef,
  deferLedger?: (p: Promise<unknown>) => void,
): Promise<void> {
  const stub = stateObject(env, stateObjectId);
  await withStateObject(() => stub.revoke(ref));
  const ledger = markTokenRevoked(env.DB, ref.jti);
  if (deferLedger) deferLedger(ledger);
  else await ledger;
}

/**
 * Revocation by whoever holds the token: possession is the authorisation, and expired tokens are accepted
 * too (the same jti may live on in a renewed token).
 */
export async function revokeAccessToken(
  env: RevokeEnv & Pick<Env, "SIGNING_KEYS">,
  accessToken: string,
  caller: Caller,
): Promise<void> {
  const keys = await loadSigningKeys(env.SIGNING_KEYS);
  const claims = await verifyAccessToken(keys, accessToken, { allowExpired: true });
  await revokeToken(env, claims.sob, tokenRef(claims), caller.waitUntil);
  auditTokenEvent(env.DB, caller, "token.revoke", claims);
}
