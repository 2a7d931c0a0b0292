import { newTimeOrderedId } from "./ids";
import { writeBehind, type RowKind } from "./write-behind";
import { nowMs } from "../time/clock";

export type AuditOutcome = "success" | "failure";

export interface AuditEvent {
  event: string;
  outcome: AuditOutcome;
  reasonCode?: string | null;
  orgId?: string | null;
  identityId?: string | null;
  actor?: string | null;
  clientIp?: string | null;
  country?: string | null;
  colo?: string | null;
  tokenId?: string | null;
  details?: unknown;
}

export interface AuditRecord extends Required<Omit<AuditEvent, "details">> {
  id: string;
  createdAt: string;
  details: unknown;
}

interface Row extends AuditEvent {
  id: string;
  createdAt: number;
}

/** One statement per batch: each row is a JSON array in column order (src/storage/write-behind.ts). */
const INSERT = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12 FROM json_each(?)`;

const auditRows: RowKind<Row> = {
  name: "audit",
  sql: INSERT,
  encode: (r) => [
    r.id,
    r.createdAt,
    r.event,
    r.outcome,
    r.reasonCode ?? null,
    r.orgId ?? null,
    r.identityId ?? null,
    r.actor ?? null,
    r.clientIp ?? null,
    r.country ?? null,
    r.colo ?? null,
    r.tokenId ?? null,
    r.details === undefined ? null : JSON.stringify(r.details),
  ],
};

/** Queues an audit event; it reaches D1 within about a second (FLUSH_DELAY_MS), off the response path. */
export function recordAudit(db: D1Database, event: AuditEvent, waitUntil: (p: Promise<unknown>) => void): void {
  const createdAt = nowMs();
  writeBehind.push(db, auditRows, { ...event, id: newTimeOrderedId(createdAt), createdAt }, waitUntil);
}

/** Writes what this isolate has queued (so a reader sees its own isolate's events). */
export const flushAudit = (db: D1Database) => writeBehind.flush(db);

export interface AuditQuery {
  orgId?: string;
  identityId?: string;
  outcome?: AuditOutcome;
  event?: string;
  /** the exact reason_code (refusals of one reason: the traffic pages link here) */
  reasonCode?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  /** opaque cursor from a previous page: "<created_at>:<id>" */
  cursor?: { createdAt: number; id: string };
}

export async function queryAudit(db: D1Database, q: AuditQuery): Promise<{ records: AuditRecord[]; nextCursor: string | null }> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (sql: string, v: string | number | undefined) => {
    if (v === undefined) return;
    where.push(sql);
    args.push(v);
  };
  add("org_id = ?", q.orgId);
  add("identity_id = ?", q.identityId);
  add("outcome = ?", q.outcome);
  add("event = ?", q.event);
  add("reason_code = ?", q.reasonCode);
  add("created_at >= ?", q.fromMs);
  add("created_at < ?", q.toMs);
  if (q.cursor) {
    where.push("(created_at < ? OR (created_at = ? AND id < ?))");
    args.push(q.cursor.createdAt, q.cursor.createdAt, q.cursor.id);
  }
  const sql = `SELECT * FROM audit_logs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY created_at DESC, id DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...args, q.limit + 1)
    .all<Record<string, string | number | null>>();
  const page = results.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    records: page.map(toRecord),
    nextCursor: results.length > q.limit && last ? `${last.created_at}:${last.id}` : null,
  };
}

function toRecord(r: Record<string, string | number | null>): AuditRecord {
  return {
    id: r.id as string,
    createdAt: new Date(r.created_at as number).toISOString(),
    event: r.event as string,
    outcome: r.outcome as AuditOutcome,
    reasonCode: r.reason_code as string | null,
    orgId: r.org_id as string | null,
    identityId: r.identity_id as string | null,
    actor: r.actor as string | null,
    clientIp: r.client_ip as string | null,
    country: r.country as string | null,
    colo: r.colo as string | null,
    tokenId: r.token_id as string | null,
    details: r.details ? (JSON.parse(r.details as string) as unknown) : null,
  };
}

/** Retention: deletes events older than the cutoff, in bounded chunks. Returns how many went. */
export async function pruneAudit(db: D1Database, olderThanMs: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < 50; i++) {
    const res = await db
      .prepare("DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs WHERE created_at < ? LIMIT 5000)")
      .bind(olderThanMs)
      .run();
    total += res.meta.changes;
    if (res.meta.changes < 5000) break;
  }
  return total;
}
