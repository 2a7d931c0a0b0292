import { newTimeOrderedId } from "./ids";
import { writeBehind, type CountedRowKind, type RowKind } from "./write-behind";
import { clientKey, UNKNOWN_CLIENT } from "../net/client-key";
import { nowMs } from "../time/clock";
import { DomainError, Reason } from "../errors";
import { isUniqueViolation } from "./guarded-d1";

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
  /** How many attempts the row stands for: 1, or more for a counted row (recordCountedAudit). */
  count: number;
}

interface Row extends AuditEvent {
  id: string;
  createdAt: number;
}

/**
 * One statement per batch: each row is a JSON array in column order (src/storage/write-behind.ts). A row
 * already there is left alone, so a flush retried after a try that did commit writes nothing twice.
 */
const INSERT = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12 FROM json_each(?) WHERE true
  ON CONFLICT(id) DO NOTHING`;

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

/**
 * Counted rows: one per (event, reason, client address, minute), whatever the number of isolates. The
 * statement adds each flush's count to the row of its key; the row keeps what its first flush said.
 */
const UPSERT_COUNTED = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details, count, aggregate_key)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12, value->>13, value->>14 FROM json_each(?) WHERE true
  ON CONFLICT(aggregate_key) WHERE aggregate_key IS NOT NULL DO UPDATE SET count = count + excluded.count`;

const countedAuditRows: CountedRowKind<Row & { aggregateKey: string }> = {
  name: "audit-counted",
  sql: UPSERT_COUNTED,
  encode: (r, count) => [...auditRows.encode(r), count, r.aggregateKey],
};

/** The minute counted audit rows are kept per. */
export const AUDIT_COUNT_WINDOW_MS = 60_000;

/**
 * Queues an event that may repeat at the rate of an attack (a login naming no identity): all such events
 * of one client address (an IPv6 address counts as its /64) in one minute, with the same event, reason and
 * details, are one row whose `count` says how many there were. The row's `createdAt` is the start of that
 * minute and its `clientIp` the address key. A flood costs a row per address and minute, not per request.
 */
export function recordCountedAudit(db: D1Database, event: AuditEvent, waitUntil: (p: Promise<unknown>) => void): void {
  const minute = Math.floor(nowMs() / AUDIT_COUNT_WINDOW_MS) * AUDIT_COUNT_WINDOW_MS;
  const client = clientKey(event.clientIp);
  const details = event.details === undefined ? "" : JSON.stringify(event.details);
  const key = [event.event, event.outcome, event.reasonCode ?? "", client, minute, details].join("|");
  const row = {
    ...event,
    clientIp: client === UNKNOWN_CLIENT ? null : client,
    id: newTimeOrderedId(minute),
    createdAt: minute,
    aggregateKey: key,
  };
  writeBehind.pushCounted(db, countedAuditRows, key, row, waitUntil);
}

/** Queues an audit event; it reaches D1 within about a second (FLUSH_DELAY_MS), off the response path. */
export function recordAudit(db: D1Database, event: AuditEvent, waitUntil: (p: Promise<unknown>) => void): void {
  const createdAt = nowMs();
  writeBehind.push(db, auditRows, { ...event, id: newTimeOrderedId(createdAt), createdAt }, waitUntil);
}

/** One audit row, written with the change it describes (auditedWrite) rather than behind the response. */
const INSERT_ONE = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details)
  SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`;

/**
 * Writes a change's statements and its audit row in one D1 batch, which D1 runs as one transaction: the
 * change and its audit row are both written or neither is. The audit row is written only when the
 * statement before it changed a row (SQLite's changes()), so a conditional change that did nothing (an
 * insert that met its conflict or quota, an update of a row gone meanwhile) leaves no row describing it;
 * `always` writes it anyway. `detailsSql`, when given, is an SQL expression for the details column,
 * evaluated inside the transaction (it may read changes()).
 * A failure of the batch (D1 unreachable, an aborted statement) is an outage: 503 `unavailable` with
 * Retry-After and nothing written; a UNIQUE violation is rethrown as is, for the caller to name.
 */
export async function auditedWrite(
  db: D1Database,
  statements: D1PreparedStatement[],
  event: AuditEvent,
  opts: { detailsSql?: string; always?: boolean } = {},
): Promise<D1Result[]> {
  const createdAt = nowMs();
  const details = opts.detailsSql ?? "?";
  const sql = `${INSERT_ONE.replace(/\?$/, details)}${opts.always ? "" : " WHERE changes() > 0"}`;
  const values: unknown[] = [
    newTimeOrderedId(createdAt),
    createdAt,
    event.event,
    event.outcome,
    event.reasonCode ?? null,
    event.orgId ?? null,
    event.identityId ?? null,
    event.actor ?? null,
    event.clientIp ?? null,
    event.country ?? null,
    event.colo ?? null,
    event.tokenId ?? null,
  ];
  if (!opts.detailsSql) values.push(event.details === undefined ? null : JSON.stringify(event.details));
  try {
    return await db.batch([...statements, db.prepare(sql).bind(...values)]);
  } catch (err) {
    if (isUniqueViolation(err)) throw err;
    throw new DomainError(Reason.unavailable, "The change could not be written; nothing was changed. Retry", {
      retryAfterSeconds: 1,
      cause: err,
    });
  }
}

/** Writes what this isolate has queued (so a reader sees its own isolate's events). */
export const flushAudit = (db: D1Database) => writeBehind.flush(db, false);

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
    count: typeof r.count === "number" ? r.count : 1,
  };
}

/** A login attempt as a what-if replays it: when, how it ended, and what its row recorded. */
export interface LoginAttemptRow {
  id: string;
  createdAt: number;
  outcome: AuditOutcome;
  reasonCode: string | null;
  tokenId: string | null;
  details: unknown;
}

export interface LoginAttemptQuery {
  identityId: string;
  fromMs: number;
  toMs: number;
  /** refusals to include besides the successes: a reason matches its own code and `reason: qualifier` */
  reasons: readonly string[];
  limit: number;
  /** the last row of the previous page */
  after?: { createdAt: number; id: string };
}

/**
 * One page of an identity's login attempts in [fromMs, toMs), newest first: the successes and the refusals
 * for one of `reasons`. A range of the audit_logs_by_identity index (identity_id, created_at).
 */
export async function loginAttemptsPage(db: D1Database, q: LoginAttemptQuery): Promise<LoginAttemptRow[]> {
  const args: (string | number)[] = [q.identityId, q.fromMs, q.toMs, JSON.stringify(q.reasons)];
  let page = "";
  if (q.after) {
    page = "AND (created_at < ? OR (created_at = ? AND id < ?))";
    args.push(q.after.createdAt, q.after.createdAt, q.after.id);
  }
  const { results } = await db
    .prepare(
      `SELECT id, created_at, outcome, reason_code, token_id, details FROM audit_logs
      WHERE identity_id = ? AND created_at >= ? AND created_at < ? AND event = 'login'
        AND (outcome = 'success'
          OR substr(reason_code, 1, instr(reason_code || ':', ':') - 1) IN (SELECT value FROM json_each(?)))
        ${page}
      ORDER BY created_at DESC, id DESC LIMIT ?`,
    )
    .bind(...args, q.limit)
    .all<Record<string, string | number | null>>();
  return results.map((r) => ({
    id: r.id as string,
    createdAt: r.created_at as number,
    outcome: r.outcome as AuditOutcome,
    reasonCode: r.reason_code as string | null,
    tokenId: r.token_id as string | null,
    details: r.details ? (JSON.parse(r.details as string) as unknown) : null,
  }));
}

/** How long after a token's first issuance its login's audit row is written, at the most. */
const LOGIN_ROW_DELAY_MS = 60_000;

/** A live token of the ledger with the `details` of the login that issued it (null when that row is gone). */
export interface LiveTokenLogin {
  tokenId: string;
  expiresAt: number;
  details: unknown;
}

/**
 * One page of an identity's live tokens (not expired at `nowSeconds`, not revoked, per the token ledger,
 * first issued at `issuedSince` or later) in expiry order, after `after`, each with its login's details. A
 * range of access_tokens_by_identity; the login row, of audit_logs_by_identity just after the token's first
 * issuance.
 */
export async function liveTokenLoginsPage(
  db: D1Database,
  q: { identityId: string; nowSeconds: number; issuedSince: number; limit: number; after?: LiveTokenLogin | undefined },
): Promise<LiveTokenLogin[]> {
  const from = q.after ?? { expiresAt: q.nowSeconds, tokenId: "" };
  const { results } = await db
    .prepare(
      `SELECT t.id AS token_id, t.expires_at, (
          SELECT a.details FROM audit_logs a
          WHERE a.identity_id = t.identity_id AND a.created_at >= t.first_issued_at * 1000
            AND a.created_at < t.first_issued_at * 1000 + ? AND a.token_id = t.id AND a.event = 'login'
          LIMIT 1) AS details
      FROM access_tokens t
      WHERE t.identity_id = ? AND t.expires_at >= ? AND (t.expires_at > ? OR t.id > ?)
        AND t.expires_at > ? AND t.revoked_at IS NULL AND t.first_issued_at >= ?
      ORDER BY t.expires_at, t.id LIMIT ?`,
    )
    .bind(LOGIN_ROW_DELAY_MS, q.identityId, from.expiresAt, from.expiresAt, from.tokenId, q.nowSeconds, q.issuedSince, q.limit)
    .all<{ token_id: string; expires_at: number; details: string | null }>();
  return results.map((r) => ({
    tokenId: r.token_id,
    expiresAt: r.expires_at,
    details: r.details ? (JSON.parse(r.details) as unknown) : null,
  }));
}
