import { errors, jwtVerify } from "jose";
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYPE, VERIFIED_TOKEN_CACHE_ENTRIES } from "../constants";
import { LruCache } from "../cache/lru";
import { encodeBase64url, encodeBase64urlText } from "../encoding/base64url";
import type { SigningKeys } from "./signing-keys";
import { DomainError, Reason } from "../errors";
import { nowMs, nowSeconds } from "../time/clock";
import type { ClaimSnapshot, LeftOut } from "../oidc/claim-snapshot";

/** `iss` of tokens issued without an issuer identifier (before there was one, or with no request to take it from). */
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
  /**
   * Durable Object id (hex) that holds this token's state: one of its identity's shards, chosen at login
   * (src/tokens/token-state-client.ts), or the identity's own object for tokens issued before shards.
   */
  sob: string;
  /** when the token (this jti) was first issued, and the latest any renewal may reach */
  first_iat: number;
  max_exp: number;
  /** configured TTL, used again on renewal */
  ttl: number;
  /** 0 = unlimited */
  uses: number;
  metadata?: Record<string, string>;
  /**
   * What the login admitted, for re-checks when the configuration changes (src/oidc/live-rules.ts): the ID
   * token's claim snapshot, the fingerprint of where its keys came from, and the fingerprint of the
   * configuration that admitted it. All three or none (tokens issued before re-checks existed); copied
   * unchanged on renewal.
   */
  idc?: ClaimSnapshot;
  /** The ID token's claims `idc` left out (src/oidc/claim-snapshot.ts); absent on older tokens: "unknown". */
  idd?: LeftOut;
  kfp?: string;
  cfp?: string;
}

const encoder = new TextEncoder();

/**
 * Signs the claims as a compact JWS, ES256 (ACCESS_TOKEN_ALG), straight on WebCrypto: WebCrypto's ECDSA
 * signature is r || s, which is exactly JWS's ES256 encoding (RFC 7518 §3.4), and the claims are ours and
 * already typed, so there is nothing for a JOSE library to check on the way. Verification (of tokens
 * presented to us) stays with jose.
 */
export async function signAccessToken(keys: SigningKeys, claims: AccessTokenClaims, issuer = ACCESS_TOKEN_ISSUER): Promise<string> {
  const { kid, key } = keys.active;
  const input = `${protectedHeader(kid)}.${encodeBase64urlText(JSON.stringify({ iss: issuer, aud: ACCESS_TOKEN_AUDIENCE, ...claims }))}`;
  const signature = await crypto.subtle.sign(ES256, key, encoder.encode(input));
  return `${input}.${encodeBase64url(signature)}`;
}

const ES256 = { name: "ECDSA", hash: "SHA-256" } as const;

/** The encoded protected header of a signing key id (one per key: computed once). */
const headers = new Map<string, string>();
function protectedHeader(kid: string): string {
  let header = headers.get(kid);
  if (!header) {
    header = encodeBase64urlText(JSON.stringify({ alg: ACCESS_TOKEN_ALG, kid, typ: ACCESS_TOKEN_TYPE }));
    headers.set(kid, header);
  }
  return header;
}

export const MAX_ACCESS_TOKEN_LENGTH = 8192;

/**
 * Checks signature, audience, type and expiry of one of our tokens. `iss` is only required to be there: it
 * is the issuer identifier the token was issued under (src/env.ts), and a deployment reached at two
 * origins, or given PUBLIC_URL later, issued under each; our signature is what vouches for the token.
 * `allowExpired` serves revoke (which must work on any token we signed) and renew (which tells "expired"
 * from "past max TTL" itself).
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
    throw new DomainError(Reason.access_token_invalid, "The access token is malformed");
  }
  const verified = verifiedTokens.get(token);
  if (verified && verified.keys === keys) {
    if (!opts.allowExpired && nowSeconds() >= verified.claims.exp) {
      throw new DomainError(Reason.access_token_expired);
    }
    return verified.claims;
  }
  const claims = await verifySignedAccessToken(keys, token, opts);
  verifiedTokens.set(token, { keys, claims }, VERIFIED_TOKEN_TTL_MS);
  return claims;
}

/**
 * Tokens whose signature and claims verified in this isolate, by their exact text. The same bytes verify
 * the same way under the same keys, so a hit skips only the signature check; expiry is judged again on
 * every hit, and revocation, uses and policy are the Durable Object's, which every use still asks. An
 * entry holds the key set it verified under: another SIGNING_KEYS (a rotation that drops a key arrives as
 * a new deployment, hence new isolates, anyway) misses. Claims are frozen: callers share one object.
 */
const verifiedTokens = new LruCache<{ keys: SigningKeys; claims: AccessTokenClaims }>(VERIFIED_TOKEN_CACHE_ENTRIES);
const VERIFIED_TOKEN_TTL_MS = 10 * 60_000;

async function verifySignedAccessToken(
  keys: SigningKeys,
  token: string,
  opts: { allowExpired?: boolean },
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keys.verify.get(header.kid) : undefined;
        if (!key) throw new DomainError(Reason.access_token_invalid, "The access token was not signed by this service");
        return key;
      },
      {
        algorithms: [ACCESS_TOKEN_ALG],
        audience: ACCESS_TOKEN_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["exp", "jti", "sub"],
        clockTolerance: 0,
        currentDate: new Date(opts.allowExpired ? 0 : nowMs()),
      },
    );
    if (
      typeof payload.iss !== "string" || // the issuer identifier it was issued under (src/env.ts); the signature is what vouches
      typeof payload.org !== "string" ||
      typeof payload.sob !== "string" ||
      typeof payload.max_exp !== "number" ||
      typeof payload.jti !== "string" ||
      typeof payload.auth_method !== "string" ||
      typeof payload.first_iat !== "number" ||
      typeof payload.ttl !== "number" ||
      typeof payload.uses !== "number" ||
      typeof payload.auth_id !== "string"
    ) {
      throw new DomainError(Reason.access_token_invalid, "The access token is missing required claims");
    }
    if (!issuedForShape(payload)) throw new DomainError(Reason.access_token_invalid, "The access token's login claims are malformed");
    if (payload.metadata !== undefined) Object.freeze(payload.metadata);
    if (payload.idc !== undefined) Object.freeze(payload.idc);
    if (Array.isArray(payload.idd)) Object.freeze(payload.idd);
    return Object.freeze(payload) as unknown as AccessTokenClaims;
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (err instanceof errors.JWTExpired) throw new DomainError(Reason.access_token_expired);
    throw new DomainError(Reason.access_token_invalid);
  }
}

/** `idc`, `kfp` and `cfp` all absent, or an object and two strings. */
function issuedForShape(payload: Record<string, unknown>): boolean {
  const { idc, kfp, cfp } = payload;
  if (idc === undefined && kfp === undefined && cfp === undefined) return true;
  return typeof idc === "object" && idc !== null && !Array.isArray(idc) && typeof kfp === "string" && typeof cfp === "string";
}
