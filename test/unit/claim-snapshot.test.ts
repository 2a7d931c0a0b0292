import { describe, expect, it } from "vitest";
import {
  claimSnapshot,
  LeftOutClaim,
  leftOutOf,
  withAlsoLeftOut,
  MAX_LEFT_OUT_NAMES,
  readLeftOut,
  SNAPSHOT_LIMITS,
  snapshotView,
} from "../../src/oidc/claim-snapshot";
import { gitlabClaims } from "../support/ci-claims";

describe("claimSnapshot", () => {
  it("keeps a real GitLab token's claims whole and well under the size bound", () => {
    const claims = gitlabClaims();
    const snapshot = claimSnapshot(claims);
    expect(snapshot).toEqual(claims);
    expect(JSON.stringify(snapshot).length).toBeLessThan(SNAPSHOT_LIMITS.maxBytes / 2);
  });

  it("drops a value that is too long instead of cutting it", () => {
    const snapshot = claimSnapshot({ sub: "a", ref: "x".repeat(SNAPSHOT_LIMITS.maxStringLength + 1) });
    expect(snapshot).toEqual({ sub: "a" });
  });

  it("drops an array whole when one element would be dropped, so 'any element matches' never sees a part", () => {
    const snapshot = claimSnapshot({ aud: ["a", "b"], groups: ["ok", "y".repeat(SNAPSHOT_LIMITS.maxStringLength + 1)] });
    expect(snapshot).toEqual({ aud: ["a", "b"] });
  });

  it("keeps small nested objects for dot-path bindings, drops deep or wide ones", () => {
    const deep = { a: { b: { c: { d: 1 } } } };
    const wide = Object.fromEntries(Array.from({ length: SNAPSHOT_LIMITS.maxItems + 1 }, (_, i) => [`k${i}`, i]));
    expect(claimSnapshot({ ctx: { repo: { owner: "octo" } }, deep, wide })).toEqual({ ctx: { repo: { owner: "octo" } } });
  });

  it("stays under the size bound, keeping claims in the token's order", () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`claim_${i}`, "v".repeat(100)]));
    const snapshot = claimSnapshot({ sub: "first", ...many });
    expect(JSON.stringify(snapshot).length).toBeLessThanOrEqual(SNAPSHOT_LIMITS.maxBytes);
    expect(snapshot.sub).toBe("first");
    expect(Object.keys(snapshot).length).toBeGreaterThan(10);
  });

  it("counts each claim as its JSON: escaped characters, surrogates, numbers and booleans fill the bound exactly", () => {
    const values = [
      'q"uote\\',
      "tab\t",
      "\ud83d\ude00 pair",
      "lone \ud800",
      1e21,
      -0,
      0.1,
      true,
      false,
      null,
      ['a"', 2],
      { k: "\u0001" },
    ];
    for (const value of values) {
      // Claims of this one value until the next would pass the bound: the snapshot fills it to within one claim.
      const claims = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`c${i}`, value]));
      const json = JSON.stringify(claimSnapshot(claims));
      const one = JSON.stringify({ c999: value }).length - 1; // "c999":value, (at most one claim's size)
      expect(json.length, JSON.stringify(value)).toBeLessThanOrEqual(SNAPSHOT_LIMITS.maxBytes);
      expect(json.length, JSON.stringify(value)).toBeGreaterThan(SNAPSHOT_LIMITS.maxBytes - one);
    }
  });

  it("leaves out hashes and nonces, non-finite numbers and over-long names", () => {
    const snapshot = claimSnapshot({ sub: "s", nonce: "n", at_hash: "h", n: Number.NaN, ["k".repeat(200)]: "v" });
    expect(snapshot).toEqual({ sub: "s" });
  });
});

describe("what a snapshot left out", () => {
  it("names the claims it left out, or says it cannot", () => {
    const payload = { sub: "x", nonce: "n", big: "b".repeat(600) };
    const snapshot = claimSnapshot(payload);
    expect(leftOutOf(payload, snapshot)).toEqual(["nonce", "big"]);
    const many = Object.fromEntries(Array.from({ length: MAX_LEFT_OUT_NAMES + 1 }, (_, i) => [`c${i}`, "v".repeat(600)]));
    expect(leftOutOf(many, claimSnapshot(many))).toBe("unknown");
    expect(readLeftOut(["a"])).toEqual(["a"]);
    for (const bad of [undefined, "x", [1], {}]) expect(readLeftOut(bad)).toBe("unknown");
  });

  it("adds claims dropped later to the set, within the same cap", () => {
    expect(withAlsoLeftOut(["nonce"], ["sha"])).toEqual(["nonce", "sha"]);
    expect(withAlsoLeftOut(undefined, ["sha"])).toBe("unknown");
    expect(withAlsoLeftOut("unknown", [])).toBe("unknown");
    const full = Array.from({ length: MAX_LEFT_OUT_NAMES }, (_, i) => `c${i}`);
    expect(withAlsoLeftOut(full, [])).toEqual(full);
    expect(withAlsoLeftOut(full, ["one_more"])).toBe("unknown");
  });

  it("makes any look at a left-out claim an error, and reads the rest as they are", () => {
    const view = snapshotView({ sub: "x" }, ["nonce"]);
    expect(view.sub).toBe("x");
    expect("other" in view).toBe(false); // the token had no such claim
    expect(() => "nonce" in view).toThrow(LeftOutClaim);
    expect(() => view.nonce).toThrow(LeftOutClaim);
    expect(() => Object.keys(view)).toThrow(LeftOutClaim);
    // Unknown: every claim the snapshot does not hold may have been left out.
    const unknown = snapshotView({ sub: "x" }, "unknown");
    expect(() => "other" in unknown).toThrow(LeftOutClaim);
    // Nothing left out: the snapshot itself.
    const whole = { sub: "x" };
    expect(snapshotView(whole, [])).toBe(whole);
  });
});
