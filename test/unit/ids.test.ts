import { describe, expect, it } from "vitest";
import { newTimeOrderedId } from "../../src/storage/ids";

describe("newTimeOrderedId (UUID version 7)", () => {
  it("is a UUID of version 7 and variant 10, carrying its millisecond timestamp", () => {
    const now = Date.UTC(2026, 10, 25, 23, 30, 0, 123);
    const id = newTimeOrderedId(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(now);
  });

  it("sorts by time as text, and is random within a millisecond", () => {
    const ids = [0, 1, 255, 256, 65_536, 2 ** 40, Date.now()].map((t) => newTimeOrderedId(t));
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 1000 }, () => newTimeOrderedId(1_700_000_000_000)));
    expect(same.size).toBe(1000);
  });
});
