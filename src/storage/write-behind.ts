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
 * Two ways to D1 (docs/architecture.md, "Write-behind"): without a queue the timer-driven flush writes its
 * rows in one D1 call itself; with the WRITE_BEHIND_QUEUE binding (`routeThrough`) it sends them as parcels
 * (src/storage/write-behind-parcels.ts) to the queue, whose consumer (src/storage/write-behind-queue.ts)
 * writes up to 100 parcels of many isolates in one D1 call, so D1's calls per second no longer grow with
 * the number of isolates. Readers (`flush`) always write directly: this isolate's queued rows, and the
 * parcels it sent to the queue in the last RECENT_MS, which the consumer may not have written yet (both
 * writes are idempotent, counted rows by their parcel's key), so a reader sees its own isolate's writes.
 *
 * Counted rows (`pushCounted`): rows that would repeat, such as login attempts naming no identity, are
 * queued once per key with a count; the statement of their kind upserts them (`count = count + n` on a
 * unique key), so every isolate adds its own count to the one row of that key.
 */
import { errorName, log } from "../observability/log";
import { makeParcels, type Parcel, parcelBody, type Statement, writeParcels } from "./write-behind-parcels";

export { chunkRows } from "./write-behind-parcels";

export const FLUSH_DELAY_MS = 1_000;
/** A flush starts at once when this many rows are queued. */
export const MAX_QUEUED_ROWS = 5_000;
/** A failed flush is tried once more after this long, within the waitUntil of the request that scheduled it. */
const RETRY_DELAY_MS = 2_000;
/**
 * Rows an isolate keeps through a D1 (or queue) outage for its next flush: beyond it the oldest parcels are
 * dropped (logged). About 10 s of the most one isolate queues (docs/architecture.md, "Write-behind").
 */
export const MAX_RETAINED_ROWS = 50_000;
/**
 * How long an isolate keeps the parcels it sent to the queue, for its readers to write directly: the
 * consumer's max_batch_timeout (5 s, wrangler.toml) plus its D1 call, with margin.
 */
export const RECENT_MS = 10_000;
/**
 * ... and at most this many of their rows (about 8 MB of login rows): an isolate's memory is 128 MB, and
 * holding 10 s of a busy isolate's rows (25,000 at 2,500 logins/s) also made every garbage collection
 * longer (docs/performance.md). Past it, a reader may not see the oldest of its isolate's sent rows until
 * the consumer has written them.
 */
export const MAX_RECENT_ROWS = 5_000;
/** Messages per sendBatch: Queues allows 100 messages and 256 KB per call; parcels are at most 60 KB. */
const PARCELS_PER_SEND = 4;

/** A kind of deferred row: its statement, whose one parameter is a JSON array of `encode(row)` arrays. */
export interface RowKind<Row> extends Statement {
  encode(row: Row): unknown[];
}

/**
 * A kind of counted row: its statement upserts `encode(row, count)` arrays, adding `count` to the row of its
 * key, and must skip rows whose parcel key (appended as the array's last element) was already applied.
 */
export interface CountedRowKind<Row> extends Statement {
  counted: true;
  encode(row: Row, count: number): unknown[];
}

/** The write-behind queue as this module uses it: parcels as text bodies. */
export interface ParcelQueue {
  sendBatch(messages: MessageSendRequest<string>[]): Promise<unknown>;
}

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

const rowsOf = (parcels: Parcel[]) => parcels.reduce((n, p) => n + p.rowCount, 0);

class WriteBehind {
  private queue: Queued[] = [];
  private counted = new Map<string, Counted>();
  private scheduled = false;
  /** Parcels not written yet: a direct write or a send failed. The next flush or send takes them first. */
  private unsent: Parcel[] = [];
  /** Parcels sent to the queue in the last RECENT_MS, oldest first. */
  private recent: Parcel[] = [];
  private sink: ParcelQueue | undefined;

  /** Sends the timer-driven flushes through `queue` (undefined: write them to D1 directly). */
  routeThrough(queue: ParcelQueue | undefined): void {
    this.sink = queue;
  }

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
    waitUntil(
      new Promise((resolve) => setTimeout(resolve, delay)).then(() => {
        const sink = this.sink;
        return sink ? this.send(sink, db) : this.flush(db);
      }),
    );
  }

  /** Everything queued now, as parcels; the queue is empty after. */
  private take(): Parcel[] {
    this.scheduled = false;
    const batch = this.queue;
    const counted = this.counted;
    if (batch.length === 0 && counted.size === 0) return [];
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
    return makeParcels(encoded);
  }

  /**
   * Writes to D1, in one call, everything of this isolate not known to be there: its queued rows, the
   * parcels a failure left, and those it sent to the queue in the last RECENT_MS. Readers call it first to
   * see their own isolate's writes; without a queue it is also the timer-driven flush.
   */
  async flush(db: D1Database, retry = true): Promise<void> {
    await this.write(db, this.freshRecent(), retry);
  }

  /**
   * As `flush`, but of the parcels sent to the queue only the rows that contain `needle` (a token id):
   * what a reader of one row needs, without rewriting the isolate's last RECENT_MS of rows for each.
   * Counted rows are never among them (a part of a parcel's counted rows must not record its key).
   */
  async flushMatching(db: D1Database, needle: string): Promise<void> {
    const rows = new Map<Statement, string[]>();
    let rowCount = 0;
    for (const p of this.freshRecent()) {
      for (const [kind, list] of p.rows) {
        if (kind.counted) continue;
        const hits = list.filter((row) => row.includes(needle));
        if (hits.length === 0) continue;
        rows.set(kind, [...(rows.get(kind) ?? []), ...hits]);
        rowCount += hits.length;
      }
    }
    const matching: Parcel[] = rowCount > 0 ? [{ key: crypto.randomUUID(), madeAt: Date.now(), rows, rowCount }] : [];
    await this.write(db, matching, false, false);
  }

  private async write(db: D1Database, sent: Parcel[], retry: boolean, forgetSent = true): Promise<void> {
    const parcels = [...this.unsent, ...sent, ...this.take()];
    this.unsent = [];
    if (parcels.length === 0) return;
    try {
      const written = await writeParcels(db, parcels);
      if (written.expired > 0) log("error", "write_behind_counted_expired", { rows: written.expired });
      if (forgetSent) this.recent = this.recent.filter((p) => !sent.includes(p));
    } catch (err) {
      // A D1 batch is one transaction: nothing of it was written. Its parcels are kept for the next flush
      // (idempotent, counted rows by key, for the case where it did commit but the answer was lost), and one
      // retry is scheduled within this same waitUntil. Those already sent stay with the queue.
      const fresh = parcels.filter((p) => !sent.includes(p));
      const dropped = this.retain(fresh);
      log("error", "write_behind_failed", { rows: rowsOf(fresh), dropped, error: errorName(err) });
      if (retry) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        await this.write(db, this.freshRecent(), false, forgetSent);
      }
    }
  }

  /**
   * The timer-driven flush with a queue: this isolate's queued rows, and parcels a failure left, as
   * messages of at most MAX_PARCEL_BYTES, PARCELS_PER_SEND per sendBatch. A refused send keeps the parcels
   * not sent for the next flush or send (same keys: a resend that duplicates one counts once).
   */
  async send(queue: ParcelQueue, db: D1Database, retry = true): Promise<void> {
    const parcels = [...this.unsent, ...this.take()];
    this.unsent = [];
    let sent = 0;
    try {
      while (sent < parcels.length) {
        const group = parcels.slice(sent, sent + PARCELS_PER_SEND);
        await queue.sendBatch(group.map((p) => ({ body: parcelBody(p), contentType: "text" as const })));
        this.recent.push(...group);
        sent += group.length;
      }
    } catch (err) {
      const left = parcels.slice(sent);
      const dropped = this.retain(left);
      log("error", "write_behind_send_failed", { rows: rowsOf(left), dropped, error: errorName(err) });
      if (retry) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        await this.send(queue, db, false);
      }
    }
    this.freshRecent();
  }

  /** The parcels sent in the last RECENT_MS (older ones are forgotten), at most MAX_RECENT_ROWS rows. */
  private freshRecent(now = Date.now()): Parcel[] {
    let rows = 0;
    let first = this.recent.length;
    while (first > 0) {
      const p = this.recent[first - 1]!;
      if (now - p.madeAt > RECENT_MS || rows + p.rowCount > MAX_RECENT_ROWS) break;
      rows += p.rowCount;
      first--;
    }
    this.recent = this.recent.slice(first);
    return this.recent.slice(); // a copy: sends during a reader's write add to this.recent, not to it
  }

  /**
   * Keeps `parcels` (older than any left since) for the next flush; beyond MAX_RETAINED_ROWS the oldest are
   * dropped (an outage longer than the isolate can hold). Returns how many rows were dropped.
   */
  private retain(parcels: Parcel[]): number {
    const all = [...parcels, ...this.unsent];
    let rows = rowsOf(all);
    let dropped = 0;
    while (all.length > 1 && rows > MAX_RETAINED_ROWS) {
      const p = all.shift() as Parcel;
      rows -= p.rowCount;
      dropped += p.rowCount;
    }
    this.unsent = all;
    return dropped;
  }
}

/** The isolate's one write-behind queue. */
export const writeBehind = new WriteBehind();
