import type { JWTPayload } from "jose";
import type { ClaimSnapshot } from "../oidc/claim-snapshot";
import { mapClaims } from "../oidc/claims";
import type { Identity, OidcAuthConfig } from "../storage/records";
import { AUTH_METHOD_OIDC } from "../storage/records";
import { recordIssuedToken } from "../storage/access-tokens";
import { newTimeOrderedId } from "../storage/ids";
import type { AccessTokenClaims } from "./access-token";
import { issuedForClaims, signWithinLimit } from "./issued-for";
import type { SigningKeys } from "./signing-keys";
import { secondsLeft, tokenExpiry } from "./ttl";
import { nowSeconds } from "../time/clock";

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

/** Mints a new access token for a verified login. No storage round trip: the ledger write is deferred. */
export async function issueAccessToken(
  keys: SigningKeys,
  input: {
    identity: Identity;
    config: OidcAuthConfig;
    idToken: JWTPayload;
    /** the ID token's claim snapshot, when the login already took it */
    idTokenSnapshot?: ClaimSnapshot | undefined;
    ceilingSeconds: number;
    db: D1Database;
    clientIp: string | null;
    waitUntil: (p: Promise<unknown>) => void;
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
  const claims: AccessTokenClaims = {
    sub: identity.id,
    jti: newTimeOrderedId(), // time-ordered: appends to the ledger's and the Durable Object's key B-trees
    iat: now,
    exp: expiresAt,
    org: identity.orgId,
    auth_method: AUTH_METHOD_OIDC,
    auth_id: config.id,
    sob: identity.stateObject,
    first_iat: now,
    max_exp: maxExpiresAt,
    ttl: config.accessTokenTTL,
    uses: config.accessTokenNumUsesLimit,
  };
  if (config.claimMetadataMapping) {
    const metadata = mapClaims(input.idToken as Record<string, unknown>, config.claimMetadataMapping);
    if (Object.keys(metadata).length > 0) claims.metadata = metadata;
  }
  Object.assign(claims, await issuedForClaims(config, input.idToken, input.idTokenSnapshot));
  const accessToken = await signWithinLimit(keys, claims, input.issuer);
  recordIssuedToken(input.db, claims, input.clientIp, input.waitUntil);
  return { response: tokenResponse(accessToken, claims, now), claims };
}
