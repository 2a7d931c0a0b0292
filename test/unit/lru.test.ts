import { describe, expect, it } from "vitest";
import { LruCache } from "../../src/cache/lru";

const T0 = 1_700_000_000_000;

describe("LruCache", () => {
  it("holds at most maxEntries, evicting the oldest", () => {
    const c = new LruCache<number>(3);
    for (let i = 0; i < 5; i++) c.set(`k${i}`, i, 1000, T0);
    expect(c.size).toBe(3);
    expect(c.get("k0", T0)).toBeUndefined();
    expect(c.get("k1", T0)).toBeUndefined();
    expect(c.get("k4", T0)).toBe(4);
  });

  it("reports expired entries as stale through peek and hides them from get", () => {
    const c = new LruCache<string>(10);
    c.set("a", "x", 1000, T0);
    expect(c.peek("a", T0 + 999)).toEqual({ value: "x", fresh: true });
    expect(c.peek("a", T0 + 1000)).toEqual({ value: "x", fresh: false });
    expect(c.get("a", T0 + 1000)).toBeUndefined();
  });

  it("keeps an entry that is used while others come and go", () => {
    const c = new LruCache<number>(100);
    c.set("hot", 1, 60_000, T0);
    for (let i = 0; i < 1000; i++) {
      c.set(`cold${i}`, i, 60_000, T0);
      expect(c.get("hot", T0)).toBe(1);
    }
    expect(c.size).toBe(100);
  });
});
