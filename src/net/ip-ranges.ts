// IPv4/IPv6 addresses and CIDR ranges, parsed strictly so that an allow-list cannot be
// bypassed with an alternative spelling of an address. Addresses are kept as big-endian bytes.

export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array; // 4 or 16 bytes
}

export interface IpRange {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array; // network address, host bits cleared
  readonly prefix: number;
}

// Dotted quad only: no leading zeros (which some parsers read as octal), no shorthand forms.
const IPV4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): Uint8Array | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return Uint8Array.from(octets);
}

// Parses colon-separated 16-bit groups; the final group may be an IPv4 tail (two groups).
function parseGroups(text: string, allowIpv4Tail: boolean): number[] | null {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (allowIpv4Tail && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (!v4) return null;
      groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(text, true);
    if (!all || all.length !== 8) return null;
    groups = all;
  } else if (halves.length === 2) {
    const head = parseGroups(halves[0] as string, false);
    const tail = parseGroups(halves[1] as string, true);
    // "::" stands for at least one zero group.
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    return null;
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

// Strict textual address: no brackets, zone ids ("%eth0") or surrounding whitespace.
export function parseIpAddress(text: string): IpAddress | null {
  if (text.includes(":")) {
    const bytes = parseIpv6(text);
    return bytes ? { version: 6, bytes } : null;
  }
  const bytes = parseIpv4(text);
  return bytes ? { version: 4, bytes } : null;
}

/** Whether `text` is an address parseIpAddress reads; a canonical dotted IPv4 (the usual one) is not parsed to bytes. */
export function isIpAddress(text: string): boolean {
  return CANONICAL_IPV4.test(text) || parseIpAddress(text) !== null;
}

// ::ffff:a.b.c.d is the same host as a.b.c.d; comparing it as IPv4 keeps one rule per host.
function unmapIpv4(ip: IpAddress): IpAddress {
  if (ip.version !== 6) return ip;
  for (let i = 0; i < 10; i++) if (ip.bytes[i] !== 0) return ip;
  if (ip.bytes[10] !== 0xff || ip.bytes[11] !== 0xff) return ip;
  return { version: 4, bytes: ip.bytes.slice(12) };
}

/**
 * A client address (CF-Connecting-IP, an RPC caller's clientIp) as the one host it names: parsed strictly,
 * an IPv4-mapped IPv6 address as its IPv4 address. Rate limits, audit rows and trusted-IP checks all read
 * addresses through this, so `::ffff:203.0.113.7` and `203.0.113.7` are one client everywhere.
 */
export function parseClientAddress(text: string): IpAddress | null {
  const ip = parseIpAddress(text);
  return ip && unmapIpv4(ip);
}

/** A dotted IPv4 address exactly as parseIpv4 accepts it (octets 0-255, no leading zeros): its own canonical text. */
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Longest unparseable client address kept as it was sent (Cloudflare sends only addresses). */
const MAX_RAW_ADDRESS_CHARS = 64;

/**
 * The canonical text of a client address (parseClientAddress): dotted IPv4, RFC 5952 IPv6; null without
 * one. A value that is not an address (only possible locally) is kept as sent, at most 64 characters: it
 * never matches a trusted range.
 */
export function canonicalClientAddress(text: string | null | undefined): string | null {
  if (!text) return null;
  if (CANONICAL_IPV4.test(text)) return text; // the usual CF-Connecting-IP: already its canonical text
  const ip = parseClientAddress(text);
  if (!ip) return text.slice(0, MAX_RAW_ADDRESS_CHARS);
  return ip.version === 4 ? ip.bytes.join(".") : formatIpv6(ip.bytes);
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (out[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

// "addr" (a single host) or "addr/prefix". Host bits are allowed and cleared. A range inside
// ::ffff:0:0/96 is converted to the equivalent IPv4 range, mirroring how addresses are compared.
export function parseIpRange(text: string): IpRange | null {
  const slash = text.indexOf("/");
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const address = parseIpAddress(addrText);
  if (!address) return null;
  const bits = address.version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return null;
    prefix = Number(prefixText);
    if (prefix > bits) return null;
  }
  const unmapped = unmapIpv4(address);
  if (unmapped.version === 4 && address.version === 6) {
    if (prefix < 96) return { version: 6, bytes: maskBytes(address.bytes, prefix), prefix };
    prefix -= 96;
  }
  return { version: unmapped.version, bytes: maskBytes(unmapped.bytes, prefix), prefix };
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** `ipv6` for an address written with colons (`::ffff:1.2.3.4` too), else `ipv4`: the type Infisical's API names. */
export const ipTypeOf = (address: string): "ipv4" | "ipv6" => (address.includes(":") ? "ipv6" : "ipv4");

/**
 * A trusted IP's text (`10.0.0.0/8`, `1.2.3.4`) in Infisical's answer shape: the address as written, its
 * type, and the prefix only when one was written (`1.2.3.4/32` has prefix 32, `1.2.3.4` none).
 */
export function ipRangeParts(text: string): { ipAddress: string; type: "ipv4" | "ipv6"; prefix?: number } {
  const slash = text.indexOf("/");
  if (slash === -1) return { ipAddress: text, type: ipTypeOf(text) };
  const ipAddress = text.slice(0, slash);
  return { ipAddress, type: ipTypeOf(ipAddress), prefix: Number(text.slice(slash + 1)) };
}

// Canonical text for storage and display, always with an explicit prefix
// ("10.1.2.3/8" -> "10.0.0.0/8", "2001:DB8:0:0::1" -> "2001:db8::1/128").
export function normalizeIpRange(text: string): string | null {
  const range = parseIpRange(text);
  if (!range) return null;
  const addr = range.version === 4 ? Array.from(range.bytes).join(".") : formatIpv6(range.bytes);
  return `${addr}/${range.prefix}`;
}

export function ipInRange(ip: IpAddress, range: IpRange): boolean {
  const addr = unmapIpv4(ip);
  if (addr.version !== range.version) return false;
  const masked = maskBytes(addr.bytes, range.prefix);
  return masked.every((b, i) => b === range.bytes[i]);
}

// Fails closed: an unparsable address is never allowed, an unparsable range admits nothing,
// and an empty list admits nothing (callers decide whether "no list" means "no restriction").
export function isIpAllowed(ipText: string, rangeTexts: readonly string[]): boolean {
  const ip = parseClientAddress(ipText);
  if (!ip) return false;
  return rangeTexts.some((text) => {
    const range = parseIpRange(text);
    return range !== null && ipInRange(ip, range);
  });
}

// Addresses that are not ordinary public unicast destinations.
const SPECIAL_RANGES: readonly IpRange[] = [
  "0.0.0.0/8", // "this network", includes unspecified 0.0.0.0
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16", // RFC 1918
  "100.64.0.0/10", // CGNAT
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local (includes cloud metadata 169.254.169.254)
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24",
  "198.51.100.0/24",
  "203.0.113.0/24", // documentation
  "198.18.0.0/15", // benchmarking
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, includes broadcast 255.255.255.255
  "::/96", // unspecified, loopback, deprecated IPv4-compatible
  "64:ff9b::/96",
  "64:ff9b:1::/48", // NAT64, could reach internal IPv4
  "100::/64", // discard-only
  "2001:db8::/32", // documentation
  "fc00::/7", // unique local
  "fe80::/10",
  "fec0::/10", // link-local, deprecated site-local
  "ff00::/8", // multicast
].map((text) => parseIpRange(text) as IpRange);

// IPv4-mapped addresses are judged by their IPv4 address (handled inside ipInRange).
export function isPrivateOrSpecialIp(ip: IpAddress): boolean {
  return SPECIAL_RANGES.some((range) => ipInRange(ip, range));
}
