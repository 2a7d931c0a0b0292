/** The deployment's admin key (the ADMIN_API_KEY secret), as the admin API and the console check it. */
import { DomainError, Reason } from "../errors";
import { sha256 } from "../encoding/sha256";

/**
 * Shortest admin key (and CONSOLE_SECRET) served: 32 characters of `openssl rand -base64 32` are 192 bits
 * and more, beyond any guessing, online or offline. A shorter key closes the admin API and the console.
 */
export const MIN_ADMIN_KEY_LENGTH = 32;

const HOW_TO_MAKE_ONE =
  "Make one with `openssl rand -base64 32 | tr -d '\\n' | npx wrangler secret put ADMIN_API_KEY` " +
  "(or node -p \"require('node:crypto').randomBytes(32).toString('base64url')\"); locally, `npm start` writes one to .dev.vars.";

/**
 * Throws 503 `admin_key_too_weak` when a secret that guards the admin API or the console is set but
 * shorter than MIN_ADMIN_KEY_LENGTH. Logins, token use and the public endpoints never call this.
 */
export function assertAdminSecretsStrong(env: { ADMIN_API_KEY?: string; CONSOLE_SECRET?: string }): void {
  for (const name of ["ADMIN_API_KEY", "CONSOLE_SECRET"] as const) {
    const value = env[name];
    if (value && value.length < MIN_ADMIN_KEY_LENGTH) {
      throw new DomainError(
        Reason.admin_key_too_weak,
        `${name} is shorter than ${MIN_ADMIN_KEY_LENGTH} characters, so the admin API and the console are closed ` +
          `(a short key can be guessed). Replace it with a long random value. ${HOW_TO_MAKE_ONE.replace("ADMIN_API_KEY", name)}`,
      );
    }
  }
}

/** Constant-time: both sides are hashed to equal length first, so neither length nor content leaks. */
export async function isAdminKey(presented: string, configured: string | undefined): Promise<boolean> {
  if (!configured) return false;
  const [a, b] = await Promise.all([sha256(presented), sha256(configured)]);
  return crypto.subtle.timingSafeEqual(a, b);
}
