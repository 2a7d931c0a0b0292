/**
 * The claims of a verified ID token, kept after the login: inside the access token (so its identity's
 * Durable Object can re-check them when the configuration changes) and in the login's audit row (so a
 * what-if can replay the attempt under a proposed configuration). Bounded, and values are dropped rather
 * than cut: a cut value could match a pattern the real one does not, while a missing claim matches
 * nothing, so every decision taken on a snapshot fails closed. See docs/policy.md.
 */

/** A claim value as kept: JSON scalars, arrays of scalars, small objects (dot-path bindings read them). */
export type SnapshotValue = string | number | boolean | null | SnapshotValue[] | { [key: string]: SnapshotValue };
export type ClaimSnapshot = Record<string, SnapshotValue>;

export const SNAPSHOT_LIMITS = Object.freeze({
  /** Serialized size of the whole snapshot; claims past it (in the token's own order) are dropped. */
  maxBytes: 4096,
  /** Longest claim name kept. */
  maxKeyLength: 128,
  /** Longest string value kept (a longer one is dropped, never truncated). */
  maxStringLength: 512,
  /** Array elements and object members of one claim. */
  maxItems: 32,
  /** Nesting of objects and arrays inside one claim. */
  maxDepth: 3,
});

/** Claims that prove nothing about the workload and would only grow the snapshot. */
const LEFT_OUT = new Set(["nonce", "at_hash", "c_hash", "s_hash"]);

function keep(value: unknown, depth: number): SnapshotValue | undefined {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string") return value.length <= SNAPSHOT_LIMITS.maxStringLength ? value : undefined;
  if (depth >= SNAPSHOT_LIMITS.maxDepth || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    if (value.length > SNAPSHOT_LIMITS.maxItems) return undefined;
    const items = value.map((v) => keep(v, depth + 1));
    // An array with a dropped element is dropped whole: "any element matches" must see every element.
    return items.every((v) => v !== undefined) ? (items as SnapshotValue[]) : undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > SNAPSHOT_LIMITS.maxItems) return undefined;
  const out: Record<string, SnapshotValue> = {};
  for (const [k, v] of entries) {
    const kept = keep(v, depth + 1);
    if (kept === undefined) return undefined;
    out[k] = kept;
  }
  return out;
}

/** Characters a string needs escaped in JSON (and lone surrogates, which JSON.stringify escapes). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(value).length`, without serializing the usual claim (a plain string, a number, a
 * boolean): a string with nothing to escape is itself between quotes.
 */
function jsonLength(value: SnapshotValue): number {
  if (typeof value === "string" && !NEEDS_ESCAPE.test(value)) return value.length + 2;
  if (typeof value === "number") return String(value).length;
  if (typeof value === "boolean") return value ? 4 : 5;
  return JSON.stringify(value).length;
}

/** The snapshot of a verified payload: every claim that fits the limits, in the payload's order. */
export function claimSnapshot(payload: Record<string, unknown>): ClaimSnapshot {
  const out: ClaimSnapshot = {};
  let bytes = 2; // {}
  for (const [key, value] of Object.entries(payload)) {
    if (key.length > SNAPSHOT_LIMITS.maxKeyLength || LEFT_OUT.has(key)) continue;
    const kept = keep(value, 0);
    if (kept === undefined) continue;
    const size = jsonLength(key) + jsonLength(kept) + 2; // "key":value,
    if (bytes + size > SNAPSHOT_LIMITS.maxBytes) continue;
    out[key] = kept;
    bytes += size;
  }
  return out;
}

/**
 * The claims of the token a snapshot does not hold, by name (LEFT_OUT ones, those past a bound), so that a
 * decision on the snapshot can tell "the token had no such claim" from "the snapshot does not say":
 * `"unknown"` when they cannot all be named (too many, a name too long to keep), and for snapshots taken
 * before this was recorded.
 */
export type LeftOut = readonly string[] | "unknown";

/** At most this many left-out names are listed; more make the set "unknown". */
export const MAX_LEFT_OUT_NAMES = 16;

export function leftOutOf(payload: Record<string, unknown>, snapshot: ClaimSnapshot): LeftOut {
  return namedOrUnknown(Object.keys(payload).filter((key) => !Object.hasOwn(snapshot, key)));
}

/** The set with `names` also left out (claims dropped after the snapshot was taken); still capped. */
export function withAlsoLeftOut(leftOut: LeftOut | undefined, names: readonly string[]): LeftOut {
  return leftOut === undefined || leftOut === "unknown" ? "unknown" : namedOrUnknown([...leftOut, ...names]);
}

function namedOrUnknown(names: readonly string[]): LeftOut {
  if (names.length > MAX_LEFT_OUT_NAMES || names.some((n) => n.length > SNAPSHOT_LIMITS.maxKeyLength)) return "unknown";
  return names;
}

/** A left-out set as read back from a token or an audit row: anything but a list of names is "unknown". */
export function readLeftOut(value: unknown): LeftOut {
  return Array.isArray(value) && value.length <= MAX_LEFT_OUT_NAMES && value.every((n) => typeof n === "string")
    ? (value as string[])
    : "unknown";
}

/** Thrown by snapshotView when a condition looks at a claim the snapshot may have left out. */
export class LeftOutClaim extends Error {
  override readonly name = "LeftOutClaim";
}

/**
 * The snapshot as a condition evaluated on it sees it: a look at a claim it may have left out (`has()`,
 * `in`, reading it, iterating over or counting the claims) throws, and an error fails the condition closed.
 * Without this, `!has(claims.nonce)` would admit on the snapshot a token whose nonce it left out, which the
 * token itself would not be. Claims the snapshot holds, and claims the token did not have, read as usual.
 */
export function snapshotView(snapshot: Record<string, unknown>, leftOut: LeftOut): Record<string, unknown> {
  if (leftOut !== "unknown" && leftOut.length === 0) return snapshot;
  const mayBeLeftOut = (key: string | symbol) =>
    typeof key === "string" && !Object.hasOwn(snapshot, key) && (leftOut === "unknown" || leftOut.includes(key));
  const unknown = (key: string | symbol) => {
    throw new LeftOutClaim(`the claim '${String(key).slice(0, 64)}' was left out of the token's snapshot`);
  };
  return new Proxy(snapshot, {
    has: (target, key) => (mayBeLeftOut(key) ? unknown(key) : Reflect.has(target, key)),
    get: (target, key, receiver) => (mayBeLeftOut(key) ? unknown(key) : Reflect.get(target, key, receiver)),
    getOwnPropertyDescriptor: (target, key) => (mayBeLeftOut(key) ? unknown(key) : Reflect.getOwnPropertyDescriptor(target, key)),
    ownKeys: () => unknown("(all claims)"),
  });
}
