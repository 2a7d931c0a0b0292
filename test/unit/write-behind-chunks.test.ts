import { describe, expect, it } from "vitest";
import { chunkRows } from "../../src/storage/write-behind";

const sizeOf = (chunk: string[]) => `[${chunk.join(",")}]`.length;

describe("chunkRows: one statement's JSON parameter stays under D1's value size", () => {
  it("keeps every chunk within the limit, in order, nothing lost or empty", () => {
    const rows = Array.from({ length: 500 }, (_, i) => JSON.stringify([i, "x".repeat((i * 37) % 300)]));
    const chunks = [...chunkRows(rows, 4_096)];
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(c.length).toBeGreaterThan(0);
      expect(sizeOf(c)).toBeLessThanOrEqual(4_096);
    }
    expect(chunks.flat()).toEqual(rows);
  });

  it("fills a chunk up to exactly the limit", () => {
    const row = JSON.stringify("x".repeat(7)); // 9 characters
    // [r,r,r] is 2 + 3 * 9 + 2 = 31 characters
    expect([...chunkRows([row, row, row, row], 31)].map((c) => c.length)).toEqual([3, 1]);
    expect([...chunkRows([row, row, row, row], 30)].map((c) => c.length)).toEqual([2, 2]);
  });

  it("gives a row longer than the limit a chunk of its own, and no chunk for no rows", () => {
    const long = JSON.stringify("y".repeat(100));
    expect([...chunkRows(["1", long, "2"], 50)]).toEqual([["1"], [long], ["2"]]);
    expect([...chunkRows([], 50)]).toEqual([]);
  });
});
