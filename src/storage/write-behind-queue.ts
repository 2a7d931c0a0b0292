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

/** A message read as a parcel this Worker can write. */
interface Readable {
  message: Message<unknown>;
  parcel: Parcel;
}

export async function consumeWriteBehind(batch: MessageBatch<unknown>, db: D1Database): Promise<Consumed> {
  const readable: Readable[] = [];
  let dropped = 0;
  for (const message of batch.messages) {
    const parcel = readParcel(message.body, KINDS);
    if (parcel === "malformed") {
      // No later delivery can make it readable: acked, logged.
      dropMalformed(batch.queue, message);
      dropped++;
    } else if (parcel === "unknown_kind") {
      // A row kind of a newer version of the Worker (a deploy in progress): left for that version.
      message.retry({ delaySeconds: CONSUMER_RETRY_DELAY_SECONDS });
    } else {
      readable.push({ message, parcel });
    }
  }
  const { written, damaged } = readable.length > 0 ? await writeAcking(db, batch.queue, readable) : { written: 0, damaged: 0 };
  dropped += damaged;
  return { written, retried: batch.messages.length - written - dropped, dropped };
}

/**
 * Writes the parcels in one D1 call, then acks their messages. When the write fails, they are all delivered
 * again later (D1 unavailable, or overloaded), except parcels whose rows are not JSON: those fail every write
 * they are in, so they are dropped (acked, logged) and the rest is written again at once, rather than held
 * back for as long as the queue retries them.
 */
async function writeAcking(
  db: D1Database,
  queue: string,
  readable: Readable[],
  lookForDamage = true,
): Promise<{ written: number; damaged: number }> {
  try {
    const written = await writeParcels(
      db,
      readable.map((r) => r.parcel),
    );
    if (written.expired > 0) log("error", "write_behind_counted_expired", { rows: written.expired });
    for (const { message } of readable) message.ack();
    return { written: readable.length, damaged: 0 };
  } catch (err) {
    const intact = lookForDamage ? readable.filter((r) => rowsAreJson(r.parcel)) : readable;
    if (intact.length < readable.length) {
      for (const r of readable) if (!intact.includes(r)) dropMalformed(queue, r.message);
      const damaged = readable.length - intact.length;
      const { written } = intact.length > 0 ? await writeAcking(db, queue, intact, false) : { written: 0 };
      return { written, damaged };
    }
    log("error", "write_behind_consume_failed", { messages: readable.length, error: errorName(err) });
    for (const { message } of readable) message.retry({ delaySeconds: CONSUMER_RETRY_DELAY_SECONDS });
    return { written: 0, damaged: 0 };
  }
}

function dropMalformed(queue: string, message: Message<unknown>): void {
  log("error", "write_behind_message_malformed", { queue, messageId: message.id });
  message.ack();
}
