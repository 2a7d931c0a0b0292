import { BoundedMemo } from "../cache/memo";
import { encodeHex } from "../encoding/hex";
import { parseClientAddress } from "./ip-ranges";

/** The key of a request without a client address (only local requests lack `CF-Connecting-IP`). */
export const UNKNOWN_CLIENT = "unknown";

/**
 * The key of a client address, as the rate limits and the aggregated audit rows count it: the address
 * itself for IPv4, its /64 for IPv6 (one host is routinely given a whole /64, so per-address keys would
 * not limit anyone), "unknown" without the header (only local requests lack it: Cloudflare always sets it).
 */
export function clientKey(ip: string | null | undefined): string {
  if (!ip) return UNKNOWN_CLIENT;
  if (ip.length > 64) return computeClientKey(ip); // not an address (Cloudflare sends only addresses): not kept
  return clientKeys.get(ip, () => computeClientKey(ip));
}

/** clientKey is pure and a login asks it up to three times: parsed addresses are kept per isolate. */
const clientKeys = new BoundedMemo<string>(10_000);

function computeClientKey(ip: string): string {
  const parsed = parseClientAddress(ip); // an IPv4-mapped IPv6 address is its IPv4 address
  if (!parsed) return `raw:${ip.slice(0, 64)}`;
  if (parsed.version === 4) return parsed.bytes.join(".");
  const hex = encodeHex(parsed.bytes.subarray(0, 8));
  return `${hex.replace(/(.{4})(?!$)/g, "$1:")}::/64`;
}
