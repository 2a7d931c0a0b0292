import { importJWK, type JWK } from "jose";

/**
 * A verified-usable view of an IdP's JWKS: only public signature keys of a safe strength survive
 * parsing, and each is imported once per algorithm and kept with the set.
 */
export interface VerificationKey {
  kid: string | undefined;
  alg: string | undefined;
  jwk: JWK;
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

const MIN_RSA_MODULUS_BITS = 2048;

/** Why a published key is not used; keys failing any rule are dropped, never trusted. */
export function rejectKey(jwk: Record<string, unknown>): string | null {
  if (jwk.use !== undefined && jwk.use !== "sig") return "use is not sig";
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes("verify")) return "key_ops lacks verify";
  if ("d" in jwk || "p" in jwk || "k" in jwk) return "private or symmetric key material";
  if (jwk.kid !== undefined && (typeof jwk.kid !== "string" || jwk.kid.length > 256)) return "odd kid";
  if (jwk.alg !== undefined && typeof jwk.alg !== "string") return "odd alg";
  switch (jwk.kty) {
    case "RSA": {
      if (typeof jwk.n !== "string" || jwk.e !== "AQAB") return "RSA exponent must be 65537";
      const bits = base64UrlBitLength(jwk.n);
      return bits >= MIN_RSA_MODULUS_BITS ? null : "RSA modulus under 2048 bits";
    }
    case "EC":
      return typeof jwk.crv === "string" && jwk.crv in EC_ALG_BY_CURVE && typeof jwk.x === "string" && typeof jwk.y === "string"
        ? null
        : "unsupported EC key";
    case "OKP":
      return jwk.crv === "Ed25519" && typeof jwk.x === "string" ? null : "unsupported OKP key";
    default:
      return "unsupported key type";
  }
}

/** Modulus size from its unpadded base64url text (leading zero bytes are not part of a canonical n). */
function base64UrlBitLength(b64url: string): number {
  return Math.floor((b64url.length * 3) / 4) * 8;
}

export function parseJwks(raw: unknown): KeySet {
  if (typeof raw !== "object" || raw === null || !Array.isArray((raw as { keys?: unknown }).keys)) {
    throw new Error("JWKS has no keys array");
  }
  const keys: VerificationKey[] = [];
  for (const entry of (raw as { keys: unknown[] }).keys.slice(0, 100)) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) continue;
    const jwk = entry as Record<string, unknown>;
    if (rejectKey(jwk) !== null) continue;
    const { kty, crv, n, e, x, y } = jwk;
    keys.push({
      kid: jwk.kid as string | undefined,
      alg: jwk.alg as string | undefined,
      jwk: Object.fromEntries(Object.entries({ kty, crv, n, e, x, y }).filter(([, v]) => v !== undefined)) as JWK,
    });
  }
  return new KeySet(keys);
}
