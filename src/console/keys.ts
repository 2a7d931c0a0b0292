import { encodeBase64url } from "../encoding/base64url";

// The console's keys, all derived with HKDF-SHA256 from ADMIN_API_KEY: rotating the admin key invalidates
// every session cookie and every CSRF token at once. One derivation per isolate and admin key.

export interface ConsoleKeys {
  /** HMAC-SHA256 over the session cookie's payload. */
  session: CryptoKey;
  /** HMAC-SHA256 that turns a session id into its CSRF token. */
  csrf: CryptoKey;
  /** AES-GCM for the access token an identity session carries (so the cookie does not expose it). */
  token: CryptoKey;
}

const enc = new TextEncoder();
const SALT = enc.encode("edge-oidc-auth/admin-console");

let cached: { secret: string; keys: Promise<ConsoleKeys> } | undefined;

async function derive(secret: string): Promise<ConsoleKeys> {
  const ikm = await crypto.subtle.importKey("raw", enc.encode(secret), "HKDF", false, ["deriveKey"]);
  const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: SALT, info: enc.encode(info) });
  const hmac = { name: "HMAC", hash: "SHA-256", length: 256 };
  const [session, csrf, token] = await Promise.all([
    crypto.subtle.deriveKey(hkdf("session-mac/v1"), ikm, hmac, false, ["sign", "verify"]),
    crypto.subtle.deriveKey(hkdf("csrf/v1"), ikm, hmac, false, ["sign", "verify"]),
    crypto.subtle.deriveKey(hkdf("session-token-enc/v1"), ikm, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
  ]);
  return { session, csrf, token };
}

/** The keys for this admin key; null when the deployment has no admin key (the console is then closed). */
export function consoleKeys(adminKey: string | undefined): Promise<ConsoleKeys> | null {
  if (!adminKey) return null;
  if (cached?.secret !== adminKey) {
    const keys = derive(adminKey);
    cached = { secret: adminKey, keys };
    keys.catch(() => {
      if (cached?.keys === keys) cached = undefined;
    });
  }
  return cached.keys;
}

export const b64url = encodeBase64url;

export function fromB64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

export const randomId = (bytes = 18) => b64url(crypto.getRandomValues(new Uint8Array(bytes)));

export async function hmac(key: CryptoKey, text: string): Promise<string> {
  return b64url(await crypto.subtle.sign("HMAC", key, enc.encode(text)));
}

/** Constant-time check of an HMAC given as base64url. */
export async function hmacVerify(key: CryptoKey, text: string, mac: string): Promise<boolean> {
  const bytes = fromB64url(mac);
  if (!bytes || bytes.length !== 32) return false;
  return crypto.subtle.verify("HMAC", key, bytes, enc.encode(text));
}

export async function seal(key: CryptoKey, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, enc.encode(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return b64url(out);
}

export async function unseal(key: CryptoKey, sealed: string): Promise<string | null> {
  const bytes = fromB64url(sealed);
  if (!bytes || bytes.length < 12 + 16) return null;
  try {
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, key, bytes.slice(12));
    return new TextDecoder().decode(pt);
  } catch {
    return null;
  }
}
