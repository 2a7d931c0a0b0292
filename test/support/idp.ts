// Test-side handle on the local IdP (test/support/idp-server.ts). Runs inside workerd: fetch only.
//
//   const idp = createIdp();                       // fresh, isolated tenant
//   const token = await idp.mint(gitlabClaims({ ref: "dev" }), { alg: "ES256" });
//   await idp.behaviour({ mode: "down" });         // discovery + JWKS stop answering
import { env } from "cloudflare:workers";
import { base64url, type JWK } from "jose";
import type { Behaviour, IdpStats, JwkPair, MintRequest, SigningAlg } from "./idp-server";

export type { Behaviour, BehaviourMode, IdpStats, JwkPair, SigningAlg } from "./idp-server";

import type { Claims } from "./ci-claims";

export { gitlabClaims, githubClaims, type Claims } from "./ci-claims";
export type MintOptions = Omit<MintRequest, "claims">;

export interface TestIdp {
  tenant: string;
  /** http://127.0.0.1:PORT/t/<tenant> — also the `iss` of minted tokens. */
  issuer: string;
  /** What to register with the service as the discovery URL: the issuer itself. */
  discoveryUrl: string;
  /** issuer + '/.well-known/openid-configuration' */
  wellKnownUrl: string;
  /** issuer + '/jwks' */
  jwksUrl: string;
  /** Signed token: default claims (iss, iat, nbf, exp, jti) overridden by `claims`. */
  mint(claims: Claims | string, opts?: MintOptions): Promise<string>;
  /** New key for `alg` (default RS256), published next to the old one and used from now on. Returns its kid. */
  rotate(alg?: SigningAlg): Promise<string>;
  /** Remove a key from the JWKS. */
  retire(kid: string): Promise<void>;
  /** Replace the public endpoints' behaviour; `behaviour({})` restores normal service. */
  behaviour(b: Behaviour): Promise<void>;
  stats(): Promise<IdpStats>;
  resetStats(): Promise<void>;
  /** The tenant's published keys as private JWKs (kid, alg, use included), oldest first. */
  keys(): Promise<JWK[]>;
  /** A fresh key pair attached to no tenant (for static-JWKS configurations). */
  jwkPair(alg: SigningAlg): Promise<JwkPair>;
}

function idpBaseUrl(): string {
  const url = (env as unknown as { TEST_IDP_URL?: string }).TEST_IDP_URL;
  if (!url) throw new Error("TEST_IDP_URL binding is missing (set by vitest.config.ts from global-setup.ts)");
  return url;
}

export function createIdp(tenant: string = `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`): TestIdp {
  const issuer = `${idpBaseUrl()}/t/${tenant}`;

  async function control<T>(method: "GET" | "POST", op: string, body: unknown = {}): Promise<T> {
    const res = await fetch(`${issuer}/_control/${op}`, {
      method,
      ...(method === "POST" ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`test IdP ${method} ${op} -> ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  return {
    tenant,
    issuer,
    discoveryUrl: issuer,
    wellKnownUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUrl: `${issuer}/jwks`,
    mint: async (claims, opts = {}) => (await control<{ token: string }>("POST", "mint", { ...opts, claims })).token,
    rotate: async (alg) => (await control<{ kid: string }>("POST", "rotate", { alg })).kid,
    retire: async (kid) => void (await control("POST", "retire", { kid })),
    behaviour: async (b) => void (await control("POST", "behaviour", b)),
    stats: () => control<IdpStats>("GET", "stats"),
    resetStats: async () => void (await control("POST", "reset-stats")),
    keys: async () => (await control<{ keys: JWK[] }>("GET", "keys")).keys,
    jwkPair: (alg) => control<JwkPair>("POST", "jwk-pair", { alg }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Hand-made tokens, for the hostile-token tests: signed inside workerd with keys no tenant publishes (or
// with a tenant's private JWK from `keys()`), so the header, payload and signature may be anything.

const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** The public half of a JWK from `keys()` or `jwkPair()` (private members removed, kid/alg/use kept). */
export function publicJwk(jwk: JWK): JWK {
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_JWK_MEMBERS.includes(name))) as JWK;
}

export const b64url = (bytes: Uint8Array): string => base64url.encode(bytes);
export const b64urlText = (text: string): string => base64url.encode(new TextEncoder().encode(text));
export const b64urlJson = (value: unknown): string => b64urlText(JSON.stringify(value));

function signAlgorithm(alg: string): { import: SubtleCryptoImportKeyAlgorithm; sign: SubtleCryptoSignAlgorithm } {
  const hash = `SHA-${alg.slice(2)}`;
  if (alg.startsWith("RS")) return { import: { name: "RSASSA-PKCS1-v1_5", hash }, sign: { name: "RSASSA-PKCS1-v1_5" } };
  if (alg.startsWith("PS"))
    return { import: { name: "RSA-PSS", hash }, sign: { name: "RSA-PSS", saltLength: Number(alg.slice(2)) / 8 } };
  if (alg.startsWith("ES")) {
    const namedCurve = { ES256: "P-256", ES384: "P-384", ES512: "P-521" }[alg]!;
    return { import: { name: "ECDSA", namedCurve }, sign: { name: "ECDSA", hash } };
  }
  return { import: { name: "Ed25519" }, sign: { name: "Ed25519" } };
}

/**
 * A compact JWS signed with `key` (a private JWK or CryptoKey) under `alg`, whatever the header says.
 * `header` and `payload` are JSON-encoded unless given as text (used verbatim).
 */
export async function signJws(
  key: JWK | CryptoKey,
  alg: string,
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
): Promise<string> {
  const params = signAlgorithm(alg);
  const cryptoKey =
    key instanceof CryptoKey
      ? key
      : await crypto.subtle.importKey(
          "jwk",
          { ...key, alg: undefined, key_ops: undefined, use: undefined } as JsonWebKey,
          params.import,
          false,
          ["sign"],
        );
  const text = (v: Record<string, unknown> | string) => (typeof v === "string" ? v : JSON.stringify(v));
  const input = `${b64urlText(text(header))}.${b64urlText(text(payload))}`;
  const signature = await crypto.subtle.sign(params.sign, cryptoKey, new TextEncoder().encode(input));
  return `${input}.${b64url(new Uint8Array(signature))}`;
}
