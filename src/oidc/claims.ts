// Reading claims out of a verified token payload and matching them against role policy.
// Everything here fails closed: a claim that is missing, null, an object or otherwise
// unrepresentable as text never matches any pattern.

import { compileGlob, splitPatternList } from "./glob";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Looks up `key` as an own property first (claim names may legitimately contain dots, e.g.
// "https://example.com/claims.team"), otherwise as a dot path through nested objects.
// Only own properties are consulted so "__proto__", "constructor" or "toString" can never
// resolve to something inherited from Object.prototype.
export function readClaim(payload: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(payload, key)) return payload[key];
  const segments = key.split(".");
  if (segments.length < 2 || segments.some((s) => s === "")) return undefined;
  let current: unknown = payload;
  for (const segment of segments) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

function scalarString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  // String(n) is the same decimal text JSON.stringify prints for finite numbers. An integer beyond 2^53 was
  // rounded when the token was read (9007199254740993 reads as ...992): its text is not the token's, so it
  // has none, and matches no pattern (fail closed) rather than the pattern of a neighbouring number.
  if (typeof value === "number" && Number.isFinite(value) && (Number.isSafeInteger(value) || !Number.isInteger(value))) {
    return String(value);
  }
  return undefined;
}

// The textual forms a claim value can be matched as. Arrays (e.g. "aud") contribute each
// scalar element; nested arrays, objects and nulls inside them are ignored.
export function claimValueStrings(value: unknown): string[] {
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const element of value) {
      const s = scalarString(element);
      if (s !== undefined) out.push(s);
    }
    return out;
  }
  const s = scalarString(value);
  return s === undefined ? [] : [s];
}

// True if any pattern in the comma-separated list matches any of the claim's value strings.
export function matchClaimPatterns(patternList: string, value: unknown): boolean {
  const values = claimValueStrings(value);
  if (values.length === 0) return false;
  return splitPatternList(patternList).some((pattern) => {
    const glob = compileGlob(pattern);
    return values.some((v) => glob.matches(v));
  });
}

export type BoundClaimsResult = { ok: true } | { ok: false; claim: string };

// Every bound claim must match. Keys are checked in sorted order so the reported failure is
// deterministic regardless of how the policy object was built. A bound claim whose pattern
// list is empty (e.g. "" or " , ") can never be satisfied.
export function checkBoundClaims(payload: Record<string, unknown>, boundClaims: Record<string, string>): BoundClaimsResult {
  for (const claim of Object.keys(boundClaims).sort()) {
    const patterns = boundClaims[claim] as string;
    if (!matchClaimPatterns(patterns, readClaim(payload, claim))) return { ok: false, claim };
  }
  return { ok: true };
}

// Metadata travels inside the access token, which must stay under its size limit (8 KiB) or the
// service would issue a token it then refuses to accept. Longer values are omitted, never cut.
export const MAX_METADATA_VALUE_LENGTH = 256;
export const MAX_METADATA_JSON_LENGTH = 2048;

// Copies claims into token metadata: metadata key -> claim path. Values are stored as text
// (array elements joined with ","); claims with no textual value are omitted, and so are values
// over MAX_METADATA_VALUE_LENGTH and entries past MAX_METADATA_JSON_LENGTH in total.
export function mapClaims(payload: Record<string, unknown>, mapping: Record<string, string>): Record<string, string> {
  const entries: [string, string][] = [];
  let size = 2; // "{}"
  for (const [metadataKey, claimPath] of Object.entries(mapping)) {
    const strings = claimValueStrings(readClaim(payload, claimPath));
    if (strings.length === 0) continue;
    const value = strings.join(",");
    if (value.length > MAX_METADATA_VALUE_LENGTH) continue;
    const entrySize = JSON.stringify(metadataKey).length + JSON.stringify(value).length + 2; // ':' and ','
    if (size + entrySize > MAX_METADATA_JSON_LENGTH) continue;
    size += entrySize;
    entries.push([metadataKey, value]);
  }
  // fromEntries defines own data properties, so a "__proto__" metadata key stays a plain key.
  return Object.fromEntries(entries);
}
