import { encodeHex } from "../encoding/hex";
import { nowMs } from "../time/clock";

export const newId = (): string => crypto.randomUUID();
export const nowIso = (): string => new Date(nowMs()).toISOString();

/**
 * A UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits. For high-volume
 * keys (audit events, access token ids): consecutive ids sort by time, so inserts append to the end of
 * the primary-key B-tree instead of landing on a random page of an ever larger table.
 */
export function newTimeOrderedId(now = nowMs()): string {
  return timeOrderedUuid(crypto.getRandomValues(new Uint8Array(16)), now, 7);
}

/**
 * 16 bytes as a UUID whose first 48 bits are the Unix milliseconds `ms` (so ids sort by time), with the
 * version (7: the rest is random; 8: the rest is the caller's, such as a hash) and variant bits set.
 */
export function timeOrderedUuid(bytes: Uint8Array, ms: number, version: 7 | 8): string {
  let rest = ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | (version << 4);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = encodeHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` is a UUID in its text form, in either letter case. */
export const isUuid = (id: string): boolean => UUID_TEXT.test(id);

/**
 * An id as it is stored: ours are lower-case UUIDs, and a UUID written in upper case names the same one,
 * as it does in Infisical's Postgres `uuid` columns. Anything else is returned as it is (and matches nothing).
 */
export const canonicalId = (id: string): string => (isUuid(id) ? id.toLowerCase() : id);
