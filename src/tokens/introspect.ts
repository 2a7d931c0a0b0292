import type { Env } from "../env";
import { DomainError, isOutage } from "../errors";
import { verifyAccessToken } from "./access-token";
import { loadSigningKeys } from "./signing-keys";
import { useAccessToken, type TokenUse } from "./use-token";

/**
 * Token introspection (RFC 7662) for a resource server: one use of the token, by the same rules as every
 * other use (src/tokens/use-token.ts, what AuthService.authenticate does): signature, expiry, revocation,
 * max uses, the identity's current policy and trusted IPs, checked against `clientIp`, the address the
 * resource server saw the token come from (null: only identities that trust every address pass).
 *
 * `orgId` is the caller's organization when the caller is an identity: a token of another organization is
 * inactive to it, decided on the signed claims before the token's state is asked, so no use of it is spent.
 *
 * Returns the use, or null for any token a use would refuse (the answer is then `{ active: false }`, which
 * says nothing of why). Outages are not refusals: they throw (the caller answers 503 and may retry).
 */
export async function introspectAccessToken(
  env: Pick<Env, "SIGNING_KEYS" | "TOKEN_STATE">,
  token: string,
  opts: { clientIp: string | null; orgId: string | null },
): Promise<TokenUse | null> {
  try {
    const keys = await loadSigningKeys(env.SIGNING_KEYS);
    const claims = await verifyAccessToken(keys, token);
    if (opts.orgId !== null && claims.org !== opts.orgId) return null;
    return await useAccessToken(env, token, opts.clientIp);
  } catch (err) {
    if (err instanceof DomainError && !isOutage(err)) return null;
    throw err;
  }
}
