import type { AccessTokenClaims } from "../tokens/access-token";

/** The ledger of issued tokens (for listing and revoking); enforcement lives in the Durable Object. */
export async function recordIssuedToken(db: D1Database, c: AccessTokenClaims, clientIp: string | null): Promise<void> {
  await db
    .prepare(
      `INSERT INTO access_tokens (id, identity_id, org_id, auth_method, first_issued_at, expires_at, max_expires_at,
         num_uses_limit, client_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`,
    )
    .bind(c.jti, c.sub, c.org, c.auth_method, c.first_iat, c.exp, c.max_exp, c.uses, clientIp)
    .run()
    .catch((err: unknown) => console.error(JSON.stringify({ event: "ledger_write_failed", error: String(err) })));
}

export async function markTokenRevoked(db: D1Database, jti: string): Promise<void> {
  await db
    .prepare("UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")
    .bind(Math.floor(Date.now() / 1000), jti)
    .run();
}

export interface IssuedToken {
  id: string;
  identityId: string;
  authMethod: string;
  firstIssuedAt: number;
  expiresAt: number;
  maxExpiresAt: number;
  numUsesLimit: number;
  clientIp: string | null;
  revokedAt: number | null;
}

export async function listLiveTokens(db: D1Database, identityId: string, now: number): Promise<IssuedToken[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM access_tokens WHERE identity_id = ? AND expires_at > ? ORDER BY first_issued_at DESC LIMIT 200`,
    )
    .bind(identityId, now)
    .all<Record<string, unknown>>();
  return results.map((r) => ({
    id: r.id as string,
    identityId: r.identity_id as string,
    authMethod: r.auth_method as string,
    firstIssuedAt: r.first_issued_at as number,
    expiresAt: r.expires_at as number,
    maxExpiresAt: r.max_expires_at as number,
    numUsesLimit: r.num_uses_limit as number,
    clientIp: (r.client_ip as string | null) ?? null,
    revokedAt: (r.revoked_at as number | null) ?? null,
  }));
}

/**
 * Drops ledger rows of tokens whose latest expiry has passed (the maintenance cron). Enforcement does not
 * read this table, so nothing depends on expired rows; the identity's Durable Object cleans its own rows.
 */
export async function pruneExpiredTokens(db: D1Database, nowSeconds: number): Promise<number> {
  const res = await db.prepare("DELETE FROM access_tokens WHERE expires_at <= ?").bind(nowSeconds).run();
  return res.meta.changes ?? 0;
}
