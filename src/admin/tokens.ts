import { getIssuedToken, listLiveTokens, type IssuedToken } from "../storage/access-tokens";
import { revokeToken } from "../tokens/revoke";
import { tokenRef } from "../tokens/token-ref";
import type { AdminContext } from "./actor";
import { writeAudited } from "./audit";
import { getManagedIdentity } from "./identities";
import { DomainError, Reason } from "../errors";
import { nowSeconds } from "../time/clock";

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
  // The identity's object is told first (that is the enforcement, outside D1); the ledger row and the
  // audit row are then written together. Should that write fail (503), the ledger does not say revoked
  // yet, so a retry writes both.
  await revokeToken(ctx.env, identity.stateObject, tokenRef(token), {
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
