import { describe, expect, it } from "vitest";
import { newTimeOrderedId } from "../../src/storage/ids";
import { shardOf, TOKEN_STATE_SHARDS } from "../../src/tokens/token-state-client";

describe("shardOf", () => {
  it("spreads token ids evenly over the shards, the same id always to the same shard", () => {
    const counts = new Array<number>(TOKEN_STATE_SHARDS).fill(0);
    const n = 16_000;
    for (let i = 0; i < n; i++) {
      const jti = newTimeOrderedId(1_700_000_000_000); // one millisecond: only the random bits differ
      const shard = shardOf(jti);
      expect(shardOf(jti)).toBe(shard);
      counts[shard]!++;
    }
    // 1,000 expected per shard; binomial sd ≈ 31, so ±200 fails with p < 1e-9.
    for (const count of counts) expect(Math.abs(count - n / TOKEN_STATE_SHARDS)).toBeLessThan(200);
  });

  it("maps an id that is not hex at its end (no token of ours has one) to shard 0, in range either way", () => {
    expect(shardOf("not-a-uuid")).toBe(0);
    expect(shardOf("ffff")).toBe(0xffff % TOKEN_STATE_SHARDS);
  });
});
