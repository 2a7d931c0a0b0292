/**
 * The write-behind queue's consumer (wrangler.toml `[[queues.consumers]]`, the Worker's `queue()` handler):
 * a batch of up to 100 parcels, sent by any number of isolates, written to D1 in ONE call
 * (src/storage/write-behind-parcels.ts). D1's calls per second are then the consumer's batches per second,
 * whatever the number of isolates (docs/architecture.md, "Write-behind").
 *
 * Queues deliver at least once. A batch is written in one transaction or not at all; a message is acked
 * only after the transaction committed, and retried (all of the batch's writable messages) when it did not.
 * A parcel written twice (redelivered after a commit whose ack was lost, or resent by its isolate) changes
 * nothing: the statements are idempotent, and counted rows are applied once per parcel key.
 */
import { errorName, log } from "../observability/log";
import { ledgerRows } from "./access-tokens";
import { auditRows, countedAuditRows, loginRows } from "./audit-log";
import { type Parcel, readParcel, rowsAreJson, type Statement, writeParcels } from "./write-behind-parcels";

/** Seconds before a batch whose D1 write failed is delivered again (D1 unavailable, or overloaded). */
export const CONSUMER_RETRY_DELAY_SECONDS = 10;

/** Every row kind a parcel may carry, by name. */
const KINDS: ReadonlyMap<string, Statement> = new Map(
  [auditRows, countedAuditRows, loginRows, ledgerRows].map((kind): [string, Statement] => [kind.name, kind]),
);

export interface Consumed {
  written: number;
  retried: number;
  dropped: number;
}

export async function consumeWriteBehind(batch: MessageBatch<unknown>, db: D1Database): Promise<Consumed> {
  const parcels: Parcel[] = [];
  const writable: Message<unknown>[] = [];
  let dropped = 0;
  for (const message of batch.messages) {
    const parcel = readParcel(message.body, KINDS);
    if (parcel === "malformed") {
      // No later delivery can make it readable: acked, logged.
      log("error", "write_behind_message_malformed", { queue: batch.queue, messageId: message.id });
      message.ack();
      dropped++;
    } else if (parcel === "unknown_kind") {
      // A row kind of a newer version of the Worker (a deploy in progress): left for that version.
      message.retry({ delaySeconds: CONSUMER_RETRY_DELAY_SECONDS });
    } else {
      parcels.push(parcel);
      writable.push(message);
    }
  }
  if (writable.length === 0) return { written: 0, retried: batch.messages.length - dropped, dropped };
  try {
    await write(db, parcels);
    for (const message of writable) message.ack();
    return { written: writable.length, retried: batch.messages.length - writable.length - dropped, dropped };
  } catch (err) {
    // A parcel whose rows are not JSON fails every write it is in: dropped (acked, logged), so that it does
    // not hold the rest of its batch back for as long as the queue retries it; the rest is tried again now.
    const damaged = parcels.flatMap((p, i) => (rowsAreJson(p) ? [] : [i]));
    if (damaged.length > 0) {
      for (const i of damaged) {
        log("error", "write_behind_message_malformed", { queue: batch.queue, messageId: writable[i]!.id });
        writable[i]!.ack();
      }
      dropped += damaged.length;
      const rest = writable.filter((_, i) => !damaged.includes(i));
      const restParcels = parcels.filter((_, i) => !damaged.includes(i));
      try {
        if (restParcels.length > 0) await write(db, restParcels);
        for (const message of rest) message.ack();
        return { written: rest.length, retried: batch.messages.length - rest.length - dropped, dropped };
      } catch (retryErr) {
        return retryAll(batch, rest, dropped, retryErr);
      }
    }
    return retryAll(batch, writable, dropped, err);
  }
}

async function write(db: D1Database, parcels: Parcel[]): Promise<void> {
  const written = await writeParcels(db, parcels);
  if (written.expired > 0) log("error", "write_behind_counted_expired", { rows: written.expired });
}

/** The write failed (D1 unavailable, or overloaded): every writable message is delivered again later. */
function retryAll(batch: MessageBatch<unknown>, writable: Message<unknown>[], dropped: number, err: unknown): Consumed {
  log("error", "write_behind_consume_failed", { messages: writable.length, error: errorName(err) });
  for (const message of writable) message.retry({ delaySeconds: CONSUMER_RETRY_DELAY_SECONDS });
  return { written: 0, retried: batch.messages.length - dropped, dropped };
}
