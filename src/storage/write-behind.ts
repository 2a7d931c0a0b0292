/**
 * Rows written off the response path (audit events, a login's being also its token's ledger row, and
 * renewals' expiries: docs/architecture.md, "One row per login"), batched per isolate: a busy
 * isolate makes one D1 call per FLUSH_DELAY_MS, whatever the number of requests and of row kinds, and
 * each kind's rows travel as one JSON parameter of one statement (`INSERT ... SELECT ... FROM json_each(?)`)
 * rather than one bound statement per row.
 *
 * Why one second: D1 is one SQLite writer per database, and every call is a write transaction on it, so
 * the number of calls (isolates x flushes per second), not the rows per call, is what a busy deployment
 * must keep small. Measured under Miniflare (2,000-row batches, and login runs flushing every 50 ms,
 * 250 ms and 1 s), a call cost about 3 ms of CPU whatever its size and a row about 15 µs. The price is visibility and loss: another isolate's events reach D1 up to a
 * second late (readers flush their own isolate's queue first), and a crashing isolate can lose its last
 * second of rows (docs/architecture.md, "Write-behind").
 *
 * Every queued row has a flush scheduled in some request's `waitUntil`: the request that finds no flush
 * pending schedules one; the flush takes everything queued at that moment. Only plain data crosses
 * requests, never an I/O object.
 *
 * Counted rows (`pushCounted`): rows that would repeat, such as login attempts naming no identity, are
 * queued once per key with a count; the statement of their kind upserts them (`count = count + n` on a
 * unique key), so every isolate adds its own count to the one row of that key.
 */
import { errorName, log } from "../observability/log";

export const FLUSH_DELAY_MS = 1_000;
/** A flush starts at once when this many rows are queued. */
export const MAX_QUEUED_ROWS = 5_000;
/** A failed flush is tried once more after this long, within the waitUntil of the request that scheduled it. */
const RETRY_DELAY_MS = 2_000;
/**
 * Rows an isolate keeps through a D1 outage for its next flush: beyond it the oldest are dropped (logged).
 * About 10 s of the most one isolate queues (docs/architecture.md, "Write-behind").
 */
export const MAX_RETAINED_ROWS = 50_000;
/** Largest JSON parameter of one statement (D1 allows 2 MB per value): more rows go in another statement of the same call. */
const MAX_PARAMETER_CHARS = 512 * 1024;

/** A kind of deferred row: its statement, whose one parameter is a JSON array of `encode(row)` arrays. */
export interface RowKind<Row> {
  name: string;
  sql: string;
  encode(row: Row): unknown[];
}

/** A kind of counted row: its statement upserts `encode(row, count)` arrays, adding `count` to the row of its key. */
export interface CountedRowKind<Row> {
  name: string;
  sql: string;
  encode(row: Row, count: number): unknown[];
}

/** What a flush groups rows by: their statement. */
type Statement = Pick<RowKind<never>, "name" | "sql">;

/** A row is encoded when queued: one flat string per row keeps a second's worth of rows cheap to hold. */
interface Queued {
  kind: Statement;
  json: string;
}

/** A counted row, encoded at the flush (its count grows until then). */
interface Counted {
  kind: CountedRowKind<never>;
  row: unknown;
  count: number;
}

class WriteBehind {
  private queue: Queued[] = [];
  private counted = new Map<string, Counted>();
  private scheduled = false;

  push<Row>(db: D1Database, kind: RowKind<Row>, row: Row, waitUntil: (p: Promise<unknown>) => void): void {
    this.queue.push({ kind, json: JSON.stringify(kind.encode(row)) });
    this.schedule(db, waitUntil);
  }

  /**
   * Queues `row` once per `key` of its kind; pushing the same key again before the flush only adds one to
   * its count. A key is never more than one row of a flush, however many requests repeat it.
   */
  pushCounted<Row>(db: D1Database, kind: CountedRowKind<Row>, key: string, row: Row, waitUntil: (p: Promise<unknown>) => void): void {
    const slot = `${kind.name}|${key}`;
    const queued = this.counted.get(slot);
    if (queued) {
      queued.count++; // its flush is already scheduled
      return;
    }
    this.counted.set(slot, { kind: kind as CountedRowKind<never>, row, count: 1 });
    this.schedule(db, waitUntil);
  }

  private schedule(db: D1Database, waitUntil: (p: Promise<unknown>) => void): void {
    const queued = this.queue.length + this.counted.size;
    if (this.scheduled && queued < MAX_QUEUED_ROWS) return;
    this.scheduled = true;
    const delay = queued >= MAX_QUEUED_ROWS ? 0 : FLUSH_DELAY_MS;
    waitUntil(new Promise((resolve) => setTimeout(resolve, delay)).then(() => this.flush(db)));
  }

  /** Writes everything queued now, in one D1 call. Readers call it first to see their own isolate's writes. */
  async flush(db: D1Database, retry = true): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    const counted = this.counted;
    if (batch.length === 0 && counted.size === 0) return;
    this.queue = [];
    this.counted = new Map();
    const encoded = new Map<Statement, string[]>();
    const add = (kind: Statement, json: string) => {
      const rows = encoded.get(kind);
      if (rows) rows.push(json);
      else encoded.set(kind, [json]);
    };
    for (const { kind, json } of batch) add(kind, json);
    for (const { kind, row, count } of counted.values()) add(kind, JSON.stringify(kind.encode(row as never, count)));
    const statements: D1PreparedStatement[] = [];
    for (const [kind, rows] of encoded) {
      for (const chunk of chunkRows(rows, MAX_PARAMETER_CHARS)) statements.push(db.prepare(kind.sql).bind(`[${chunk.join(",")}]`));
    }
    try {
      await db.batch(statements);
    } catch (err) {
      // A D1 batch is one transaction: nothing of it was written. Its rows go back to the head of the queue
      // for the next flush (the statements are idempotent, for the case where it did commit but the answer
      // was lost), and one retry is scheduled within this same waitUntil.
      const dropped = this.requeue(batch, counted);
      log("error", "write_behind_failed", {
        rows: batch.length + counted.size,
        dropped,
        kinds: [...encoded.keys()].map((k) => k.name).join(","),
        error: errorName(err),
      });
      if (retry) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        await this.flush(db, false);
      }
    }
  }

  /**
   * Puts the rows of a failed flush back before those queued since; beyond MAX_RETAINED_ROWS the oldest are
   * dropped (an outage longer than the queue can hold). Counted rows add their counts back. Returns how many
   * rows were dropped.
   */
  private requeue(batch: Queued[], counted: Map<string, Counted>): number {
    const queue = [...batch, ...this.queue];
    const dropped = Math.max(0, queue.length - MAX_RETAINED_ROWS);
    this.queue = dropped > 0 ? queue.slice(dropped) : queue;
    for (const [slot, entry] of counted) {
      const queued = this.counted.get(slot);
      if (queued) queued.count += entry.count;
      else this.counted.set(slot, entry);
    }
    return dropped;
  }
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

/** The isolate's one write-behind queue. */
export const writeBehind = new WriteBehind();
