import { describe, expect, it } from "vitest";
import { BoundedMemo } from "../../src/cache/memo";

describe("BoundedMemo", () => {
  it("computes a key once, including a null or undefined result", () => {
    const memo = new BoundedMemo<string | null | undefined>(10);
    let calls = 0;
    for (let i = 0; i < 3; i++) {
      expect(memo.get("a", () => (calls++, "A"))).toBe("A");
      expect(memo.get("n", () => (calls++, null))).toBeNull();
      expect(memo.get("u", () => (calls++, undefined))).toBeUndefined();
    }
    expect(calls).toBe(3);
  });

  it("stores nothing when the computation throws", () => {
    const memo = new BoundedMemo<number>(10);
    expect(() =>
      memo.get("k", () => {
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(memo.get("k", () => 7)).toBe(7);
  });

  it("never holds more than its bound: when full, it starts over", () => {
    const memo = new BoundedMemo<number>(3);
    let calls = 0;
    for (const k of ["a", "b", "c", "d"]) memo.get(k, () => ++calls);
    expect(calls).toBe(4);
    expect(memo.get("d", () => ++calls)).toBe(4); // kept: it was stored after the clear
    expect(memo.get("a", () => ++calls)).toBe(5); // dropped by the clear
  });
});
