import { errors, jwtVerify, SignJWT } from "jose";
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYPE } from "../constants";
import { unauthorized } from "../http/errors";
import type { SigningKeys } from "./signing-keys";

export const ACCESS_TOKEN_ISSUER = "edge-oidc-auth";

/**
 * What an access token carries, signed. Its limits travel inside it so that login needs no storage
 * round trip: the identity's Durable Object (`sob`) creates the token's state on first use from these.
 */
export interface AccessTokenClaims {
  /** identity id */
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  org: string;
  auth_method: string;
  /**
   * Id of the auth method configuration the token was issued under. A detach and a new attach give a new
   * id, so tokens of the detached configuration stay dead.
   */
  auth_id: string;
  /** Durable Object id (hex) that holds this identity's token state. */
  sob: string;
  /** when the token (this jti) was first issued, and the latest any renewal may reach */
  first_iat: number;
  max_exp: number;
  /** configured TTL, used again on renewal */
  ttl: number;
  /** 0 = unlimited */
  uses: number;
  metadata?: Record<string, string>;
}

export async function signAccessToken(keys: SigningKeys, claims: AccessTokenClaims): Promise<string> {
  const { sub, jti, iat, exp, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: keys.active.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keys.active.key);
}

const MAX_ACCESS_TOKEN_LENGTH = 8192;

/**
 * Checks signature, issuer, audience, type and expiry of one of our tokens. `allowExpired` serves revoke
 * (which must work on any token we signed) and renew (which tells "expired" from "past max TTL" itself).
 *
 * No clock leeway on `exp`: we set it ourselves, and the issuing clock and this one are the same fleet's
 * (CLOCK_SKEW_SECONDS is for ID tokens from CI runners' IdPs). A leeway here would let every token live
 * that much longer than the `expiresIn` we told the client, and the identity's Durable Object, which
 * refuses at `exp` exactly, would disagree with this check.
 */
export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  opts: { allowExpired?: boolean } = {},
): Promise<AccessTokenClaims> {
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_ACCESS_TOKEN_LENGTH) {
    throw unauthorized("access_token_invalid", "The access token is malformed");
  }
  try {
    const { payload } = await jwtVerify(token, (header) => {
      const key = header.kid ? keys.verify.get(header.kid) : undefined;
      if (!key) throw unauthorized("access_token_invalid", "The access token was not signed by this service");
      return key;
    }, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      typ: ACCESS_TOKEN_TYPE,
      requiredClaims: ["exp", "jti", "sub"],
      clockTolerance: 0,
      currentDate: opts.allowExpired ? new Date(0) : undefined,
    });
    if (
      typeof payload.org !== "string" || typeof payload.sob !== "string" || typeof payload.max_exp !== "number" ||
      typeof payload.jti !== "string" || typeof payload.auth_method !== "string" ||
      typeof payload.first_iat !== "number" || typeof payload.ttl !== "number" || typeof payload.uses !== "number" ||
      typeof payload.auth_id !== "string"
    ) {
      throw unauthorized("access_token_invalid", "The access token is missing required claims");
    }
    return payload as unknown as AccessTokenClaims;
  } catch (err) {
    if (err && typeof err === "object" && "reasonCode" in err) throw err;
    if (err instanceof errors.JWTExpired) throw unauthorized("access_token_expired", "The access token has expired");
    throw unauthorized("access_token_invalid", "The access token is invalid");
  }
}
