/**
 * A bounded map with per-entry expiry, for isolate-memory caches. Map keeps insertion order, so the
 * first key is the least recently used one, approximately: a hit moves its key to the end only once
 * the key has aged past half the cache (more than maxEntries / 2 insertions or moves since its own), so
 * an entry used at least that often is never evicted.
 *
 * Why not move on every hit: V8 leaves a deleted Map entry in its key's hash chain until the next
 * rehash, so deleting and re-inserting the same hot key on every hit makes each lookup of that key walk
 * every earlier copy: measured in workerd on a Map of 10,000 entries, ~16 µs per hit instead of ~0.4 µs.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number; tick: number }>();
  /** Counts insertions and moves; an entry's `tick` is the count at its own last one. */
  private tick = 0;

  constructor(private readonly maxEntries: number) {}

  /** Returns the value even when expired, with its freshness, so callers can serve stale on IdP errors. */
  peek(key: string, now = Date.now()): { value: V; fresh: boolean } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.tick - entry.tick > this.maxEntries / 2) {
      this.entries.delete(key);
      entry.tick = ++this.tick;
      this.entries.set(key, entry);
    }
    return { value: entry.value, fresh: entry.expiresAt > now };
  }

  get(key: string, now = Date.now()): V | undefined {
    const hit = this.peek(key, now);
    return hit?.fresh ? hit.value : undefined;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + ttlMs, tick: ++this.tick });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
