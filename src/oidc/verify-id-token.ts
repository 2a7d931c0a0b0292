import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { ALLOWED_ID_TOKEN_ALGS, CLOCK_SKEW_SECONDS } from "../constants";
import { unauthorized, type ApiError } from "../http/errors";
import type { KeySet } from "./jwks";

const ALLOWED = new Set<string>(ALLOWED_ID_TOKEN_ALGS);
/** Header parameters that would let the token choose its own key: never honoured, always refused. */
const KEY_CARRYING_HEADERS = ["jku", "jwk", "x5u", "x5c"] as const;

export type KeyLookup = (kid: string | undefined) => Promise<KeySet>;

/**
 * Verifies an ID token's signature and time claims against the issuer's keys, with an explicit asymmetric
 * allow-list and the exact expected issuer. Every failure is a 401 ApiError with a stable reason code.
 */
export async function verifyIdToken(jwt: string, lookupKeys: KeyLookup, expectedIssuer: string): Promise<JWTPayload> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw unauthorized("token_malformed", "The token is not a well-formed JWT");
  }
  const alg = header.alg;
  if (typeof alg !== "string" || !ALLOWED.has(alg)) {
    throw unauthorized("alg_not_allowed", "The token's signing algorithm is not accepted (asymmetric algorithms only)");
  }
  for (const name of KEY_CARRYING_HEADERS) {
    if (name in header) throw unauthorized("header_not_allowed", `The token header carries '${name}', which is refused`);
  }
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== "string" || kid.length === 0 || kid.length > 256)) {
    throw unauthorized("key_not_found", "The token's key id is not one of the issuer's keys");
  }

  const keys = await lookupKeys(kid);
  const candidates = keys.candidates(alg, kid).slice(0, 3);
  if (candidates.length === 0) {
    throw unauthorized("key_not_found", "No key of the issuer matches the token's key id and algorithm");
  }

  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const key = await keys.importFor(candidate, alg);
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
