import { errors, type JWTPayload } from "jose";
import { CLOCK_SKEW_SECONDS } from "../constants";
import type { KeySet } from "./jwks";
import { checkTokenShape, decodeBase64url } from "./token-shape";
import { DomainError, Reason } from "../errors";
import { nowSeconds } from "../time/clock";

export type KeyLookup = (kid: string | undefined) => Promise<KeySet>;

/** At most this many of the issuer's keys are tried for one token (same kid published twice, or no kid). */
const MAX_CANDIDATE_KEYS = 3;

/**
 * Verifies an ID token's signature and time claims against the issuer's keys, with an explicit asymmetric
 * allow-list and the exact expected issuer. Every failure is a 401 DomainError with a stable reason code
 * (413 `token_too_large` for an oversized token).
 *
 * Order: the token's shape, header and signature size (src/oidc/token-shape.ts, no I/O); only then the
 * issuer's keys (which may fetch); then the signature and the claims. The `kid` is only ever a lookup key
 * into the configured issuer's key set. `onSignatureVerified` sees the payload once the signature verified,
 * before the issuer and time claims are checked (the audit trail keeps the claims of such tokens).
 */
export async function verifyIdToken(
  jwt: string,
  lookupKeys: KeyLookup,
  expectedIssuer: string,
  onSignatureVerified?: (payload: JWTPayload) => void,
): Promise<JWTPayload> {
  const { alg, kid, signatureLength, payload } = checkTokenShape(jwt);

  const keys = await lookupKeys(kid);
  const candidates = keys.candidates(alg, kid).slice(0, MAX_CANDIDATE_KEYS);
  if (candidates.length === 0) {
    throw new DomainError(Reason.key_not_found);
  }

  // What the signature covers (the token's own header and payload segments) and the signature, decoded
  // once for every candidate key; token-shape checked both encodings strictly.
  const lastDot = jwt.lastIndexOf(".");
  const signingInput = encoder.encode(jwt.slice(0, lastDot));
  const signature = decodeBase64url(jwt.slice(lastDot + 1))!;
  let lastError: unknown;
  for (const candidate of candidates) {
    // An RSA signature is exactly as long as the modulus: a truncated or extended one is refused here,
    // whatever the crypto library would make of it.
    if (candidate.modulusBytes !== undefined && signatureLength !== candidate.modulusBytes) {
      lastError = new errors.JWSSignatureVerificationFailed();
      continue;
    }
    let key: CryptoKey | Uint8Array;
    try {
      key = await keys.importFor(candidate, alg);
    } catch {
      // A published key WebCrypto will not import (e.g. an EC point not on its curve) is no key at all.
      lastError = new DomainError(Reason.key_not_found, "No usable key of the issuer matches the token's key id and algorithm");
      continue;
    }
    let valid: boolean;
    try {
      // The signature over the token's own segments, straight on WebCrypto: token-shape already read the
      // header (alg allowed, no crit/b64/key-carrying parameters) and the payload strictly, and the key was
      // imported for exactly this alg, so a JOSE library would only decode and parse the token again.
      valid = await crypto.subtle.verify(verifyParams(alg, key), key as CryptoKey, signature, signingInput);
    } catch (err) {
      lastError = err;
      break;
    }
    if (!valid) {
      lastError = new errors.JWSSignatureVerificationFailed();
      continue;
    }
    onSignatureVerified?.(payload as JWTPayload);
    checkClaims(payload, expectedIssuer);
    return payload as JWTPayload;
  }
  throw toDomainError(lastError);
}

const encoder = new TextEncoder();
type VerifyAlgorithm = Parameters<SubtleCrypto["verify"]>[0];

/**
 * WebCrypto's parameters for verifying a JWS algorithm's signature (RFC 7518 §3.3-3.5, RFC 8037) with a
 * key imported for that algorithm (its hash is the key's). A JWS ECDSA signature is r || s, which is
 * WebCrypto's own encoding. A key that is not a CryptoKey (no asymmetric algorithm gives one) is refused.
 */
function verifyParams(alg: string, key: CryptoKey | Uint8Array): VerifyAlgorithm {
  if (key instanceof Uint8Array) throw new errors.JOSENotSupported("not an asymmetric key");
  switch (alg) {
    case "RS256":
    case "RS384":
    case "RS512":
      return { name: "RSASSA-PKCS1-v1_5" };
    case "PS256":
    case "PS384":
    case "PS512":
      return { name: "RSA-PSS", saltLength: Number(alg.slice(2)) / 8 };
    case "ES256":
    case "ES384":
    case "ES512":
      return { name: "ECDSA", hash: `SHA-${alg.slice(2)}` };
    case "EdDSA":
    case "Ed25519":
      return { name: key.algorithm.name }; // Ed25519 (or workerd's older NODE-ED25519)
    default:
      throw new errors.JOSENotSupported(`unsupported algorithm ${alg.slice(0, 16)}`);
  }
}

/**
 * The verified token's issuer and time claims, as RFC 7519 §4.1 reads them, with CLOCK_SKEW_SECONDS of
 * leeway for the CI runner's clock. Types were checked by token-shape (exp numeric and required, nbf and
 * iat numeric when present).
 */
function checkClaims(payload: Record<string, unknown>, expectedIssuer: string): void {
  if (payload.iss !== expectedIssuer) throw new DomainError(Reason.issuer_mismatch);
  const now = nowSeconds();
  if ((payload.exp as number) <= now - CLOCK_SKEW_SECONDS) throw new DomainError(Reason.token_expired);
  if (typeof payload.nbf === "number" && payload.nbf > now + CLOCK_SKEW_SECONDS) {
    throw new DomainError(Reason.token_not_yet_valid);
  }
  if (typeof payload.iat === "number" && payload.iat > now + CLOCK_SKEW_SECONDS) {
    throw new DomainError(Reason.token_issued_in_future);
  }
}

/** Maps jose's errors to our codes. jose errors carry the payload: they are never logged or echoed. */
function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new DomainError(Reason.signature_invalid);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new DomainError(Reason.alg_not_allowed);
  }
  if (err instanceof errors.JOSENotSupported) {
    return new DomainError(Reason.token_unsupported);
  }
  return new DomainError(Reason.token_malformed);
}
