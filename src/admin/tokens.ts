import {
  flushLedger,
  getIssuedToken,
  listLiveTokens,
  markIdentityTokensRevokedStatement,
  type IssuedToken,
} from "../storage/access-tokens";
import { revokeAllTokensStatement } from "../storage/identities";
import { revokeToken } from "../tokens/revoke";
import { tokenRef } from "../tokens/token-ref";
import { tokenObjectsOf } from "../tokens/token-state-client";
import type { AdminContext } from "./actor";
import { writeAudited } from "./audit";
import { getManagedIdentity } from "./identities";
import { propagateIdentityChange } from "./propagate";
import { DomainError, Reason } from "../errors";
import { afterSecond, nowSeconds } from "../time/clock";

/** Tokens of an identity that have not expired yet, newest first (from the ledger: their login rows). */
export async function listIdentityTokens(ctx: AdminContext, identityId: string): Promise<IssuedToken[]> {
  const identity = await getManagedIdentity(ctx, identityId);
  return listLiveTokens(ctx.env.DB, identity.id, nowSeconds());
}

/**
 * Revokes one token of an identity by its id, on the holder's revocation path; the next use anywhere fails.
 * Revoking it again changes nothing: no write, no second audit row (the ledger is written only when it
 * does not say revoked yet).
 */
export async function revokeIdentityToken(ctx: AdminContext, identityId: string, tokenId: string): Promise<IssuedToken> {
  const identity = await getManagedIdentity(ctx, identityId);
  const token = await getIssuedToken(ctx.env.DB, identity.id, tokenId);
  if (!token) throw new DomainError(Reason.token_not_found);
  // The token's objects are told first (that is the enforcement, outside D1); the ledger row and the
  // audit row are then written together. Should that write fail (503), the ledger does not say revoked
  // yet, so a retry writes both.
  await revokeToken(ctx.env, tokenObjectsOf(ctx.env, identity.stateObject, token.id), tokenRef(token), {
    ledgerSaysRevoked: token.revokedAt !== null,
    writeLedger: (statement) =>
      writeAudited(ctx, [statement], {
        event: "token.revoke",
        orgId: identity.orgId,
        identityId: identity.id,
        after: { tokenId: token.id },
      }),
  });
  return { ...token, revokedAt: token.revokedAt ?? nowSeconds() };
}

/**
 * Revokes every token of the identity issued until now, whichever token-state shard holds it: the
 * identity's `tokensRevokedBefore` (part of its policy) is set to this second, with the ledger and the
 * audit row in the same D1 transaction, then every one of its objects is told (propagateIdentityChange)
 * before the answer. Once this answers, no use anywhere admits such a token. Token times are whole seconds,
 * so a token first issued in the same second, even just after, is refused too (fail closed): the answer
 * waits until that second is over, so a token issued after it is never affected. Repeating it is harmless
 * (the time never moves back).
 */
export async function revokeAllIdentityTokens(ctx: AdminContext, identityId: string): Promise<{ revokedBefore: number }> {
  const identity = await getManagedIdentity(ctx, identityId);
  const at = nowSeconds();
  await flushLedger(ctx.env.DB); // tokens this isolate issued and has not written to the ledger yet
  // The identity's statement last: the audit row is written only if it changed a row (identity still there).
  const results = await writeAudited(
    ctx,
    [markIdentityTokensRevokedStatement(ctx.env.DB, identity.id, at), revokeAllTokensStatement(ctx.env.DB, identity.id, at)],
    { event: "identity.revoke_tokens", orgId: identity.orgId, identityId: identity.id, after: { revokedBefore: at } },
  );
  if ((results[1]?.meta.changes ?? 0) === 0) throw new DomainError(Reason.identity_not_found); // deleted meanwhile
  await propagateIdentityChange(ctx.env, identity);
  await afterSecond(at); // a login after this answer is issued in a later second, which the revocation spares
  return { revokedBefore: at };
}
