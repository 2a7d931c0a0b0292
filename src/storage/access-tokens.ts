import type { AccessTokenClaims } from "../tokens/access-token";
import { writeBehind, type RowKind } from "./write-behind";
import { nowSeconds } from "../time/clock";
import { LEDGER_STAND_IN, type IssuedTokenFacts } from "./audit-log";

interface LedgerRow {
  claims: AccessTokenClaims;
  clientIp: string | null;
}

/**
 * A renewal's expiry, on its token's row: the login's row in audit_logs (docs/architecture.md, "One row per
 * login"). Should the renewal reach D1 before its login row (another isolate's flush, a second apart), it
 * writes a stand-in (event `token.ledger`, a ledger row only), which the login row then completes.
 */
const UPSERT_EXPIRY = `INSERT INTO audit_logs (id, created_at, event, outcome, org_id, identity_id, actor, client_ip, token_id,
    first_issued_at, expires_at, max_expires_at, num_uses_limit, auth_method, ledger_only)
  SELECT value->>0, (value->>4) * 1000, '${LEDGER_STAND_IN}', 'success', value->>2, value->>1, 'identity:' || (value->>1),
    value->>8, value->>0, value->>4, value->>5, value->>6, value->>7, value->>3, 1
  FROM json_each(?) WHERE true
  ON CONFLICT(id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`;

export const ledgerRows: RowKind<LedgerRow> = {
  name: "token-renewal",
  sql: UPSERT_EXPIRY,
  encode: ({ claims: c, clientIp }) => [c.jti, c.sub, c.org, c.auth_method, c.first_iat, c.exp, c.max_exp, c.uses, clientIp],
};

/** What a login's row records of the token it issued (src/storage/audit-log.ts, recordLogin). */
export const issuedTokenFacts = (c: AccessTokenClaims): IssuedTokenFacts => ({
  jti: c.jti,
  firstIssuedAt: c.first_iat,
  expiresAt: c.exp,
  maxExpiresAt: c.max_exp,
  numUsesLimit: c.uses,
  authMethod: c.auth_method,
});

/**
 * A renewed token's later expiry, for the listing; enforcement lives in the Durable Object. Written behind
 * the response, batched per isolate (docs/architecture.md, "Write-behind").
 */
export function recordRenewedToken(
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
 * Marks the token revoked on its row. `write`, when given, writes the statement instead of running it
 * alone (an admin revoke batches it with its audit row).
 */
export async function markTokenRevoked(
  db: D1Database,
  jti: string,
  write: (statement: D1PreparedStatement) => Promise<unknown> = (statement) => statement.run(),
): Promise<void> {
  // A token revoked right after its login may still be queued here, or in the write-behind queue: its rows.
  await writeBehind.flushMatching(db, jti);
  await write(
    db
      .prepare("UPDATE audit_logs SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND expires_at IS NOT NULL")
      .bind(nowSeconds(), jti),
  );
}

/**
 * The statement that marks revoked, in the ledger, every token of the identity first issued at or before
 * `at` that can still be live (callers flush this isolate's queued ledger rows first: flushLedger).
 */
export function markIdentityTokensRevokedStatement(db: D1Database, identityId: string, at: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE audit_logs SET revoked_at = ?
       WHERE identity_id = ? AND expires_at IS NOT NULL AND expires_at > ? AND first_issued_at <= ? AND revoked_at IS NULL`,
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

const LEDGER_COLUMNS =
  "id, identity_id, auth_method, first_issued_at, expires_at, max_expires_at, num_uses_limit, client_ip, revoked_at";

/** An identity's newest 200 tokens not expired at `now`: a range of audit_logs_tokens_by_identity. */
export async function listLiveTokens(db: D1Database, identityId: string, now: number): Promise<IssuedToken[]> {
  await flushLedger(db);
  const { results } = await db
    .prepare(
      `SELECT ${LEDGER_COLUMNS} FROM audit_logs WHERE identity_id = ? AND expires_at IS NOT NULL AND expires_at > ?
      ORDER BY first_issued_at DESC LIMIT 200`,
    )
    .bind(identityId, now)
    .all<Record<string, unknown>>();
  return results.map(toIssuedToken);
}

export async function getIssuedToken(db: D1Database, identityId: string, jti: string): Promise<IssuedToken | null> {
  await flushLedger(db);
  const row = await db
    .prepare(`SELECT ${LEDGER_COLUMNS} FROM audit_logs WHERE id = ? AND identity_id = ? AND expires_at IS NOT NULL`)
    .bind(jti, identityId)
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
