/**
 * Audit events that are counted, not recorded one by one: one row of `audit_logs` per (event, client
 * address, minute), whose `details.count` says how many there were. For events an attacker can repeat at
 * will (failed admin authentications): a flood costs one counter increment per request and at most one
 * row per address and minute, instead of one row per request.
 *
 * Each isolate adds up its counts in memory and writes them about once a second (FLUSH_DELAY_MS, as the
 * write-behind queue does) with one statement that inserts the row or adds to it: the row's id is derived
 * from (event, address, minute), so every isolate's counts for the same minute land in the same row.
 * Readers flush their own isolate's counts first (src/admin/audit.ts). What a crashing isolate loses is the
 * same as for write-behind rows: its last second of counts.
 */
import { errorName, log } from "../observability/log";
import { nowMs } from "../time/clock";
import { timeOrderedUuid } from "./ids";
import { FLUSH_DELAY_MS } from "./write-behind";

/** What a counted event records: no identity, no organization, no token; just who and how often. */
export interface CountedEvent {
  event: string;
  outcome: "success" | "failure";
  /** The client as the rate limits key it (an IPv4 address, an IPv6 /64), or null when unknown. */
  clientIp: string | null;
  /** Of these, how many were refused for a rate limit (answered 429). */
  limited?: boolean;
}

interface Pending extends Omit<CountedEvent, "limited"> {
  minuteMs: number;
  count: number;
  limited: number;
}

const MINUTE_MS = 60_000;
/** Pending rows per isolate before a flush starts at once (each is one address and minute). */
const MAX_PENDING = 5_000;

/** Insert the minute's row, or add to the one another flush (of this isolate or another) wrote. */
const UPSERT = `INSERT INTO audit_logs (id, created_at, event, outcome, client_ip, details)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?) WHERE true
  ON CONFLICT(id) DO UPDATE SET details = json_set(audit_logs.details,
    '$.count', (audit_logs.details->>'$.count') + (excluded.details->>'$.count'),
    '$.limited', coalesce(audit_logs.details->>'$.limited', 0) + coalesce(excluded.details->>'$.limited', 0))`;

let pending = new Map<string, Pending>();
let scheduled = false;

/** Counts one event in its (event, address, minute) row; written within about a second, off the response path. */
export function countAuditEvent(db: D1Database, event: CountedEvent, waitUntil: (p: Promise<unknown>) => void): void {
  const minuteMs = Math.floor(nowMs() / MINUTE_MS) * MINUTE_MS;
  const key = `${event.event}\n${event.outcome}\n${event.clientIp ?? ""}\n${minuteMs}`;
  const row = pending.get(key);
  if (row) {
    row.count++;
    if (event.limited) row.limited++;
  } else {
    pending.set(key, {
      event: event.event,
      outcome: event.outcome,
      clientIp: event.clientIp,
      minuteMs,
      count: 1,
      limited: event.limited ? 1 : 0,
    });
  }
  if (scheduled && pending.size < MAX_PENDING) return;
  scheduled = true;
  const delay = pending.size >= MAX_PENDING ? 0 : FLUSH_DELAY_MS;
  waitUntil(new Promise((resolve) => setTimeout(resolve, delay)).then(() => flushAuditCounts(db)));
}

/** Writes this isolate's counts now, in one D1 call (readers call it first to see their own isolate's). */
export async function flushAuditCounts(db: D1Database): Promise<void> {
  scheduled = false;
  if (pending.size === 0) return;
  const rows = [...pending.values()];
  pending = new Map();
  const encoded = await Promise.all(
    rows.map(async (r) => [
      await rowId(r),
      r.minuteMs,
      r.event,
      r.outcome,
      r.clientIp,
      JSON.stringify({ count: r.count, limited: r.limited, minute: new Date(r.minuteMs).toISOString() }),
    ]),
  );
  try {
    await db.prepare(UPSERT).bind(JSON.stringify(encoded)).run();
  } catch (err) {
    log("error", "audit_counts_failed", { rows: rows.length, error: errorName(err) });
  }
}

/**
 * The row's id: a UUID whose first 48 bits are the minute (ids sort by time, as the other audit ids,
 * UUIDv7, do) and whose rest is a hash of (event, outcome, address, minute), version 8 (RFC 9562 §5.8).
 */
async function rowId(r: Pending): Promise<string> {
  const text = `${r.event}\n${r.outcome}\n${r.clientIp ?? ""}\n${r.minuteMs}`;
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return timeOrderedUuid(new Uint8Array(hash, 0, 16), r.minuteMs, 8);
}
