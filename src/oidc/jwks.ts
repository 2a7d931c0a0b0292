import { importJWK, type JWK } from "jose";
import { ALLOWED_ID_TOKEN_ALGS } from "../constants";
import { decodeBase64url, MAX_KID_LENGTH, RSA_MAX_MODULUS_BYTES, RSA_MIN_MODULUS_BYTES } from "./token-shape";

/**
 * A verified-usable view of an IdP's JWKS: only public signature keys of a safe strength survive
 * parsing, and each is imported once per algorithm and kept with the set.
 */
export interface VerificationKey {
  kid: string | undefined;
  alg: string | undefined;
  jwk: JWK;
  /** RSA keys: the modulus length in bytes, which is also the length of every signature it makes. */
  modulusBytes?: number;
}

export class KeySet {
  private readonly imported = new Map<string, Promise<CryptoKey | Uint8Array>>();
  constructor(readonly keys: readonly VerificationKey[]) {}

  hasKid(kid: string): boolean {
    return this.keys.some((k) => k.kid === kid);
  }

  /** Keys that may verify a token with this header: same kid (when given) and a compatible algorithm. */
  candidates(alg: string, kid: string | undefined): VerificationKey[] {
    return this.keys.filter((k) => (kid === undefined || k.kid === kid) && keyFitsAlg(k, alg));
  }

  importFor(key: VerificationKey, alg: string): Promise<CryptoKey | Uint8Array> {
    const cacheKey = `${this.keys.indexOf(key)}:${alg}`;
    let p = this.imported.get(cacheKey);
    if (!p) {
      p = importJWK(key.jwk, alg);
      p.catch(() => this.imported.delete(cacheKey));
      this.imported.set(cacheKey, p);
    }
    return p;
  }
}

const RSA_ALGS = new Set(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]);
const EC_ALG_BY_CURVE: Record<string, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };

export function keyFitsAlg(key: VerificationKey, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg && !(isEdAlg(key.alg) && isEdAlg(alg))) return false;
  const { kty, crv } = key.jwk;
  if (kty === "RSA") return RSA_ALGS.has(alg);
  if (kty === "EC") return typeof crv === "string" && EC_ALG_BY_CURVE[crv] === alg;
  if (kty === "OKP") return crv === "Ed25519" && isEdAlg(alg);
  return false;
}

const isEdAlg = (alg: string) => alg === "EdDSA" || alg === "Ed25519";

const MIN_RSA_MODULUS_BITS = RSA_MIN_MODULUS_BYTES * 8;
const MAX_RSA_MODULUS_BITS = RSA_MAX_MODULUS_BYTES * 8;
const SIGNING_ALGS = new Set<string>(ALLOWED_ID_TOKEN_ALGS);
/** Coordinate sizes in bytes (RFC 7518 §6.2.1.2: x and y are exactly the curve's field size). */
const EC_COORDINATE_BYTES: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };
/** Members that only private or symmetric keys have (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
export const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** Why a published key is not used; keys failing any rule are dropped, never trusted. */
export function rejectKey(jwk: Record<string, unknown>): string | null {
  if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) return "private or symmetric key material";
  if (jwk.use !== undefined && jwk.use !== "sig") return "use is not sig";
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) return "key_ops lacks verify";
  if (jwk.kid !== undefined && (typeof jwk.kid !== "string" || jwk.kid.length === 0 || jwk.kid.length > MAX_KID_LENGTH))
    return "odd kid";
  if (jwk.alg !== undefined && (typeof jwk.alg !== "string" || !SIGNING_ALGS.has(jwk.alg)))
    return "alg is not an accepted signing algorithm";
  switch (jwk.kty) {
    case "RSA": {
      if (jwk.e !== "AQAB") return "RSA exponent must be 65537";
      const bits = typeof jwk.n === "string" ? rsaModulusBits(jwk.n) : null;
      if (bits === null) return "RSA modulus is not canonical base64url";
      if (bits < MIN_RSA_MODULUS_BITS) return "RSA modulus under 2048 bits";
      if (bits > MAX_RSA_MODULUS_BITS) return "RSA modulus over 8192 bits";
      return null;
    }
    case "EC": {
      const size = typeof jwk.crv === "string" ? EC_COORDINATE_BYTES[jwk.crv] : undefined;
      if (size === undefined) return "unsupported EC curve";
      return coordinateBytes(jwk.x) === size && coordinateBytes(jwk.y) === size ? null : "EC coordinates of the wrong size";
    }
    case "OKP":
      if (jwk.crv !== "Ed25519") return "unsupported OKP curve";
      return coordinateBytes(jwk.x) === 32 ? null : "Ed25519 key of the wrong size";
    default:
      return "unsupported key type";
  }
}

/**
 * The modulus size in bits, exactly: decoded, leading zero bytes skipped (a 1024-bit modulus padded with
 * zero bytes to 256 is still a 1024-bit modulus), then the bit length of the top byte. Null if n is not
 * canonical base64url.
 */
export function rsaModulusBits(n: string): number | null {
  const bytes = decodeBase64url(n);
  if (bytes === null) return null;
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

function coordinateBytes(value: unknown): number | null {
  if (typeof value !== "string") return null;
  return decodeBase64url(value)?.length ?? null;
}

export function parseJwks(raw: unknown): KeySet {
  if (typeof raw !== "object" || raw === null || !Array.isArray((raw as { keys?: unknown }).keys)) {
    throw new Error("JWKS has no keys array");
  }
  const keys: VerificationKey[] = [];
  const seen = new Set<string>();
  for (const entry of (raw as { keys: unknown[] }).keys.slice(0, 100)) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) continue;
    const jwk = entry as Record<string, unknown>;
    if (rejectKey(jwk) !== null) continue;
    const { kty, crv, n, e, x, y } = jwk;
    const key: VerificationKey = {
      kid: jwk.kid as string | undefined,
      alg: jwk.alg as string | undefined,
      // Only the public members are kept: nothing else in a published JWK (x5c, x5u, ...) is ever read.
      jwk: Object.fromEntries(Object.entries({ kty, crv, n, e, x, y }).filter(([, v]) => v !== undefined)) as JWK,
    };
    if (kty === "RSA") key.modulusBytes = Math.ceil(rsaModulusBits(n as string)! / 8);
    // The same key published twice (some IdPs list it with and without x5c) is one candidate, not two.
    const identity = JSON.stringify([key.kid, key.alg, key.jwk]);
    if (seen.has(identity)) continue;
    seen.add(identity);
    keys.push(key);
  }
  return new KeySet(keys);
}
