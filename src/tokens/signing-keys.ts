import { importJWK, type JWK } from "jose";
import { ACCESS_TOKEN_ALG } from "../constants";
import { DomainError, Reason } from "../errors";

/**
 * Our access-token signing keys come from the Worker secret SIGNING_KEYS:
 *   { "keys": [ { private ES256 JWK with "kid" }, ... ], "active": "<kid>" }
 * Every listed key verifies; only the active one (default: the first) signs. Rotation: add a new key,
 * make it active, and drop the old one once the longest-lived token it signed has expired.
 */
export interface SigningKeys {
  active: { kid: string; key: CryptoKey };
  verify: Map<string, CryptoKey>;
  publicJwks: { keys: JWK[] };
}

let memo: { source: string; keys: Promise<SigningKeys> } | undefined;

export function loadSigningKeys(secret: string | undefined): Promise<SigningKeys> {
  if (!secret) {
    return Promise.reject(new DomainError(Reason.signing_key_missing));
  }
  if (memo?.source !== secret) {
    const keys = parseSigningKeys(secret);
    keys.catch(() => (memo = undefined));
    memo = { source: secret, keys };
  }
  return memo.keys;
}

const PRIVATE_FIELDS = new Set(["d", "p", "q", "dp", "dq", "qi", "k", "oth"]);

async function parseSigningKeys(secret: string): Promise<SigningKeys> {
  let parsed: { keys?: JWK[]; active?: string };
  try {
    parsed = JSON.parse(secret) as typeof parsed;
  } catch {
    throw new DomainError(Reason.signing_key_invalid, "SIGNING_KEYS is not valid JSON");
  }
  const jwks = parsed.keys ?? [];
  if (jwks.length === 0 || jwks.some((k) => !k.kid || !k.d)) {
    throw new DomainError(Reason.signing_key_invalid, "SIGNING_KEYS needs private JWKs, each with a kid");
  }
  const verify = new Map<string, CryptoKey>();
  const publicKeys: JWK[] = [];
  let active: SigningKeys["active"] | undefined;
  const activeKid = parsed.active ?? jwks[0]!.kid!;
  for (const jwk of jwks) {
    const kid = jwk.kid!;
    const pub = Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_FIELDS.has(k))) as JWK;
    Object.assign(pub, { alg: ACCESS_TOKEN_ALG, use: "sig", kid });
    delete pub.key_ops;
    verify.set(kid, (await importJWK(pub, ACCESS_TOKEN_ALG)) as CryptoKey);
    publicKeys.push(pub);
    if (kid === activeKid) active = { kid, key: (await importJWK({ ...jwk, key_ops: ["sign"] }, ACCESS_TOKEN_ALG)) as CryptoKey };
  }
  if (!active) throw new DomainError(Reason.signing_key_invalid, "SIGNING_KEYS.active names no listed key");
  return { active, verify, publicJwks: { keys: publicKeys } };
}
