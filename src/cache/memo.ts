/**
 * Results of a pure computation, per isolate, bounded: when full, every entry is dropped at once. For
 * values that are cheap to recompute and asked for on every request (a parsed address, a compiled
 * pattern, a URL verdict), where an LRU's bookkeeping would cost more than the occasional recomputation.
 */
export class BoundedMemo<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  /** The value for `key`, computed by `compute` the first time (a throwing compute stores nothing). */
  get(key: string, compute: () => V): V {
    if (this.values.has(key)) return this.values.get(key) as V;
    const value = compute();
    if (this.values.size >= this.maxEntries) this.values.clear();
    this.values.set(key, value);
    return value;
  }

  clear(): void {
    this.values.clear();
  }
}
