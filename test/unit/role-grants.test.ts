// Temporary project roles: the `temporaryRange` grammar (Infisical reads it with the `ms` package) and
// which roles are in force at a given time.
import { describe, expect, it } from "vitest";
import {
  isInForce,
  MAX_TEMPORARY_RANGE_MS,
  parseTemporaryRange,
  rolesInForce,
  temporaryRangeProblem,
} from "../../src/tokens/role-grants";

const H = 3_600_000;
const D = 24 * H;

describe("parseTemporaryRange", () => {
  it.each([
    ["1h", H],
    ["30m", 30 * 60_000],
    ["7d", 7 * D],
    ["2w", 14 * D],
    ["1y", 365.25 * D],
    ["90s", 90_000],
    ["1500", 1500],
    ["1500ms", 1500],
    ["1.5h", 1.5 * H],
    [".5d", D / 2],
    ["2 hours", 2 * H],
    ["1 Day", D],
    ["3 MINS", 3 * 60_000],
    ["10 years", 10 * 365.25 * D],
    ["1 yr", 365.25 * D],
    ["5 secs", 5000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseTemporaryRange(text)).toBe(ms);
  });

  it.each([
    ["empty", ""],
    ["no number", "h"],
    ["negative", "-1h"],
    ["zero", "0h"],
    ["unknown unit", "1 fortnight"],
    ["two units", "1h30m"],
    ["trailing text", "1hh"],
    ["exponent", "1e3"],
    ["a date", "2026-12-01"],
    ["leading space", " 1h"],
    ["over ten years", "11y"],
    ["sub-millisecond", "0.5"],
    ["over 100 characters", `${"1".repeat(100)}ms`],
  ])("%s (%s) is refused", (_name, text) => {
    expect(parseTemporaryRange(text)).toBeNull();
  });

  it("ten years is the ceiling", () => {
    expect(parseTemporaryRange(`${MAX_TEMPORARY_RANGE_MS}`)).toBe(MAX_TEMPORARY_RANGE_MS);
    expect(parseTemporaryRange(`${MAX_TEMPORARY_RANGE_MS + 1}`)).toBeNull();
  });

  it("a refusal says what is wrong: missing, not a duration, zero, or over the ceiling", () => {
    expect(temporaryRangeProblem("")).toBe("required for a temporary role");
    expect(temporaryRangeProblem("forever")).toBe("not a duration: forever");
    expect(temporaryRangeProblem("0h")).toBe("not longer than 0: 0h");
    expect(temporaryRangeProblem("11y")).toBe("longer than a temporary role may last (10 years): 11y");
    expect(temporaryRangeProblem("4000d")).toBe("longer than a temporary role may last (10 years): 4000d");
  });
});

describe("roles in force", () => {
  const start = Date.UTC(2026, 11, 1, 12);
  const temporary = { role: "admin", fromMs: start, untilMs: start + H };

  it("a permanent role always is", () => {
    expect(isInForce({ role: "viewer" }, 0)).toBe(true);
    expect(isInForce({ role: "viewer" }, start + 100 * D)).toBe(true);
  });

  it("a temporary role is from its start (inclusive) until its end (exclusive)", () => {
    expect(isInForce(temporary, start - 1)).toBe(false);
    expect(isInForce(temporary, start)).toBe(true);
    expect(isInForce(temporary, start + H - 1)).toBe(true);
    expect(isInForce(temporary, start + H)).toBe(false);
    expect(isInForce(temporary, start + 2 * H)).toBe(false);
  });

  it("rolesInForce answers each role in force once, in grant order", () => {
    const grants = [{ role: "viewer" }, temporary, { role: "member", fromMs: start + H, untilMs: start + 2 * H }, { role: "viewer" }];
    expect(rolesInForce(grants, start - 1)).toEqual(["viewer"]);
    expect(rolesInForce(grants, start)).toEqual(["viewer", "admin"]);
    expect(rolesInForce(grants, start + H)).toEqual(["viewer", "member"]);
    expect(rolesInForce(grants, start + 2 * H)).toEqual(["viewer"]);
    expect(rolesInForce([temporary], start + H)).toEqual([]);
  });
});
