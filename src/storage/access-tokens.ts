import type { AccessTokenClaims } from "../tokens/access-token";
import { writeBehind, type RowKind } from "./write-behind";
import { nowSeconds } from "../time/clock";

interface LedgerRow {
  claims: AccessTokenClaims;
  clientIp: string | null;
}

/** One statement per batch: each row is a JSON array in column order (src/storage/write-behind.ts). */
const UPSERT = `INSERT INTO access_tokens (id, identity_id, org_id, auth_method, first_issued_at, expires_at,
    max_expires_at, num_uses_limit, client_ip)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8
  FROM json_each(?) WHERE true
  ON CONFLICT(id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`;

const ledgerRows: RowKind<LedgerRow> = {
  name: "token-ledger",
  sql: UPSERT,
  encode: ({ claims: c, clientIp }) => [c.jti, c.sub, c.org, c.auth_method, c.first_iat, c.exp, c.max_exp, c.uses, clientIp],
};

/**
 * The ledger of issued tokens (for listing and revoking); enforcement lives in the Durable Object.
 * Written behind the response, batched per isolate (docs/architecture.md, "Write-behind").
 */
export function recordIssuedToken(
  db: D1Database,
  claims: AccessTokenClaims,
  clientIp: string | null,
  waitUntil: (p: Promise<unknown>) => void,
): void {
  writeBehind.push(db, ledgerRows, { claims, clientIp }, waitUntil);
}

/** Writes this isolate's queued rows (readers call it first to see their own writes). */
export const flushLedger = (db: D1Database) => writeBehind.flush(db, false);

/**
 * Marks the token revoked in the ledger. `write`, when given, writes the statement instead of running it
 * alone (an admin revoke batches it with its audit row).
 */
export async function markTokenRevoked(
  db: D1Database,
  jti: string,
  write: (statement: D1PreparedStatement) => Promise<unknown> = (statement) => statement.run(),
): Promise<void> {
  await flushLedger(db); // a token revoked right after its login may still be queued here
  await write(db.prepare("UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?").bind(nowSeconds(), jti));
}

/**
 * The statement that marks revoked, in the ledger, every token of the identity first issued at or before
 * `at` that can still be live (callers flush this isolate's queued ledger rows first: flushLedger).
 */
export function markIdentityTokensRevokedStatement(db: D1Database, identityId: string, at: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE access_tokens SET revoked_at = ?
       WHERE identity_id = ? AND expires_at > ? AND first_issued_at <= ? AND revoked_at IS NULL`,
    )
    .bind(at, identityId, at, at);
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
  await flushLedger(db);
  const { results } = await db
    .prepare(`SELECT * FROM access_tokens WHERE identity_id = ? AND expires_at > ? ORDER BY first_issued_at DESC LIMIT 200`)
    .bind(identityId, now)
    .all<Record<string, unknown>>();
  return results.map(toIssuedToken);
}

export async function getIssuedToken(db: D1Database, identityId: string, jti: string): Promise<IssuedToken | null> {
  await flushLedger(db);
  const row = await db
    .prepare("SELECT * FROM access_tokens WHERE identity_id = ? AND id = ?")
    .bind(identityId, jti)
    .first<Record<string, unknown>>();
  return row ? toIssuedToken(row) : null;
}

const toIssuedToken = (r: Record<string, unknown>): IssuedToken => ({
  id: r.id as string,
  identityId: r.identity_id as string,
  authMethod: r.auth_method as string,
  firstIssuedAt: r.first_issued_at as number,
  expiresAt: r.expires_at as number,
  maxExpiresAt: r.max_expires_at as number,
  numUsesLimit: r.num_uses_limit as number,
  clientIp: (r.client_ip as string | null) ?? null,
  revokedAt: (r.revoked_at as number | null) ?? null,
});
