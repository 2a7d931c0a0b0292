import { describe, expect, it } from "vitest";
import { secondsLeft, tokenExpiry } from "../../src/tokens/ttl";

const HOUR = 3600;
const DAY = 86_400;
const CEILING = 30 * DAY;
const T0 = 1_700_000_000;

describe("tokenExpiry", () => {
  it("uses ttl and maxTtl when both are within the ceiling", () => {
    expect(tokenExpiry({ now: T0, firstIssuedAt: T0, ttl: HOUR, maxTtl: DAY, ceiling: CEILING })).toEqual({
      expiresAt: T0 + HOUR,
      maxExpiresAt: T0 + DAY,
    });
  });

  it("treats ttl=0 as the ceiling", () => {
    expect(tokenExpiry({ now: T0, firstIssuedAt: T0, ttl: 0, maxTtl: 0, ceiling: CEILING })).toEqual({
      expiresAt: T0 + CEILING,
      maxExpiresAt: T0 + CEILING,
    });
    expect(tokenExpiry({ now: T0, firstIssuedAt: T0, ttl: 0, maxTtl: DAY, ceiling: CEILING })).toEqual({
      expiresAt: T0 + DAY,
      maxExpiresAt: T0 + DAY,
    });
  });

  it("treats maxTtl=0 as the ceiling", () => {
    expect(tokenExpiry({ now: T0, firstIssuedAt: T0, ttl: HOUR, maxTtl: 0, ceiling: CEILING })).toEqual({
      expiresAt: T0 + HOUR,
      maxExpiresAt: T0 + CEILING,
    });
  });

  it("clamps ttl and maxTtl to the ceiling", () => {
    expect(tokenExpiry({ now: T0, firstIssuedAt: T0, ttl: 90 * DAY, maxTtl: 365 * DAY, ceiling: CEILING })).toEqual({
      expiresAt: T0 + CEILING,
      maxExpiresAt: T0 + CEILING,
    });
    expect(tokenExpiry({ now: T0, firstIssuedAt: T0, ttl: 2 * HOUR, maxTtl: 0, ceiling: HOUR })).toEqual({
      expiresAt: T0 + HOUR,
      maxExpiresAt: T0 + HOUR,
    });
  });

  it("caps ttl at the remaining max window", () => {
    expect(tokenExpiry({ now: T0, firstIssuedAt: T0, ttl: DAY, maxTtl: HOUR, ceiling: CEILING })).toEqual({
      expiresAt: T0 + HOUR,
      maxExpiresAt: T0 + HOUR,
    });
  });

  it("renews late in the max window without extending past it", () => {
    const now = T0 + DAY - 600;
    expect(tokenExpiry({ now, firstIssuedAt: T0, ttl: HOUR, maxTtl: DAY, ceiling: CEILING })).toEqual({
      expiresAt: T0 + DAY,
      maxExpiresAt: T0 + DAY,
    });
    // Earlier renewals get a full ttl.
    expect(tokenExpiry({ now: T0 + 2 * HOUR, firstIssuedAt: T0, ttl: HOUR, maxTtl: DAY, ceiling: CEILING }).expiresAt).toBe(
      T0 + 3 * HOUR,
    );
  });

  it("yields no time left once the max window has passed", () => {
    const now = T0 + DAY + 5;
    const result = tokenExpiry({ now, firstIssuedAt: T0, ttl: HOUR, maxTtl: DAY, ceiling: CEILING });
    expect(result).toEqual({ expiresAt: T0 + DAY, maxExpiresAt: T0 + DAY });
    expect(secondsLeft(result.expiresAt, now)).toBe(0);
  });

  it("rejects non-integer, negative or zero-ceiling input", () => {
    const base = { now: T0, firstIssuedAt: T0, ttl: HOUR, maxTtl: DAY, ceiling: CEILING };
    expect(() => tokenExpiry({ ...base, ttl: -1 })).toThrow(RangeError);
    expect(() => tokenExpiry({ ...base, maxTtl: 1.5 })).toThrow(RangeError);
    expect(() => tokenExpiry({ ...base, ceiling: 0 })).toThrow(RangeError);
    expect(() => tokenExpiry({ ...base, now: Number.NaN })).toThrow(RangeError);
    expect(() => tokenExpiry({ ...base, firstIssuedAt: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe("secondsLeft", () => {
  it("counts down to zero and never goes negative", () => {
    expect(secondsLeft(T0 + 60, T0)).toBe(60);
    expect(secondsLeft(T0, T0)).toBe(0);
    expect(secondsLeft(T0, T0 + 60)).toBe(0);
  });
});
