import { describe, expect, it } from "vitest";
import { allowedDissent, fewestDecisiveRounds, signTestP, sideOfMedian } from "../../bench/lib/stats.mjs";

// The bench's isolate CPU verdicts (docs/performance.md, "Targets") rest on these: a pass or a miss only
// when the paired rounds place the median ratio on one side of the factor.
describe("signTestP", () => {
  it("is the binomial tail of a fair coin", () => {
    expect(signTestP(3, 3)).toBe(1 / 8);
    expect(signTestP(5, 5)).toBe(1 / 32);
    expect(signTestP(4, 5)).toBe(6 / 32);
    expect(signTestP(7, 8)).toBe(9 / 256);
    expect(signTestP(0, 4)).toBe(1);
    expect(signTestP(5, 4)).toBe(0);
  });
});

describe("sideOfMedian", () => {
  it("decides only when the rounds are clear enough at 5%", () => {
    expect(sideOfMedian([1.3, 1.4, 1.5, 1.6, 1.7], 1.25)).toBe("beyond");
    expect(sideOfMedian([1.0, 1.1, 0.9, 1.2, 1.25], 1.25)).toBe("within"); // on the line counts as within
    expect(sideOfMedian([1.3, 1.4, 1.5, 1.6, 1.2], 1.25)).toBeNull(); // one of five disagrees
    expect(sideOfMedian([1.3, 1.4, 1.5], 1.25)).toBeNull(); // three rounds never decide (p = 1/8)
    expect(sideOfMedian([1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 1.2], 1.25)).toBe("beyond"); // one of eight may
    expect(sideOfMedian([], 1.25)).toBeNull();
  });

  it("says what a number of rounds can give", () => {
    expect(fewestDecisiveRounds()).toBe(5);
    expect(allowedDissent(3)).toBeNull();
    expect(allowedDissent(5)).toBe(0);
    expect(allowedDissent(8)).toBe(1);
    expect(allowedDissent(12)).toBe(2);
  });
});
