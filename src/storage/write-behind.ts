/**
 * Rows written off the response path (audit events, the token ledger), batched per isolate: a busy
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
 */
import { errorName, log } from "../observability/log";

export const FLUSH_DELAY_MS = 1_000;
/** A flush starts at once when this many rows are queued. */
export const MAX_QUEUED_ROWS = 5_000;
/** Largest JSON parameter of one statement (D1 allows 2 MB per value): more rows go in another statement of the same call. */
const MAX_PARAMETER_CHARS = 512 * 1024;

/** A kind of deferred row: its statement, whose one parameter is a JSON array of `encode(row)` arrays. */
export interface RowKind<Row> {
  name: string;
  sql: string;
  encode(row: Row): unknown[];
}

/** A row is encoded when queued: one flat string per row keeps a second's worth of rows cheap to hold. */
interface Queued {
  kind: RowKind<never>;
  json: string;
}

class WriteBehind {
  private queue: Queued[] = [];
  private scheduled = false;

  push<Row>(db: D1Database, kind: RowKind<Row>, row: Row, waitUntil: (p: Promise<unknown>) => void): void {
    this.queue.push({ kind: kind as RowKind<never>, json: JSON.stringify(kind.encode(row)) });
    if (this.scheduled && this.queue.length < MAX_QUEUED_ROWS) return;
    this.scheduled = true;
    const delay = this.queue.length >= MAX_QUEUED_ROWS ? 0 : FLUSH_DELAY_MS;
    waitUntil(new Promise((resolve) => setTimeout(resolve, delay)).then(() => this.flush(db)));
  }

  /** Writes everything queued now, in one D1 call. Readers call it first to see their own isolate's writes. */
  async flush(db: D1Database): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const encoded = new Map<RowKind<never>, string[]>();
    for (const { kind, json } of batch) {
      const rows = encoded.get(kind);
      if (rows) rows.push(json);
      else encoded.set(kind, [json]);
    }
    const statements: D1PreparedStatement[] = [];
    for (const [kind, rows] of encoded) {
      for (const chunk of chunkRows(rows, MAX_PARAMETER_CHARS)) statements.push(db.prepare(kind.sql).bind(`[${chunk.join(",")}]`));
    }
    try {
      await db.batch(statements);
    } catch (err) {
      log("error", "write_behind_failed", {
        rows: batch.length,
        kinds: [...encoded.keys()].map((k) => k.name).join(","),
        error: errorName(err),
      });
    }
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
