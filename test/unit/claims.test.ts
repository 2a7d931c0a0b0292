import { describe, expect, it } from "vitest";
import { checkBoundClaims, claimValueStrings, mapClaims, matchClaimPatterns, readClaim } from "../../src/oidc/claims";

const gitlab: Record<string, unknown> = {
  sub: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  aud: ["https://auth.example.com", "other"],
  project_path: "mygroup/myproject",
  ref: "main",
  ref_type: "branch",
  ref_protected: "true",
  runner_id: 12345,
  pipeline_source: "push",
  "https://example.com/claims.team": "platform",
  nested: { deep: { value: "x", flag: false }, list: ["a", "b"] },
};

describe("readClaim", () => {
  it("reads top-level claims", () => {
    expect(readClaim(gitlab, "ref")).toBe("main");
    expect(readClaim(gitlab, "runner_id")).toBe(12345);
  });

  it("prefers an own key containing dots over a dot path", () => {
    expect(readClaim(gitlab, "https://example.com/claims.team")).toBe("platform");
    expect(readClaim({ "a.b": 1, a: { b: 2 } }, "a.b")).toBe(1);
  });

  it("follows dot paths into nested objects", () => {
    expect(readClaim(gitlab, "nested.deep.value")).toBe("x");
    expect(readClaim(gitlab, "nested.deep.flag")).toBe(false);
    expect(readClaim(gitlab, "nested.list")).toEqual(["a", "b"]);
    expect(readClaim(gitlab, "nested.deep")).toEqual({ value: "x", flag: false });
  });

  it("returns undefined for missing paths", () => {
    expect(readClaim(gitlab, "missing")).toBeUndefined();
    expect(readClaim(gitlab, "nested.missing")).toBeUndefined();
    expect(readClaim(gitlab, "ref.length")).toBeUndefined();
    expect(readClaim(gitlab, "nested.list.0")).toBeUndefined();
    expect(readClaim(gitlab, "nested..deep")).toBeUndefined();
    expect(readClaim(gitlab, "")).toBeUndefined();
    expect(readClaim(gitlab, ".")).toBeUndefined();
  });

  it("is case-sensitive", () => {
    expect(readClaim(gitlab, "Ref")).toBeUndefined();
    expect(readClaim(gitlab, "NESTED.deep.value")).toBeUndefined();
  });

  it("never resolves prototype properties", () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
      expect(readClaim(gitlab, key)).toBeUndefined();
      expect(readClaim(gitlab, `nested.${key}`)).toBeUndefined();
      expect(readClaim(gitlab, `${key}.name`)).toBeUndefined();
    }
    expect(readClaim(gitlab, "constructor.prototype")).toBeUndefined();
    expect(readClaim(gitlab, "__proto__.toString")).toBeUndefined();
  });

  it("reads a __proto__ claim that is an own property (as JSON.parse creates it)", () => {
    const payload = JSON.parse('{"__proto__": "own", "o": {"constructor": "c"}}') as Record<string, unknown>;
    expect(readClaim(payload, "__proto__")).toBe("own");
    expect(readClaim(payload, "o.constructor")).toBe("c");
  });
});

describe("claimValueStrings", () => {
  it("converts scalars", () => {
    expect(claimValueStrings("main")).toEqual(["main"]);
    expect(claimValueStrings("")).toEqual([""]);
    expect(claimValueStrings(true)).toEqual(["true"]);
    expect(claimValueStrings(false)).toEqual(["false"]);
    expect(claimValueStrings(12345)).toEqual(["12345"]);
    // An integer beyond 2^53 was rounded when read: it has no text of its own, and matches nothing.
    expect(claimValueStrings(Number.MAX_SAFE_INTEGER)).toEqual(["9007199254740991"]);
    expect(claimValueStrings(JSON.parse("9007199254740993"))).toEqual([]);
    expect(claimValueStrings(1e21)).toEqual([]);
    expect(matchClaimPatterns("9007199254740992, 9007199254740993, *", JSON.parse("9007199254740993"))).toBe(false);
    expect(claimValueStrings(1.5)).toEqual(["1.5"]);
    expect(claimValueStrings(-0)).toEqual(["0"]);
  });

  it("yields nothing for values that cannot match", () => {
    expect(claimValueStrings(null)).toEqual([]);
    expect(claimValueStrings(undefined)).toEqual([]);
    expect(claimValueStrings({ a: 1 })).toEqual([]);
    expect(claimValueStrings(Number.NaN)).toEqual([]);
    expect(claimValueStrings(Number.POSITIVE_INFINITY)).toEqual([]);
    expect(claimValueStrings([])).toEqual([]);
  });

  it("flattens one level of scalar array elements only", () => {
    expect(claimValueStrings(["a", 1, true, null, { x: 1 }, ["nested"], Number.NaN, "b"])).toEqual(["a", "1", "true", "b"]);
  });
});

describe("matchClaimPatterns", () => {
  it("matches the GitLab ref_protected string", () => {
    expect(matchClaimPatterns("true", gitlab.ref_protected)).toBe(true);
    expect(matchClaimPatterns("false", gitlab.ref_protected)).toBe(false);
  });

  it("matches numbers by their decimal text", () => {
    expect(matchClaimPatterns("12345", gitlab.runner_id)).toBe(true);
    expect(matchClaimPatterns("123*", gitlab.runner_id)).toBe(true);
    expect(matchClaimPatterns("1234", gitlab.runner_id)).toBe(false);
    expect(matchClaimPatterns("12345.0", gitlab.runner_id)).toBe(false);
  });

  it("matches booleans by true/false", () => {
    expect(matchClaimPatterns("true", true)).toBe(true);
    expect(matchClaimPatterns("false", true)).toBe(false);
    expect(matchClaimPatterns("True", true)).toBe(false);
    expect(matchClaimPatterns("false", false)).toBe(true);
  });

  it("matches any element of an array claim such as aud", () => {
    expect(matchClaimPatterns("https://auth.example.com", gitlab.aud)).toBe(true);
    expect(matchClaimPatterns("nope, other", gitlab.aud)).toBe(true);
    expect(matchClaimPatterns("https://*.example.com", gitlab.aud)).toBe(true);
    expect(matchClaimPatterns("https://*.example.org", gitlab.aud)).toBe(false);
    expect(matchClaimPatterns("https:*", gitlab.aud)).toBe(false);
    expect(matchClaimPatterns("https:**", gitlab.aud)).toBe(true);
  });

  it("accepts any pattern of the list", () => {
    expect(matchClaimPatterns("push, merge_request_event", "push")).toBe(true);
    expect(matchClaimPatterns("web,schedule", "push")).toBe(false);
  });

  it("never matches a missing or unrepresentable claim, even with * or **", () => {
    for (const value of [undefined, null, { a: "b" }, [], [null], Number.NaN]) {
      expect(matchClaimPatterns("*", value)).toBe(false);
      expect(matchClaimPatterns("**", value)).toBe(false);
    }
  });

  it("never matches with an empty pattern list", () => {
    expect(matchClaimPatterns("", "")).toBe(false);
    expect(matchClaimPatterns(" , ", "x")).toBe(false);
  });

  it("lets * match a present empty string", () => {
    expect(matchClaimPatterns("*", "")).toBe(true);
  });
});

describe("checkBoundClaims", () => {
  it("passes when every bound claim matches", () => {
    expect(
      checkBoundClaims(gitlab, {
        project_path: "mygroup/*",
        ref_protected: "true",
        runner_id: "123*",
        "nested.deep.value": "x",
        "https://example.com/claims.team": "platform,security",
      }),
    ).toEqual({ ok: true });
  });

  it("passes with no bound claims", () => {
    expect(checkBoundClaims(gitlab, {})).toEqual({ ok: true });
  });

  it("reports the first failing claim in sorted key order", () => {
    expect(checkBoundClaims(gitlab, { ref: "release", project_path: "other/*", aud: "x" })).toEqual({
      ok: false,
      claim: "aud",
    });
    expect(checkBoundClaims(gitlab, { ref: "release", project_path: "other/*" })).toEqual({
      ok: false,
      claim: "project_path",
    });
  });

  it("fails on a missing claim", () => {
    expect(checkBoundClaims(gitlab, { environment: "*" })).toEqual({ ok: false, claim: "environment" });
  });

  it("fails on prototype keys", () => {
    expect(checkBoundClaims(gitlab, { constructor: "**" })).toEqual({ ok: false, claim: "constructor" });
    expect(checkBoundClaims(gitlab, { toString: "*" })).toEqual({ ok: false, claim: "toString" });
  });
});

describe("mapClaims", () => {
  it("copies claims as strings and omits missing ones", () => {
    expect(
      mapClaims(gitlab, {
        project: "project_path",
        runner: "runner_id",
        protected: "ref_protected",
        audiences: "aud",
        flag: "nested.deep.flag",
        team: "https://example.com/claims.team",
        env: "environment",
        object: "nested.deep",
        proto: "toString",
      }),
    ).toEqual({
      project: "mygroup/myproject",
      runner: "12345",
      protected: "true",
      audiences: "https://auth.example.com,other",
      flag: "false",
      team: "platform",
    });
  });

  it("keeps a __proto__ metadata key as a plain own key", () => {
    const result = mapClaims(gitlab, { __proto__: "ref" } as unknown as Record<string, string>);
    // In an object literal __proto__ is not an own key, so nothing is copied.
    expect(Object.keys(result)).toEqual([]);
    const parsed = JSON.parse('{"__proto__": "ref"}') as Record<string, string>;
    const mapped = mapClaims(gitlab, parsed);
    expect(Object.hasOwn(mapped, "__proto__")).toBe(true);
    expect(mapped["__proto__"]).toBe("main");
    expect(Object.getPrototypeOf(mapped)).toBe(Object.prototype);
  });
});
