/**
 * Logins and token exchanges counted per hour (migrations/0007_login_stats.sql): a trigger on audit_logs
 * keeps the counts, one row per (organization or identity, hour, event, outcome, reason). Reading a window
 * costs its hours, not its audit rows.
 */

export const HOUR_MS = 3_600_000;

export interface LoginStatsQuery {
  orgId: string;
  /** one identity's counts; absent: the whole organization */
  identityId?: string | undefined;
  /** epoch hours, [fromHour, toHour) */
  fromHour: number;
  toHour: number;
  /** hours per bucket: 1 (by hour) or 24 (by UTC day, with fromHour at a midnight) */
  bucketHours: number;
}

export interface LoginStatsRow {
  /** bucket index from fromHour */
  bucket: number;
  event: string;
  outcome: "success" | "failure";
  /** null for successes */
  reasonCode: string | null;
  count: number;
}

// D1 binds JavaScript numbers as REAL: the bucket is cast back to an integer (integer division).
const SELECT = `SELECT CAST((hour - ?1) / ?2 AS INTEGER) AS bucket, event, outcome, reason_code, SUM(n) AS n FROM login_stats
  WHERE org_id = ?3 AND identity_id = ?4 AND hour >= ?1 AND hour < ?5
  GROUP BY bucket, event, outcome, reason_code`;

export async function queryLoginStats(db: D1Database, q: LoginStatsQuery): Promise<LoginStatsRow[]> {
  const { results } = await db
    .prepare(SELECT)
    .bind(q.fromHour, q.bucketHours, q.orgId, q.identityId ?? "", q.toHour)
    .all<{ bucket: number; event: string; outcome: "success" | "failure"; reason_code: string; n: number }>();
  return results.map((r) => ({
    bucket: r.bucket,
    event: r.event,
    outcome: r.outcome,
    reasonCode: r.reason_code === "" ? null : r.reason_code,
    count: r.n,
  }));
}

/** Retention, with the audit log's: deletes the hours before the cutoff. Returns how many rows went. */
export async function pruneLoginStats(db: D1Database, olderThanMs: number): Promise<number> {
  const res = await db
    .prepare("DELETE FROM login_stats WHERE hour < ?")
    .bind(Math.floor(olderThanMs / HOUR_MS))
    .run();
  return res.meta.changes;
}
