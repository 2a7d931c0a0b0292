/**
 * A bounded map with per-entry expiry, for isolate-memory caches. Map keeps insertion order, so the
 * first key is the least recently used once every hit re-inserts its key.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  /** Returns the value even when expired, with its freshness, so callers can serve stale on IdP errors. */
  peek(key: string, now = Date.now()): { value: V; fresh: boolean } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return { value: entry.value, fresh: entry.expiresAt > now };
  }

  get(key: string, now = Date.now()): V | undefined {
    const hit = this.peek(key, now);
    return hit?.fresh ? hit.value : undefined;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + ttlMs });
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
