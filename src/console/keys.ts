import { encodeBase64url } from "../encoding/base64url";
import type { Env } from "../env";
import { DomainError, Reason } from "../errors";
import { assertAdminSecretsStrong } from "../admin/admin-key";
import { deploymentSalt } from "../storage/console";

// The console's keys, derived with HKDF-SHA256 from ADMIN_API_KEY and a per-deployment secret salt that
// never leaves the server: CONSOLE_SECRET when set, else 32 random bytes generated once and kept in D1
// (src/storage/console.ts). The sign-in page shows anyone a nonce and its MAC: with a fixed salt, that
// pair let a weak admin key be guessed offline; with a secret salt it gives nothing to guess against.
// Rotating ADMIN_API_KEY or CONSOLE_SECRET invalidates every session cookie and CSRF token at once.
// One derivation per isolate and key pair.

export interface ConsoleKeys {
  /** HMAC-SHA256 over the session cookie's payload (and the pre-session cookie's value). */
  session: CryptoKey;
  /** HMAC-SHA256 that turns a session id into its CSRF token. */
  csrf: CryptoKey;
  /** AES-GCM for the access token an identity session carries (so the cookie does not expose it). */
  token: CryptoKey;
}

const enc = new TextEncoder();
/** The name of the D1 salt (deployment_salts) used when CONSOLE_SECRET is not set. */
const SALT_NAME = "console-keys";

export async function deriveConsoleKeys(adminKey: string, salt: string): Promise<ConsoleKeys> {
  const ikm = await crypto.subtle.importKey("raw", enc.encode(adminKey), "HKDF", false, ["deriveKey"]);
  const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: enc.encode(salt), info: enc.encode(info) });
  const hmac = { name: "HMAC", hash: "SHA-256", length: 256 };
  const [session, csrf, token] = await Promise.all([
    crypto.subtle.deriveKey(hkdf("session-mac/v2"), ikm, hmac, false, ["sign", "verify"]),
    crypto.subtle.deriveKey(hkdf("csrf/v2"), ikm, hmac, false, ["sign", "verify"]),
    crypto.subtle.deriveKey(hkdf("session-token-enc/v2"), ikm, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
  ]);
  return { session, csrf, token };
}

let cached: { id: string; keys: Promise<ConsoleKeys> } | undefined;

/**
 * The console's keys for this deployment. Throws 503 `console_closed` without an admin key,
 * `admin_key_too_weak` with a short one, `unavailable` when the D1 salt cannot be read.
 */
export function consoleKeys(env: Env): Promise<ConsoleKeys> {
  const adminKey = env.ADMIN_API_KEY;
  if (!adminKey) return Promise.reject(new DomainError(Reason.console_closed));
  try {
    assertAdminSecretsStrong(env);
  } catch (err) {
    return Promise.reject(err);
  }
  const secret = env.CONSOLE_SECRET;
  const id = `${adminKey}\n${secret ?? ""}`;
  if (cached?.id !== id) {
    // A D1 failure is a 503 `unavailable` (src/storage/console.ts), and is not cached.
    const keys = (secret ? Promise.resolve(secret) : deploymentSalt(env.DB, SALT_NAME)).then((salt) =>
      deriveConsoleKeys(adminKey, salt),
    );
    cached = { id, keys };
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
