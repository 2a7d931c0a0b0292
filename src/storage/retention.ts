/**
 * What the retention cron deletes (src/maintenance.ts), one bounded batch per call, each by an index:
 * - `audit`: events created before the cutoff (epoch milliseconds), oldest first;
 * - `ledger`: issued-token rows whose latest expiry is at or before the cutoff (epoch seconds). Enforcement
 *   does not read the ledger, so nothing depends on expired rows; the identity's Durable Object cleans its
 *   own rows.
 */
const PRUNE = {
  audit: "DELETE FROM audit_logs WHERE rowid IN (SELECT rowid FROM audit_logs WHERE created_at < ? ORDER BY created_at LIMIT ?)",
  ledger: "DELETE FROM access_tokens WHERE rowid IN (SELECT rowid FROM access_tokens WHERE expires_at <= ? LIMIT ?)",
} as const;

/** Deletes at most `limit` rows of `what` past `cutoff`; returns how many went. */
export async function pruneBatch(db: D1Database, what: keyof typeof PRUNE, cutoff: number, limit: number): Promise<number> {
  const res = await db.prepare(PRUNE[what]).bind(cutoff, limit).run();
  return res.meta.changes ?? 0;
}
