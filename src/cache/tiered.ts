import type { LruCache } from "./lru";

/**
 * Two cache tiers in front of a slow source (an IdP): isolate memory, then KV, then the source.
 * KV keeps the raw document with the time it was fetched; memory keeps the parsed form.
 * When the source fails, a copy up to `staleSeconds` past its TTL is served instead (stale-if-error).
 */
export interface TieredSource<T> {
  memory: LruCache<{ value: T; fetchedAt: number }>;
  kv: KVNamespace;
  key: string;
  ttlSeconds: number;
  staleSeconds: number;
  load: () => Promise<unknown>;
  parse: (raw: unknown) => T;
  waitUntil: (p: Promise<unknown>) => void;
}

interface KvEntry {
  raw: unknown;
  fetchedAt: number;
}

export async function readTiered<T>(src: TieredSource<T>, opts: { refresh?: boolean } = {}): Promise<T> {
  const now = Date.now();
  const ttlMs = src.ttlSeconds * 1000;
  const mem = src.memory.peek(src.key, now);
  if (mem?.fresh && !opts.refresh) return mem.value.value;

  let fromKv: { value: T; fetchedAt: number } | undefined;
  if (!opts.refresh) {
    const entry = await src.kv.get<KvEntry>(src.key, "json").catch(() => null);
    if (entry && typeof entry.fetchedAt === "number") {
      try {
        fromKv = { value: src.parse(entry.raw), fetchedAt: entry.fetchedAt };
      } catch {
        fromKv = undefined; // a bad KV copy is ignored, never trusted
      }
      if (fromKv && fromKv.fetchedAt + ttlMs > now) {
        src.memory.set(src.key, fromKv, fromKv.fetchedAt + ttlMs - now, now);
        return fromKv.value;
      }
    }
  }

  try {
    const raw = await src.load();
    const value = src.parse(raw);
    const fetchedAt = Date.now();
    src.memory.set(src.key, { value, fetchedAt }, ttlMs, fetchedAt);
    const kvTtl = Math.max(60, src.ttlSeconds + src.staleSeconds);
    src.waitUntil(src.kv.put(src.key, JSON.stringify({ raw, fetchedAt } satisfies KvEntry), { expirationTtl: kvTtl }).catch(() => {}));
    return value;
  } catch (err) {
    const stale = [mem?.value, fromKv].find((c) => c && c.fetchedAt + ttlMs + src.staleSeconds * 1000 > now);
    if (stale) return stale.value;
    throw err;
  }
}
