import { describe, expect, it } from "vitest";
import { compileGlob, matchesGlob, splitPatternList } from "../../src/oidc/glob";

describe("matchesGlob", () => {
  it("matches literals exactly", () => {
    expect(matchesGlob("main", "main")).toBe(true);
    expect(matchesGlob("main", "mai")).toBe(false);
    expect(matchesGlob("main", "mainx")).toBe(false);
    expect(matchesGlob("a.b+c(d)[e]$^|\\", "a.b+c(d)[e]$^|\\")).toBe(true);
    expect(matchesGlob("a.b", "axb")).toBe(false);
  });

  it("anchors at both ends", () => {
    expect(matchesGlob("ref:main", "xref:main")).toBe(false);
    expect(matchesGlob("ref:main", "ref:mainx")).toBe(false);
    expect(matchesGlob("ref:*", "xref:main")).toBe(false);
  });

  it("matches the empty pattern only against the empty string", () => {
    expect(matchesGlob("", "")).toBe(true);
    expect(matchesGlob("", "a")).toBe(false);
    expect(matchesGlob("", "/")).toBe(false);
  });

  it("lets * match any run except /", () => {
    expect(matchesGlob("*", "")).toBe(true);
    expect(matchesGlob("*", "anything")).toBe(true);
    expect(matchesGlob("*", "a/b")).toBe(false);
    expect(matchesGlob("org/*", "org/repo")).toBe(true);
    expect(matchesGlob("org/*", "org/")).toBe(true);
    expect(matchesGlob("org/*", "org/team/repo")).toBe(false);
    expect(matchesGlob("a*c", "abbbc")).toBe(true);
    expect(matchesGlob("a*c", "ab/c")).toBe(false);
    expect(matchesGlob("*.example.com", "api.example.com")).toBe(true);
    expect(matchesGlob("*.example.com", "example.com")).toBe(false);
  });

  it("lets ** match any run including /", () => {
    expect(matchesGlob("**", "")).toBe(true);
    expect(matchesGlob("**", "a/b/c")).toBe(true);
    expect(matchesGlob("org/**", "org/team/repo")).toBe(true);
    expect(matchesGlob("org/**/repo", "org/a/b/repo")).toBe(true);
    expect(matchesGlob("org/**/repo", "org//repo")).toBe(true);
    expect(matchesGlob("org/**/repo", "org/repo")).toBe(false);
    expect(matchesGlob("org/**", "other/team")).toBe(false);
  });

  it("treats runs of three or more stars as **", () => {
    expect(matchesGlob("***", "a/b")).toBe(true);
    expect(matchesGlob("a****z", "a/b/c/z")).toBe(true);
  });

  it("handles adjacent single stars separated by literals", () => {
    expect(matchesGlob("*/*", "a/b")).toBe(true);
    expect(matchesGlob("*/*", "a/b/c")).toBe(false);
    expect(matchesGlob("*a*", "bab")).toBe(true);
    expect(matchesGlob("*a*", "bbb")).toBe(false);
  });

  it("lets ? match exactly one code point except /", () => {
    expect(matchesGlob("v?", "v1")).toBe(true);
    expect(matchesGlob("v?", "v")).toBe(false);
    expect(matchesGlob("v?", "v12")).toBe(false);
    expect(matchesGlob("a?b", "a/b")).toBe(false);
    expect(matchesGlob("???", "abc")).toBe(true);
  });

  it("treats an astral code point as one character for ?", () => {
    expect(matchesGlob("?", "😀")).toBe(true);
    expect(matchesGlob("??", "😀")).toBe(false);
    expect(matchesGlob("a?c", "a𝒳c")).toBe(true);
    expect(matchesGlob("😀*", "😀xyz")).toBe(true);
    expect(matchesGlob("😀", "😁")).toBe(false);
  });

  it("is case-sensitive and never folds lookalikes or normalises Unicode", () => {
    expect(matchesGlob("main", "Main")).toBe(false);
    expect(matchesGlob("MAIN", "main")).toBe(false);
    // Cyrillic а (U+0430) vs Latin a
    expect(matchesGlob("m\u0430in", "main")).toBe(false);
    expect(matchesGlob("main", "m\u0430in")).toBe(false);
    // fullwidth ｍａｉｎ
    expect(matchesGlob("main", "\uff4d\uff41\uff49\uff4e")).toBe(false);
    // precomposed é vs e + combining acute
    expect(matchesGlob("caf\u00e9", "cafe\u0301")).toBe(false);
    expect(matchesGlob("cafe\u0301", "caf\u00e9")).toBe(false);
    expect(matchesGlob("caf?", "cafe\u0301")).toBe(false);
    // Kelvin sign vs K, dotless ı vs i
    expect(matchesGlob("K", "\u212a")).toBe(false);
    expect(matchesGlob("i", "\u0131")).toBe(false);
  });

  it("finishes pathological inputs without backtracking", () => {
    const value = "a".repeat(100_000);
    expect(matchesGlob("*a*a*a*a*a*a*a*b", value)).toBe(false);
    expect(matchesGlob("**a**a**a**a**a**a**b", value)).toBe(false);
    expect(matchesGlob("*a*a*a*a*a*a*a*a", value)).toBe(true);
    expect(matchesGlob("?".repeat(50) + "*b", value)).toBe(false);
  });

  it("matches GitLab subjects", () => {
    const pattern = "project_path:mygroup/*:ref_type:branch:ref:main";
    expect(matchesGlob(pattern, "project_path:mygroup/myproject:ref_type:branch:ref:main")).toBe(true);
    expect(matchesGlob(pattern, "project_path:mygroup/sub/myproject:ref_type:branch:ref:main")).toBe(false);
    expect(matchesGlob(pattern, "project_path:mygroup/myproject:ref_type:tag:ref:main")).toBe(false);
    expect(matchesGlob(pattern, "project_path:othergroup/x:ref_type:branch:ref:main")).toBe(false);
    expect(
      matchesGlob("project_path:mygroup/**:ref_type:branch:ref:main", "project_path:mygroup/sub/p:ref_type:branch:ref:main"),
    ).toBe(true);
  });

  it("matches GitHub subjects", () => {
    const pattern = "repo:octo-org/*:ref:refs/heads/main";
    expect(matchesGlob(pattern, "repo:octo-org/octo-repo:ref:refs/heads/main")).toBe(true);
    expect(matchesGlob(pattern, "repo:octo-org/octo-repo:ref:refs/heads/mainline")).toBe(false);
    expect(matchesGlob(pattern, "repo:octo-org/octo-repo:ref:refs/heads/feature/main")).toBe(false);
    expect(matchesGlob(pattern, "repo:evil-org/octo-repo:ref:refs/heads/main")).toBe(false);
    expect(matchesGlob(pattern, "repo:octo-org/octo-repo:environment:prod")).toBe(false);
  });
});

describe("compileGlob", () => {
  it("keeps the source and can be reused", () => {
    const glob = compileGlob("repo:octo-org/*");
    expect(glob.source).toBe("repo:octo-org/*");
    expect(glob.matches("repo:octo-org/a")).toBe(true);
    expect(glob.matches("repo:octo-org/b")).toBe(true);
    expect(glob.matches("repo:other/a")).toBe(false);
  });
});

describe("splitPatternList", () => {
  it("splits on commas, trims ASCII whitespace and drops empties", () => {
    expect(splitPatternList("a, b ,c")).toEqual(["a", "b", "c"]);
    expect(splitPatternList(" main ,\t release/* \n")).toEqual(["main", "release/*"]);
    expect(splitPatternList("a,,b, ,")).toEqual(["a", "b"]);
    expect(splitPatternList("")).toEqual([]);
    expect(splitPatternList(" , ")).toEqual([]);
    expect(splitPatternList("single")).toEqual(["single"]);
  });

  it("keeps inner spaces and non-ASCII whitespace", () => {
    expect(splitPatternList("a b")).toEqual(["a b"]);
    expect(splitPatternList("\u00a0x\u00a0")).toEqual(["\u00a0x\u00a0"]);
  });
});
