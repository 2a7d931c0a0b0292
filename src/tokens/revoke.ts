import type { Env } from "../env";
import { markTokenRevoked } from "../storage/access-tokens";
import { nowSeconds } from "../time/clock";
import { verifyAccessToken } from "./access-token";
import { auditTokenEvent } from "./audit";
import type { Caller } from "./caller";
import { loadSigningKeys } from "./signing-keys";
import { stateObject, withStateObject } from "./token-state-client";
import { tokenRef, type TokenRef } from "./token-ref";

export type RevokeEnv = Pick<Env, "DB" | "TOKEN_STATE">;

/**
 * The one revocation path, for the token's holder and for an admin alike: the token's object first (that
 * is the enforcement: the next use anywhere is refused), then the ledger, which only lists. The holder
 * names the object (`sob`); an admin revoking by id names the two it may be (tokenObjectsOf), and both
 * are told. With
 * `deferLedger` the ledger write runs past the answer; without, it is awaited (an admin lists next).
 * Returns whether anything was written: a token the object knows as revoked (or expired and gone) costs
 * no write at all, unless `ledgerSaysRevoked` is false (the caller read the ledger and it does not say so
 * yet: it is written then).
 */
export async function revokeToken(
  env: RevokeEnv,
  stateObjectIds: readonly string[],
  ref: TokenRef,
  opts: {
    deferLedger?: (p: Promise<unknown>) => void;
    ledgerSaysRevoked?: boolean;
    /** Writes the ledger statement (an admin batches it with its audit row); it runs alone otherwise. */
    writeLedger?: (statement: D1PreparedStatement) => Promise<unknown>;
  } = {},
): Promise<boolean> {
  const answers = await Promise.all(stateObjectIds.map((id) => withStateObject(() => stateObject(env, id).revoke(ref))));
  const changed = answers.includes(true);
  if (!changed && opts.ledgerSaysRevoked !== false) return false;
  const ledger = markTokenRevoked(env.DB, ref.jti, opts.writeLedger);
  if (opts.deferLedger) opts.deferLedger(ledger);
  else await ledger;
  return true;
}

/**
 * Revocation by whoever holds the token: possession is the authorisation, and expired tokens are accepted
 * too (the same jti may live on in a renewed token). Idempotent and free when repeated: a token already
 * revoked answers the same success with no D1 write and no second audit row, and one past its max TTL
 * (no token of its jti can be live) without even asking the identity's object.
 */
export async function revokeAccessToken(
  env: RevokeEnv & Pick<Env, "SIGNING_KEYS">,
  accessToken: string,
  caller: Caller,
): Promise<void> {
  const keys = await loadSigningKeys(env.SIGNING_KEYS);
  const claims = await verifyAccessToken(keys, accessToken, { allowExpired: true });
  if (nowSeconds() >= claims.max_exp) return;
  if (await revokeToken(env, [claims.sob], tokenRef(claims), { deferLedger: caller.waitUntil })) {
    auditTokenEvent(env.DB, caller, "token.revoke", claims);
  }
}
