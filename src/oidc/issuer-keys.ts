import { ISSUER_CACHE_ENTRIES, JWKS_CACHE_TTL_SECONDS, JWKS_REFETCH_COOLDOWN_SECONDS } from "../constants";
import { LruCache } from "../cache/lru";
import { readTiered } from "../cache/tiered";
import { IDP_STALE_IF_ERROR_SECONDS } from "./discovery";
import { asIdpAnswer, fetchJsonObject } from "./fetch-json";
import { type KeySet, parseJwks } from "./jwks";
import { SingleFlight } from "./single-flight";
import { parseStrictJson } from "./strict-json";
import { DomainError, Reason } from "../errors";

export interface KeyIo {
  kv: KVNamespace;
  waitUntil: (p: Promise<unknown>) => void;
}

const memory = new LruCache<{ value: KeySet; fetchedAt: number }>(ISSUER_CACHE_ENTRIES);
const staticSets = new LruCache<KeySet>(ISSUER_CACHE_ENTRIES);
/** Last forced refetch per JWKS URL in this isolate; KV carries it to the others. */
const lastRefetch = new LruCache<number>(ISSUER_CACHE_ENTRIES);
/** Concurrent cold reads, and concurrent forced refetches, of one JWKS URL share one request. */
const reads = new SingleFlight<KeySet>();
const refetches = new SingleFlight<KeySet>();
/** Re-reads of the KV copy while a cooldown blocks refetching (see adoptNewerKvCopy). */
const KV_RECHECK_MS = 1_000;
const lastKvRecheck = new LruCache<number>(ISSUER_CACHE_ENTRIES);
const kvRechecks = new SingleFlight<KeySet | undefined>();
/** KV reads started ahead of the login context (prefetchKeys); reads of the same URL wait for them. */
const prefetches = new Map<string, Promise<void>>();

/**
 * KV key of a JWKS copy filed under the discovery document it was found through: a cold isolate reads it
 * in the same KV call as the discovery copy (src/oidc/prefetch.ts), instead of one after the other.
 */
export const jwksByDiscoveryKey = (discoveryDocUrl: string): string => `jwks-by-discovery:${discoveryDocUrl}`;

/** KV entries of jwksByDiscoveryKey: a tiered entry plus the JWKS URL it was fetched from. */
interface JwksByDiscoveryEntry {
  jwksUrl: string;
  raw: unknown;
  fetchedAt: number;
}

const kvTtlSeconds = () => Math.max(60, JWKS_CACHE_TTL_SECONDS + IDP_STALE_IF_ERROR_SECONDS);

function jwksSource(io: KeyIo, jwksUrl: string, discoveryDocUrl?: string) {
  return {
    memory,
    kv: io.kv,
    key: `jwks:${jwksUrl}`,
    ttlSeconds: JWKS_CACHE_TTL_SECONDS,
    staleSeconds: IDP_STALE_IF_ERROR_SECONDS,
    load: async () => {
      const raw = await fetchJsonObject(jwksUrl);
      if (discoveryDocUrl) {
        // A second copy, for cold isolates (a bad document is dropped by its readers, as any KV copy is).
        const entry: JwksByDiscoveryEntry = { jwksUrl, raw, fetchedAt: Date.now() };
        io.waitUntil(
          io.kv.put(jwksByDiscoveryKey(discoveryDocUrl), JSON.stringify(entry), { expirationTtl: kvTtlSeconds() }).catch(() => {}),
        );
      }
      return raw;
    },
    parse: asIdpAnswer(usableJwks),
    waitUntil: io.waitUntil,
  };
}

/**
 * A fetched JWKS with at least one key a login could use. One without (`{"keys": []}`, only private or weak
 * keys) is an unusable answer of the IdP like an HTML page: the copy it would replace keeps logins working
 * (stale-if-error, docs/security.md), and a cold login is 503 `idp_unavailable`, never 401 `key_not_found`
 * for every token the IdP signs.
 */
function usableJwks(raw: unknown): KeySet {
  const set = parseJwks(raw);
  if (set.keys.length === 0) throw new Error("published a JWKS with no usable key");
  return set;
}

/**
 * Adopts a jwksByDiscoveryKey copy into memory when it is for `jwksUrl` (the discovery document's
 * jwks_uri), fresh and usable; anything else is ignored.
 */
export function adoptKeysCopy(jwksUrl: string, entry: unknown): void {
  const e = entry as Partial<JwksByDiscoveryEntry> | null;
  if (!e || e.jwksUrl !== jwksUrl || typeof e.fetchedAt !== "number") return;
  const key = `jwks:${jwksUrl}`;
  if (memory.get(key)) return;
  const now = Date.now();
  const freshFor = e.fetchedAt + JWKS_CACHE_TTL_SECONDS * 1000 - now;
  if (freshFor <= 0) return;
  try {
    memory.set(key, { value: usableJwks(e.raw), fetchedAt: e.fetchedAt }, freshFor, now);
  } catch {
    // a bad KV copy is ignored, never trusted
  }
}

/**
 * A JWKS the admin pasted into the configuration (`jwksJson`): parsed once per isolate. The configuration
 * schema already refused anything unusable (src/oidc/config-schema.ts); a stored value that still does not
 * parse (written before that check existed) refuses logins with a clear code, never a 500.
 */
export function staticKeySet(jwksJson: string): KeySet {
  let set = staticSets.get(jwksJson);
  if (!set) {
    try {
      set = parseJwks(parseStrictJson(jwksJson, { maxDepth: 8 }));
    } catch {
      throw new DomainError(Reason.static_keys_invalid);
    }
    staticSets.set(jwksJson, set, 3600_000);
  }
  return set;
}

/**
 * The issuer's keys, refetched once when the token names a kid we do not know (the IdP rotated), but at
 * most once per cooldown per JWKS URL across isolates, so a stream of bogus kids cannot hammer the IdP.
 * Requests that arrive while that refetch is in flight, or during its cooldown, use what it found: right
 * after a rotation, every job presenting the new kid is admitted, not just the first.
 */
export async function keysForKid(
  io: KeyIo,
  jwksUrl: string,
  kid: string | undefined,
  /** The discovery document jwksUrl was found in, when it was: its IdP fetches are filed under it too. */
  discoveryDocUrl?: string,
): Promise<KeySet> {
  const src = jwksSource(io, jwksUrl, discoveryDocUrl);
  if (!memory.get(src.key)) await prefetches.get(jwksUrl);
  const cached = memory.get(src.key)?.value;
  const keys = cached ?? (await reads.run(jwksUrl, () => readTiered(src)));
  if (kid === undefined || keys.hasKid(kid)) return keys;
  const pending = refetches.pending(jwksUrl);
  if (pending) return pending.catch(() => keys);
  if (!(await mayRefetch(io, jwksUrl))) {
    const joined = refetches.pending(jwksUrl);
    if (joined) return joined.catch(() => keys);
    // Inside the cooldown: the refetch that started it may have run in another isolate, which wrote what it
    // found to KV. Adopt that copy if it is newer than ours, so a rotated key is admitted everywhere, not
    // only in the isolate that refetched.
    const adopted = await adoptNewerKvCopy(src);
    if (adopted) return adopted;
    return memory.get(src.key)?.value ?? keys; // refreshed by another request since we read `keys`?
  }
  try {
    return await refetches.run(jwksUrl, () => readTiered(src, { refresh: true }));
  } catch {
    return keys; // the IdP failed; the kid is still unknown and the caller refuses the token
  }
}

/**
 * The KV copy of a JWKS, into memory, without ever asking the IdP: a cold isolate reads it while the login
 * context is still on its way (src/oidc/prefetch.ts). Nothing happens when KV has no fresh copy.
 */
export function prefetchKeys(io: KeyIo, jwksUrl: string): Promise<void> {
  const src = jwksSource(io, jwksUrl);
  if (memory.get(src.key)) return Promise.resolve();
  let pending = prefetches.get(jwksUrl);
  if (!pending) {
    pending = readTiered({ ...src, load: () => Promise.reject(new Error("prefetch reads KV only")) })
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => prefetches.delete(jwksUrl));
    prefetches.set(jwksUrl, pending);
  }
  return pending;
}

/** KV entries as src/cache/tiered.ts writes them. */
interface KvEntry {
  raw: unknown;
  fetchedAt: number;
}

/**
 * Reads the KV copy of a JWKS and keeps it in memory if it was fetched after ours. At most one such read
 * per JWKS URL per isolate per KV_RECHECK_MS (concurrent callers share it), so a burst of bogus kids during
 * the cooldown costs a KV read per second, not one per request.
 */
async function adoptNewerKvCopy(src: ReturnType<typeof jwksSource>): Promise<KeySet | undefined> {
  const pending = kvRechecks.pending(src.key);
  if (pending) return pending.catch(() => undefined);
  if (lastKvRecheck.get(src.key) !== undefined) return undefined;
  lastKvRecheck.set(src.key, Date.now(), KV_RECHECK_MS);
  return kvRechecks.run(src.key, async () => {
    const entry = await src.kv.get<KvEntry>(src.key, "json").catch(() => null);
    if (!entry || typeof entry.fetchedAt !== "number") return undefined;
    const ours = src.memory.peek(src.key)?.value.fetchedAt ?? 0;
    if (entry.fetchedAt <= ours) return undefined;
    let value: KeySet;
    try {
      value = src.parse(entry.raw);
    } catch {
      return undefined; // a bad KV copy is ignored, never trusted
    }
    const now = Date.now();
    const freshFor = entry.fetchedAt + src.ttlSeconds * 1000 - now;
    if (freshFor > 0) src.memory.set(src.key, { value, fetchedAt: entry.fetchedAt }, freshFor, now);
    return value;
  });
}

async function mayRefetch(io: KeyIo, jwksUrl: string): Promise<boolean> {
  const now = Date.now();
  const cooldownMs = JWKS_REFETCH_COOLDOWN_SECONDS * 1000;
  const local = lastRefetch.get(jwksUrl);
  if (local !== undefined && now - local < cooldownMs) return false;
  const kvKey = `jwks-refetch:${jwksUrl}`;
  const shared = Number((await io.kv.get(kvKey).catch(() => null)) ?? 0);
  if (now - shared < cooldownMs) {
    lastRefetch.set(jwksUrl, shared, cooldownMs);
    return false;
  }
  lastRefetch.set(jwksUrl, now, cooldownMs);
  io.waitUntil(io.kv.put(kvKey, String(now), { expirationTtl: 60 }).catch(() => {}));
  return true;
}

export function forgetKeys(): void {
  memory.clear();
  staticSets.clear();
  lastRefetch.clear();
  lastKvRecheck.clear();
}
