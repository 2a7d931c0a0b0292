/**
 * Parcels: the unit in which write-behind rows travel, whether an isolate writes them to D1 itself or sends
 * them through the write-behind queue (docs/architecture.md, "Write-behind"). A parcel is a key and its
 * rows grouped by statement, each row already encoded as a JSON array; it is small enough to be one queue
 * message. Whoever writes parcels (the isolate's direct flush, or the queue consumer with up to 100 of
 * them) writes them all in ONE D1 call: one statement per row kind, its rows as one JSON parameter.
 *
 * Counted rows add to a count (`count = count + n`), so writing one twice would count twice. Each parcel
 * with counted rows has a key, appended to each of its counted rows; the counted statement skips rows whose
 * key is in `write_behind_deliveries`, and the same call (one transaction) records the keys it applied. So
 * a parcel delivered twice by the queue, or resent after a send or a direct write whose answer was lost,
 * counts once. The other statements are idempotent by themselves (audit rows by id; the login row an
 * upsert of a stand-in only; a renewal keeps the later expiry).
 */

/** A kind of deferred row: its statement, whose one parameter is a JSON array of encoded rows. */
export interface Statement {
  name: string;
  sql: string;
  /** Counted rows: the statement must skip rows whose parcel key (the row's last element) was applied. */
  counted?: boolean;
}

export interface Parcel {
  key: string;
  /** When the parcel was made (Date.now()): counted rows of a parcel older than DELIVERY_KEYS_KEPT_MS are not applied. */
  madeAt: number;
  rows: Map<Statement, string[]>;
  rowCount: number;
}

/** Largest JSON parameter of one statement (D1 allows 2 MB per value): more rows go in another statement of the same call. */
export const MAX_PARAMETER_CHARS = 512 * 1024;
/**
 * Largest parcel, in UTF-8 bytes of its message body: under a queue message's 128 KB limit, and under the
 * 64 KB that Queues bills as one operation.
 */
export const MAX_PARCEL_BYTES = 60_000;
/** How long applied parcel keys are kept (the maintenance cron deletes older ones). */
export const DELIVERY_KEYS_KEPT_MS = 3_600_000;
/**
 * Counted rows of a parcel older than this are dropped (logged) rather than applied: its key may be gone
 * from `write_behind_deliveries`, and a count must never be added twice. Ten minutes less than the keys
 * are kept, for clock skew between isolates.
 */
export const COUNTED_MAX_AGE_MS = DELIVERY_KEYS_KEPT_MS - 600_000;

const utf8 = new TextEncoder();
/** UTF-8 bytes of `s`: its length when it is ASCII (nearly every row), without encoding it. */
const byteLength = (s: string) => (/[^\x00-\x7f]/.test(s) ? utf8.encode(s).length : s.length);
/** Bytes of the body's envelope besides its rows (key, time, kind names, brackets). */
const ENVELOPE_BYTES = 200;

/**
 * Splits rows grouped by statement into parcels of at most MAX_PARCEL_BYTES (a row larger than that on its
 * own is a parcel of its own). Counted rows get their parcel's key appended.
 */
export function makeParcels(encoded: Map<Statement, string[]>, now = Date.now()): Parcel[] {
  const parcels: Parcel[] = [];
  let current: Parcel | null = null;
  let bytes = 0;
  for (const [kind, rows] of encoded) {
    for (const row of rows) {
      const size = byteLength(row) + 1 + (kind.counted ? 40 : 0);
      if (!current || (current.rowCount > 0 && bytes + size > MAX_PARCEL_BYTES - ENVELOPE_BYTES)) {
        current = { key: crypto.randomUUID(), madeAt: now, rows: new Map(), rowCount: 0 };
        parcels.push(current);
        bytes = 0;
      }
      const line = kind.counted ? `${row.slice(0, -1)},${JSON.stringify(current.key)}]` : row;
      const list = current.rows.get(kind);
      if (list) list.push(line);
      else current.rows.set(kind, [line]);
      current.rowCount++;
      bytes += size;
    }
  }
  return parcels;
}

/**
 * A parcel as a queue message body: a header line, `{"k": key, "t": madeAt, "n": {kind name: row count}}`,
 * then its rows, one per line, in the header's order. JSON.stringify never writes a raw line break, so a row
 * is a line, and the consumer takes each row's text as it came, without parsing and encoding it again (a
 * login's row is about 1 KB of claims: docs/performance.md). Whether the rows are JSON at all is only
 * checked when a write fails (`rowsAreJson`).
 */
export function parcelBody(p: Parcel): string {
  const counts = [...p.rows].map(([kind, rows]) => `${JSON.stringify(kind.name)}:${rows.length}`);
  const lines = [`{"k":${JSON.stringify(p.key)},"t":${p.madeAt},"n":{${counts.join(",")}}}`];
  for (const rows of p.rows.values()) lines.push(...rows);
  return lines.join("\n");
}

/** Why a message body is not a parcel this Worker can write. */
export type ParcelProblem = "malformed" | "unknown_kind";

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;

/** A body's key and time, in either format. */
const isEnvelope = <T extends { k?: unknown; t?: unknown }>(p: T | null): p is T & { k: string; t: number } =>
  p !== null && typeof p.k === "string" && typeof p.t === "number";

/** Reads a message body back into a parcel; `kinds` names the statements this Worker knows. */
export function readParcel(body: unknown, kinds: ReadonlyMap<string, Statement>): Parcel | ParcelProblem {
  if (typeof body !== "string") return "malformed";
  const headerEnd = body.indexOf("\n");
  if (headerEnd < 0) return readSingleObjectParcel(body, kinds);
  let header: { k?: unknown; t?: unknown; n?: unknown } | null;
  try {
    header = JSON.parse(body.slice(0, headerEnd));
  } catch {
    return "malformed";
  }
  const counts = header?.n;
  if (!isEnvelope(header) || typeof counts !== "object" || counts === null) return "malformed";
  const lines = body.slice(headerEnd + 1).split("\n");
  const rows = new Map<Statement, string[]>();
  let at = 0;
  for (const [name, count] of Object.entries(counts)) {
    const kind = kinds.get(name);
    if (!kind) return "unknown_kind"; // a newer Worker's row kind: left for the consumer that knows it
    if (!isCount(count) || at + count > lines.length) return "malformed";
    rows.set(kind, lines.slice(at, at + count));
    at += count;
  }
  if (at !== lines.length || lines.some((row) => !row.startsWith("[") || !row.endsWith("]"))) return "malformed";
  return { key: header.k, madeAt: header.t, rows, rowCount: at };
}

/**
 * The body of a parcel sent by a Worker before the line format above: one JSON object,
 * `{"k": key, "t": madeAt, "r": {kind name: [rows]}}`. Read so that messages still in the queue when a
 * deployment replaces that Worker are written too.
 */
function readSingleObjectParcel(body: string, kinds: ReadonlyMap<string, Statement>): Parcel | ParcelProblem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "malformed";
  }
  const p = parsed as { k?: unknown; t?: unknown; r?: unknown } | null;
  if (!isEnvelope(p) || typeof p.r !== "object" || p.r === null) return "malformed";
  const rows = new Map<Statement, string[]>();
  let rowCount = 0;
  for (const [name, list] of Object.entries(p.r)) {
    const kind = kinds.get(name);
    if (!kind) return "unknown_kind";
    if (!Array.isArray(list) || !list.every(Array.isArray)) return "malformed";
    rows.set(
      kind,
      list.map((row) => JSON.stringify(row)),
    );
    rowCount += list.length;
  }
  return { key: p.k, madeAt: p.t, rows, rowCount };
}

/**
 * Whether every row of the parcel is a JSON array, as its statement needs. `readParcel` checks only the
 * rows' first and last characters; a write that fails calls this to tell a damaged parcel, which no retry
 * can write, from an outage.
 */
export function rowsAreJson(p: Parcel): boolean {
  for (const rows of p.rows.values()) {
    for (const row of rows) {
      try {
        if (!Array.isArray(JSON.parse(row))) return false;
      } catch {
        return false;
      }
    }
  }
  return true;
}

const RECORD_KEYS =
  "INSERT INTO write_behind_deliveries (id, applied_at) SELECT value, ? FROM json_each(?) WHERE true ON CONFLICT(id) DO NOTHING";

export interface Written {
  rows: number;
  /** Counted rows not applied because their parcel was older than COUNTED_MAX_AGE_MS. */
  expired: number;
  /** D1 calls made: 0 (nothing to write) or 1. */
  calls: number;
}

/**
 * Writes parcels in one D1 call (db.batch: one transaction, so everything or nothing). A parcel given
 * twice is written once.
 */
export async function writeParcels(db: D1Database, parcels: Iterable<Parcel>, now = Date.now()): Promise<Written> {
  const unique = new Map<string, Parcel>();
  for (const p of parcels) unique.set(p.key, p);
  const byKind = new Map<Statement, string[]>();
  const keys: string[] = [];
  let rows = 0;
  let expired = 0;
  for (const p of unique.values()) {
    let counted = false;
    for (const [kind, list] of p.rows) {
      if (kind.counted) {
        if (now - p.madeAt > COUNTED_MAX_AGE_MS) {
          expired += list.length;
          continue;
        }
        counted = true;
      }
      const all = byKind.get(kind);
      if (all) all.push(...list);
      else byKind.set(kind, [...list]);
      rows += list.length;
    }
    if (counted) keys.push(p.key);
  }
  const statements: D1PreparedStatement[] = [];
  for (const [kind, list] of byKind) {
    for (const chunk of chunkRows(list, MAX_PARAMETER_CHARS)) statements.push(db.prepare(kind.sql).bind(`[${chunk.join(",")}]`));
  }
  // After the counted statements, in the same transaction: the keys they applied.
  if (keys.length > 0) statements.push(db.prepare(RECORD_KEYS).bind(now, JSON.stringify(keys)));
  if (statements.length === 0) return { rows, expired, calls: 0 };
  await db.batch(statements);
  return { rows, expired, calls: 1 };
}

/** Deletes applied parcel keys older than DELIVERY_KEYS_KEPT_MS, at most `limit` of them; returns how many. */
export async function pruneDeliveryKeys(db: D1Database, now: number, limit: number): Promise<number> {
  const res = await db
    .prepare("DELETE FROM write_behind_deliveries WHERE id IN (SELECT id FROM write_behind_deliveries WHERE applied_at < ? LIMIT ?)")
    .bind(now - DELIVERY_KEYS_KEPT_MS, limit)
    .run();
  return res.meta.changes;
}

/**
 * Splits encoded rows, in order, so that each chunk's JSON array (`[a,b,...]`) stays within maxChars; a
 * row longer than that on its own is a chunk of its own.
 */
export function* chunkRows(rows: string[], maxChars: number): Generator<string[]> {
  let chunk: string[] = [];
  let size = 2; // the brackets
  for (const row of rows) {
    if (chunk.length > 0 && size + 1 + row.length > maxChars) {
      yield chunk;
      chunk = [];
      size = 2;
    }
    size += (chunk.length > 0 ? 1 : 0) + row.length; // a comma before every row but the first
    chunk.push(row);
  }
  if (chunk.length > 0) yield chunk;
}
