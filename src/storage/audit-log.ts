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

export const auditRows: RowKind<Row> = {
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
    detailsMember(r.details),
  ],
};

/**
 * `details` as a row's member. An object or an array is embedded as it is: `value->>12` reads it back as
 * its JSON text, which is what the column holds, and the row is then encoded once rather than the details
 * encoded and escaped into a string first (and every quote escaped again by each JSON layer after: the
 * parcel, D1's request). Any other value travels as its JSON text, a string, which `->>` reads back
 * unquoted: the same column either way, and rows queued before this read as they did.
 */
function detailsMember(details: unknown): unknown {
  if (details === undefined) return null;
  return typeof details === "object" && details !== null ? details : JSON.stringify(details);
}

/**
 * Counted rows: one per (event, reason, client address, minute), whatever the number of isolates. The
 * statement adds each flush's count to the row of its key; the row keeps what its first flush said. A row
 * whose parcel was already applied (its key, the array's last element, in write_behind_deliveries) is
 * skipped: a parcel delivered twice counts once (src/storage/write-behind-parcels.ts).
 */
const UPSERT_COUNTED = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details, count, aggregate_key)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12, value->>13, value->>14 FROM json_each(?)
  WHERE NOT EXISTS (SELECT 1 FROM write_behind_deliveries d WHERE d.id = value->>15)
  ON CONFLICT(aggregate_key) WHERE aggregate_key IS NOT NULL DO UPDATE SET count = count + excluded.count`;

export const countedAuditRows: CountedRowKind<Row & { aggregateKey: string }> = {
  name: "audit-counted",
  counted: true,
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

/**
 * The event of a renewal's stand-in for a login row not written yet (src/storage/access-tokens.ts): a ledger
 * row only (`ledger_only` = 1), never read as an audit event.
 */
export const LEDGER_STAND_IN = "token.ledger";

/** What a successful login's row also records: the token it issued, as the ledger lists it. */
export interface IssuedTokenFacts {
  jti: string;
  firstIssuedAt: number;
  expiresAt: number;
  maxExpiresAt: number;
  numUsesLimit: number;
  authMethod: string;
}

/**
 * A successful login's one row: its audit event and its token's ledger row (docs/architecture.md, "One row
 * per login"), keyed by the token's jti. When a renewal in another isolate got there first (its stand-in,
 * event `token.ledger`), the login's facts replace the stand-in's and the later expiry of the two is kept;
 * a row that is already a login is left alone (a retried flush).
 */
const UPSERT_LOGIN = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details, first_issued_at, expires_at, max_expires_at, num_uses_limit, auth_method)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15, value->>16, value->>17
  FROM json_each(?) WHERE true
  ON CONFLICT(id) DO UPDATE SET created_at = excluded.created_at, event = excluded.event, outcome = excluded.outcome,
    org_id = excluded.org_id, identity_id = excluded.identity_id, actor = excluded.actor, client_ip = excluded.client_ip,
    country = excluded.country, colo = excluded.colo, token_id = excluded.token_id, details = excluded.details,
    first_issued_at = excluded.first_issued_at, max_expires_at = excluded.max_expires_at,
    num_uses_limit = excluded.num_uses_limit, auth_method = excluded.auth_method,
    expires_at = MAX(expires_at, excluded.expires_at), ledger_only = 0
  WHERE event = '${LEDGER_STAND_IN}'`;

export const loginRows: RowKind<Row & { token: IssuedTokenFacts }> = {
  name: "audit-login",
  sql: UPSERT_LOGIN,
  encode: (r) => [
    ...auditRows.encode(r),
    r.token.firstIssuedAt,
    r.token.expiresAt,
    r.token.maxExpiresAt,
    r.token.numUsesLimit,
    r.token.authMethod,
  ],
};

/** Queues a successful login: one row, its audit event and its token's ledger entry. */
export function recordLogin(
  db: D1Database,
  event: AuditEvent,
  token: IssuedTokenFacts,
  waitUntil: (p: Promise<unknown>) => void,
): void {
  writeBehind.push(db, loginRows, { ...event, tokenId: token.jti, id: token.jti, createdAt: nowMs(), token }, waitUntil);
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
