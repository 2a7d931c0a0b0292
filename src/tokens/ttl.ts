// Token lifetime arithmetic. All durations are integer seconds, all times epoch seconds.

export interface TokenExpiryInput {
  now: number;
  /** When the token (or the first token of a renewal chain) was issued; anchors maxTtl. */
  firstIssuedAt: number;
  /** Lifetime per issue/renewal; 0 means "no role limit" (the ceiling still applies). */
  ttl: number;
  /** Total lifetime from firstIssuedAt; 0 means "no role limit" (the ceiling still applies). */
  maxTtl: number;
  /** Deployment-wide hard limit on both terms; must be positive. */
  ceiling: number;
}

export interface TokenExpiry {
  expiresAt: number;
  maxExpiresAt: number;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

// A role limit of 0 defers to the ceiling; otherwise the smaller of the two wins, so no role
// can outlive the deployment's ceiling.
function effective(limit: number, ceiling: number): number {
  return limit === 0 ? ceiling : Math.min(limit, ceiling);
}

// expiresAt never passes maxExpiresAt. If now is already at or past maxExpiresAt the result is
// expiresAt === maxExpiresAt <= now, i.e. secondsLeft() is 0 and the caller must refuse.
export function tokenExpiry(input: TokenExpiryInput): TokenExpiry {
  const { now, firstIssuedAt, ttl, maxTtl, ceiling } = input;
  requireInteger("now", now, 0);
  requireInteger("firstIssuedAt", firstIssuedAt, 0);
  requireInteger("ttl", ttl, 0);
  requireInteger("maxTtl", maxTtl, 0);
  requireInteger("ceiling", ceiling, 1);
  const maxExpiresAt = firstIssuedAt + effective(maxTtl, ceiling);
  const expiresAt = Math.min(now + effective(ttl, ceiling), maxExpiresAt);
  return { expiresAt, maxExpiresAt };
}

export function secondsLeft(expiresAt: number, now: number): number {
  return Math.max(0, expiresAt - now);
}
