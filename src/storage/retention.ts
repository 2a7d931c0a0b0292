/**
 * What the retention cron deletes from D1 (src/maintenance.ts), one bounded batch per call, each by an index:
 * - `audit`: audit events created before the cutoff (epoch milliseconds), oldest first, but for the row of
 *   a token still live at `nowSeconds`: that one loses its details and stays as the token's ledger entry
 *   (`ledger_only`), deleted by `ledger` once the token expired;
 * - `ledger`: ledger-only rows whose latest expiry is at or before `nowSeconds` (audit_logs_ledger_by_expiry).
 *   Enforcement does not read the ledger, so nothing depends on expired rows; the identity's Durable Object
 *   cleans its own rows.
 */
const PRUNE = {
  // Each a window of the oldest `limit` events past the cutoff: the first keeps the live tokens' rows of it as
  // ledger entries (out of the window's index), the second deletes what is not a live token's (a live one
  // the shifted window reaches is kept for the next batch).
  audit: [
    `UPDATE audit_logs SET ledger_only = 1, details = NULL WHERE rowid IN (SELECT rowid FROM audit_logs
      WHERE created_at < ?1 AND ledger_only = 0 ORDER BY created_at LIMIT ?3) AND expires_at > ?2`,
    `DELETE FROM audit_logs WHERE rowid IN (SELECT rowid FROM audit_logs
      WHERE created_at < ?1 AND ledger_only = 0 ORDER BY created_at LIMIT ?3) AND NOT coalesce(expires_at > ?2, 0)`,
  ],
  ledger: ["DELETE FROM audit_logs WHERE rowid IN (SELECT rowid FROM audit_logs WHERE ledger_only = 1 AND expires_at <= ?2 LIMIT ?3)"],
} as const;

/**
 * Deletes (or keeps as ledger entries) at most `limit` rows of `what` past `cutoff`, each statement a range
 * of its index (never a scan of the whole backlog); returns how many it changed.
 */
export async function pruneBatch(
  db: D1Database,
  what: keyof typeof PRUNE,
  cutoff: { beforeMs: number; nowSeconds: number },
  limit: number,
): Promise<number> {
  const results = await db.batch(PRUNE[what].map((sql) => db.prepare(sql).bind(cutoff.beforeMs, cutoff.nowSeconds, limit)));
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
