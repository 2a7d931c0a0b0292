/**
 * The first look at a presented ID token, before any key is looked up and before any outbound fetch:
 * everything that can be judged from the token alone. A token passing this is a compact JWS with one
 * spelling (RFC 7515 §7.1, strict base64url), whose header and payload are JSON objects without duplicate
 * member names or absurd nesting, whose header asks for nothing we refuse to honour, and whose signature
 * has the size its algorithm prescribes. Only then does verify-id-token fetch keys and check the signature.
 *
 * Refusals: 413 `token_too_large`; 401 `token_malformed`, `token_encrypted`, `alg_not_allowed`,
 * `header_not_allowed`, `key_not_found` (odd kid), `signature_invalid` (wrong size, ECDSA r/s out of range),
 * `exp_invalid`, `nbf_invalid`, `iat_invalid`. docs/security.md lists each attack and its test.
 */
import { ALLOWED_ID_TOKEN_ALGS, MAX_ID_TOKEN_BYTES, MAX_ID_TOKEN_JSON_DEPTH } from "../constants";
import { parseStrictJson } from "./strict-json";
import { DomainError, Reason } from "../errors";

export interface TokenShape {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  alg: string;
  kid: string | undefined;
  /** Bytes of the decoded signature (RSA signatures are not decoded: only their length matters here). */
  signatureLength: number;
}

const ALLOWED = new Set<string>(ALLOWED_ID_TOKEN_ALGS);

/** Header parameters that would let the token choose its own key: never fetched, never trusted. */
const KEY_CARRYING_HEADERS = ["jku", "jwk", "x5u", "x5c"] as const;
/**
 * Header parameters we do not implement and that change how a token must be read: `crit` (we understand
 * no extension, so any listed one is unknown, RFC 7515 §4.1.11), `b64` (RFC 7797 unencoded payloads),
 * and the JWE parameters `enc`/`zip`.
 */
const UNSUPPORTED_HEADERS = ["crit", "b64", "enc", "zip"] as const;

/** Longest `kid` we look up; anything longer cannot be a key id an IdP publishes (jwks.ts drops such keys). */
export const MAX_KID_LENGTH = 256;

export const tokenTooLarge = () => new DomainError(Reason.token_too_large, `The token exceeds ${MAX_ID_TOKEN_BYTES} bytes`);

const malformed = (what: string) => new DomainError(Reason.token_malformed, `The token is not a well-formed compact JWS: ${what}`);

export function checkTokenShape(jwt: string): TokenShape {
  // Bytes and characters are the same for a well-formed token (ASCII only); a longer string is refused
  // whatever its characters, before anything is decoded.
  if (jwt.length > MAX_ID_TOKEN_BYTES) throw tokenTooLarge();
  if (jwt.startsWith("{")) throw malformed("the JSON serialization is not accepted, only the compact form");
  const parts = jwt.split(".");
  if (parts.length === 5) throw new DomainError(Reason.token_encrypted);
  if (parts.length !== 3) throw malformed("it must have exactly three dot-separated segments");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJsonSegment(headerPart, "header");
  const payload = decodeJsonSegment(payloadPart, "payload");
  if (!isStrictBase64url(signaturePart)) throw malformed("the signature is not strict base64url");

  const alg = header.alg;
  if (typeof alg !== "string" || !ALLOWED.has(alg)) {
    throw new DomainError(Reason.alg_not_allowed, "The token's signing algorithm is not accepted (asymmetric algorithms only)");
  }
  for (const name of KEY_CARRYING_HEADERS) {
    if (Object.hasOwn(header, name))
      throw new DomainError(Reason.header_not_allowed, `The token header carries '${name}', which is refused`);
  }
  for (const name of UNSUPPORTED_HEADERS) {
    if (Object.hasOwn(header, name))
      throw new DomainError(Reason.header_not_allowed, `The token header carries '${name}', which is not supported`);
  }
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== "string" || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw new DomainError(Reason.key_not_found, "The token's key id is not one of the issuer's keys");
  }

  const signatureLength = checkSignatureEncoding(alg, signaturePart);
  checkTimeClaimTypes(payload);
  return { header, payload, alg, kid, signatureLength };
}

function decodeJsonSegment(segment: string, name: "header" | "payload"): Record<string, unknown> {
  if (segment === "") throw malformed(`the ${name} is empty`);
  const binary = decodeBase64urlBinary(segment);
  if (binary === null) throw malformed(`the ${name} is not strict base64url`);
  let text: string;
  if (!NON_ASCII.test(binary)) {
    text = binary; // ASCII bytes are their own UTF-8 decoding (the usual case): no byte array, no decoder
  } else {
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(binaryBytes(binary));
    } catch {
      throw malformed(`the ${name} is not UTF-8`);
    }
  }
  try {
    return parseStrictJson(text, { maxDepth: MAX_ID_TOKEN_JSON_DEPTH }) as Record<string, unknown>;
  } catch (err) {
    throw malformed(`the ${name} is not a JSON object without duplicate names (${err instanceof Error ? err.message : "invalid"})`);
  }
}

const NON_ASCII = /[^\x00-\x7f]/;
const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;
const B64URL_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].entries()) {
  B64URL_VALUE[c.charCodeAt(0)] = i;
}

/**
 * Strict, canonical base64url (RFC 7515 §2): the 64 URL-safe characters only (no padding, whitespace, `+`
 * or `/`), no impossible length, and zero bits in the unused low bits of the last character, so each byte
 * string has exactly one spelling. Returns null for anything else.
 */
export function decodeBase64url(text: string): Uint8Array | null {
  const binary = decodeBase64urlBinary(text);
  return binary === null ? null : binaryBytes(binary);
}

/** decodeBase64url's bytes as a binary string (one char per byte), decoded by the runtime's atob. */
function decodeBase64urlBinary(text: string): string | null {
  if (!isStrictBase64url(text)) return null;
  return atob(text.replaceAll("-", "+").replaceAll("_", "/"));
}

function isStrictBase64url(text: string): boolean {
  const rem = text.length % 4;
  if (rem === 1 || !BASE64URL_CHARS.test(text)) return false;
  // The last character of a 2- or 3-character tail carries 4 or 2 bits that encode nothing: they must be 0.
  return rem === 0 || (B64URL_VALUE[text.charCodeAt(text.length - 1)]! & (rem === 2 ? 0x0f : 0x03)) === 0;
}

/** Bytes encoded by a strict base64url text. */
const base64urlLength = (text: string) => Math.floor((text.length * 3) / 4);

function binaryBytes(binary: string): Uint8Array {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** ECDSA group orders (SEC 2) and the Ed25519 group order L (RFC 8032). */
const EC_ORDERS: Record<string, { size: number; n: bigint }> = {
  ES256: { size: 32, n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n },
  ES384: {
    size: 48,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  ES512: {
    size: 66,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
};
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** RSA signatures are as long as the modulus: 2048 to 8192 bits here (jwks.ts refuses other keys). */
export const RSA_MIN_MODULUS_BYTES = 256;
export const RSA_MAX_MODULUS_BYTES = 1024;

const bigEndian = (bytes: Uint8Array) => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

const badSignature = () => new DomainError(Reason.signature_invalid);

/**
 * The signature's size for its algorithm, and for ECDSA that r and s lie in [1, n-1] and for Ed25519 that
 * S < L: signatures outside these ranges are invalid by definition (a verifier that forgot the range check
 * would accept r = s = 0 for any message, CVE-2022-21449), so they are refused here, whatever the library.
 */
function checkSignatureEncoding(alg: string, encoded: string): number {
  const length = base64urlLength(encoded);
  const ec = EC_ORDERS[alg];
  if (ec) {
    if (length !== 2 * ec.size) throw badSignature();
    const signature = decodeBase64url(encoded)!;
    const r = bigEndian(signature.subarray(0, ec.size));
    const s = bigEndian(signature.subarray(ec.size));
    if (r === 0n || s === 0n || r >= ec.n || s >= ec.n) throw badSignature();
    return length;
  }
  if (alg === "EdDSA" || alg === "Ed25519") {
    if (length !== 64) throw badSignature();
    const S = bigEndian(decodeBase64url(encoded)!.subarray(32).reverse()); // S is little-endian
    if (S >= ED25519_L) throw badSignature();
    return length;
  }
  // RS*/PS*: the exact length depends on the key (verify-id-token compares it with the modulus).
  if (length < RSA_MIN_MODULUS_BYTES || length > RSA_MAX_MODULUS_BYTES) throw badSignature();
  return length;
}

/**
 * `exp` is required and numeric; `nbf` and `iat` are numeric when present. Checked on the unverified
 * payload only to refuse early (a refusal never needs the signature); their values are judged after the
 * signature verified. Numbers are finite: the strict JSON reader refuses `1e999`.
 */
function checkTimeClaimTypes(payload: Record<string, unknown>): void {
  if (typeof payload.exp !== "number") throw new DomainError(Reason.exp_invalid);
  if (payload.nbf !== undefined && typeof payload.nbf !== "number") {
    throw new DomainError(Reason.nbf_invalid);
  }
  if (payload.iat !== undefined && typeof payload.iat !== "number") {
    throw new DomainError(Reason.iat_invalid);
  }
}
