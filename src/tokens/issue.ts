import type { JWTPayload } from "jose";
import type { ClaimSnapshot, LeftOut } from "../oidc/claim-snapshot";
import { mapClaims } from "../oidc/claims";
import type { Identity, OidcAuthConfig } from "../storage/records";
import { AUTH_METHOD_OIDC } from "../storage/records";
import { newTimeOrderedId } from "../storage/ids";
import type { AccessTokenClaims } from "./access-token";
import { issuedForClaims, signWithinLimit } from "./issued-for";
import type { SigningKeys } from "./signing-keys";
import { secondsLeft, tokenExpiry } from "./ttl";
import { nowSeconds } from "../time/clock";
import type { Env } from "../env";
import { shardObjectId, shardOf } from "./token-state-client";

/** Infisical's login and renew response; both numbers are true seconds (clients schedule renewal on them). */
export interface TokenResponse {
  accessToken: string;
  expiresIn: number;
  accessTokenMaxTTL: number;
  tokenType: "Bearer";
}

export function tokenResponse(accessToken: string, claims: AccessTokenClaims, now: number): TokenResponse {
  return {
    accessToken,
    expiresIn: secondsLeft(claims.exp, now),
    accessTokenMaxTTL: claims.max_exp - claims.first_iat,
    tokenType: "Bearer",
  };
}

/**
 * Mints a new access token for a verified login. No storage at all: the login's one row (its audit event,
 * which is also the token's ledger row) is written behind the response by the caller (src/tokens/audit.ts).
 */
export async function issueAccessToken(
  keys: SigningKeys,
  input: {
    identity: Identity;
    config: OidcAuthConfig;
    idToken: JWTPayload;
    /** the ID token's claim snapshot, when the login already took it, and what it left out */
    idTokenSnapshot?: ClaimSnapshot | undefined;
    idTokenLeftOut?: LeftOut | undefined;
    ceilingSeconds: number;
    /** the token-state namespace: the token's shard id is derived in it (a hash, no call) */
    tokenState: Pick<Env, "TOKEN_STATE">;
    /** the issuer identifier (src/env.ts): the token's `iss` */
    issuer?: string | undefined;
  },
): Promise<{ response: TokenResponse; claims: AccessTokenClaims }> {
  const now = nowSeconds();
  const { config, identity } = input;
  const { expiresAt, maxExpiresAt } = tokenExpiry({
    now,
    firstIssuedAt: now,
    ttl: config.accessTokenTTL,
    maxTtl: config.accessTokenMaxTTL,
    ceiling: input.ceilingSeconds,
  });
  const jti = newTimeOrderedId(); // time-ordered: appends to the ledger's and the Durable Object's key B-trees
  const claims: AccessTokenClaims = {
    sub: identity.id,
    jti,
    iat: now,
    exp: expiresAt,
    org: identity.orgId,
    auth_method: AUTH_METHOD_OIDC,
    auth_id: config.id,
    // The token's shard of the identity's token state, chosen by its jti with no I/O (docs/architecture.md).
    sob: shardObjectId(input.tokenState, identity.stateObject, shardOf(jti)),
    first_iat: now,
    max_exp: maxExpiresAt,
    ttl: config.accessTokenTTL,
    uses: config.accessTokenNumUsesLimit,
  };
  if (config.claimMetadataMapping) {
    const metadata = mapClaims(input.idToken as Record<string, unknown>, config.claimMetadataMapping);
    if (Object.keys(metadata).length > 0) claims.metadata = metadata;
  }
  Object.assign(claims, await issuedForClaims(config, input.idToken, input.idTokenSnapshot, input.idTokenLeftOut));
  const accessToken = await signWithinLimit(keys, claims, input.issuer);
  return { response: tokenResponse(accessToken, claims, now), claims };
}
