import { errors, jwtVerify, type JWTPayload } from "jose";
import { CLOCK_SKEW_SECONDS } from "../constants";
import { unauthorized, type ApiError } from "../http/errors";
import type { KeySet } from "./jwks";
import { checkTokenShape } from "./token-shape";

export type KeyLookup = (kid: string | undefined) => Promise<KeySet>;

/** At most this many of the issuer's keys are tried for one token (same kid published twice, or no kid). */
const MAX_CANDIDATE_KEYS = 3;

/**
 * Verifies an ID token's signature and time claims against the issuer's keys, with an explicit asymmetric
 * allow-list and the exact expected issuer. Every failure is a 401 ApiError with a stable reason code
 * (413 `token_too_large` for an oversized token).
 *
 * Order: the token's shape, header and signature size (src/oidc/token-shape.ts, no I/O); only then the
 * issuer's keys (which may fetch); then the signature and the claims. The `kid` is only ever a lookup key
 * into the configured issuer's key set.
 */
export async function verifyIdToken(jwt: string, lookupKeys: KeyLookup, expectedIssuer: string): Promise<JWTPayload> {
  const { alg, kid, signature } = checkTokenShape(jwt);

  const keys = await lookupKeys(kid);
  const candidates = keys.candidates(alg, kid).slice(0, MAX_CANDIDATE_KEYS);
  if (candidates.length === 0) {
    throw unauthorized("key_not_found", "No key of the issuer matches the token's key id and algorithm");
  }

  let lastError: unknown;
  for (const candidate of candidates) {
    // An RSA signature is exactly as long as the modulus: a truncated or extended one is refused here,
    // whatever the crypto library would make of it.
    if (candidate.modulusBytes !== undefined && signature.length !== candidate.modulusBytes) {
      lastError = new errors.JWSSignatureVerificationFailed();
      continue;
    }
    let key: CryptoKey | Uint8Array;
    try {
      key = await keys.importFor(candidate, alg);
    } catch {
      // A published key WebCrypto will not import (e.g. an EC point not on its curve) is no key at all.
      lastError = unauthorized("key_not_found", "No usable key of the issuer matches the token's key id and algorithm");
      continue;
    }
    try {
      const { payload } = await jwtVerify(jwt, key, {
        algorithms: [alg],
        issuer: expectedIssuer,
        requiredClaims: ["exp"],
        clockTolerance: CLOCK_SKEW_SECONDS,
      });
      checkIssuedAt(payload);
      return payload;
    } catch (err) {
      lastError = err;
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw toApiError(lastError);
}

function checkIssuedAt(payload: JWTPayload): void {
  if (payload.iat === undefined) return;
  if (payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
    throw unauthorized("token_issued_in_future", "The token's iat is in the future");
  }
}

/** Maps jose's errors to our codes. jose errors carry the payload: they are never logged or echoed. */
function toApiError(err: unknown): ApiError {
  if (err && typeof err === "object" && "reasonCode" in err) return err as ApiError;
  if (err instanceof errors.JWTExpired) return unauthorized("token_expired", "The token has expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "iss":
        return unauthorized("issuer_mismatch", "The token's iss is not the configured issuer");
      case "exp":
        return unauthorized("exp_invalid", "The token must carry a numeric exp");
      case "nbf":
        return unauthorized("token_not_yet_valid", "The token is not valid yet (nbf)");
      case "iat":
        return unauthorized("iat_invalid", "The token's iat is invalid");
      default:
        return unauthorized("claim_invalid", `The token's ${err.claim} claim is invalid`);
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return unauthorized("signature_invalid", "The token's signature does not verify with the issuer's key");
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return unauthorized("alg_not_allowed", "The token's signing algorithm is not accepted");
  }
  if (err instanceof errors.JOSENotSupported) {
    return unauthorized("token_unsupported", "The token uses an unsupported JOSE feature");
  }
  return unauthorized("token_malformed", "The token is not a well-formed signed JWT");
}
