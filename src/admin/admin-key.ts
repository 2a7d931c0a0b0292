/** The deployment's admin key (the ADMIN_API_KEY secret), as the admin API and the console check it. */

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/** Constant-time: both sides are hashed to equal length first, so neither length nor content leaks. */
export async function isAdminKey(presented: string, configured: string | undefined): Promise<boolean> {
  if (!configured) return false;
  const [a, b] = await Promise.all([sha256(presented), sha256(configured)]);
  return crypto.subtle.timingSafeEqual(a, b);
}
