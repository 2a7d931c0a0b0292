/**
 * Batches rows written off the response path (audit events, the token ledger) so that a busy isolate
 * makes one D1 batch per FLUSH_DELAY_MS instead of one write per request.
 *
 * Every queued row has a flush scheduled in some request's `waitUntil`: the request that finds no flush
 * pending schedules one; the flush takes everything queued at that moment. Only plain data crosses
 * requests, never an I/O object. A crashing isolate can lose the rows of its last batch (documented in
 * docs/architecture.md).
 */
import { errorName, log } from "../observability/log";

export const FLUSH_DELAY_MS = 50;
export const MAX_BATCH_ROWS = 200;

export class WriteBehind<Row> {
  private queue: Row[] = [];
  private scheduled = false;

  constructor(private readonly write: (db: D1Database, rows: Row[]) => Promise<void>) {}

  push(db: D1Database, row: Row, waitUntil: (p: Promise<unknown>) => void): void {
    this.queue.push(row);
    if (this.scheduled && this.queue.length < MAX_BATCH_ROWS) return;
    this.scheduled = true;
    const delay = this.queue.length >= MAX_BATCH_ROWS ? 0 : FLUSH_DELAY_MS;
    waitUntil(new Promise((resolve) => setTimeout(resolve, delay)).then(() => this.flush(db)));
  }

  /** Writes everything queued now. Tests and the cron call it directly. */
  async flush(db: D1Database): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const rows = this.queue.splice(0, MAX_BATCH_ROWS);
      try {
        await this.write(db, rows);
      } catch (err) {
        log("error", "write_behind_failed", { rows: rows.length, error: errorName(err) });
      }
    }
  }
}
