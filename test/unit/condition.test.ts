// The login condition engine (src/oidc/condition.ts): what compiles and with which position a condition is
// refused, how it evaluates (fail closed, naming the conjunct), that matches() is RE2, and that the cost of
// a condition is bounded. Runs inside workerd, where code generation (eval, new Function) is refused.
import { describe, expect, it } from "vitest";
import { CONDITION_LIMITS } from "../../src/oidc/condition-checks";
import { type CompiledCondition, compileCondition, compiledCondition, evaluateCondition } from "../../src/oidc/condition";
import { oidcConfigInputSchema } from "../../src/oidc/config-schema";

const claims = {
  namespace_path: "acme/platform",
  project_path: "acme/platform/edge-oidc-auth",
  user_login: "alice",
  ref: "v1.4.2",
  ref_type: "tag",
  ref_protected: "true",
  groups_direct: ["acme", "acme/platform"],
  environment: "production",
  exp: 1681398793,
  sub: "project_path:acme/platform/edge-oidc-auth:ref_type:tag:ref:v1.4.2",
};

/** The example of the issue: semver tags, but not Dependabot. */
const EXAMPLE = String.raw`claims.ref_type == "tag" && claims.ref.matches("^v[0-9]+\\.[0-9]+\\.[0-9]+$") && !(claims.user_login in ["dependabot[bot]"])`;

function compiled(source: string): CompiledCondition {
  const r = compileCondition(source);
  if (!r.ok) throw new Error(`${r.message} at ${r.position.line}:${r.position.column}`);
  return r.condition;
}

const holds = (source: string, c: Record<string, unknown> = claims) => evaluateCondition(compiled(source), c).ok;

describe("compiling", () => {
  it("accepts the example and splits it into its top-level conjuncts", () => {
    const c = compiled(EXAMPLE);
    expect(c.conjuncts.map((x) => x.text)).toEqual([
      'claims.ref_type == "tag"',
      String.raw`claims.ref.matches("^v[0-9]+\\.[0-9]+\\.[0-9]+$")`,
      '!(claims.user_login in ["dependabot[bot]"])',
    ]);
    expect(c.conjuncts.map((x) => x.offset)).toEqual([0, 28, EXAMPLE.indexOf("!(")]);
  });

  it("compiles the example the API reference and the console's help give (the field's description)", () => {
    // The description sits on the schema inside its optional/default wrappers.
    let schema: { description?: string; def: unknown } | undefined = oidcConfigInputSchema.shape.condition;
    while (schema && !schema.description) schema = (schema.def as { innerType?: typeof schema }).innerType;
    const description = schema?.description ?? "";
    const example = /Example: `([^`]+)`/.exec(description)?.[1];
    expect(example).toBeDefined();
    expect(compileCondition(example!)).toMatchObject({ ok: true });
    expect(holds(example!)).toBe(true);
  });

  it("names a character outside the BMP whole when it refuses it, never half of it", () => {
    const r = compileCondition('claims.ref == "x" && 😀');
    expect(r).toMatchObject({ ok: false, message: expect.stringContaining("😀"), position: { line: 1, column: 22 } });
    expect(r.ok === false && r.message.isWellFormed()).toBe(true);
  });

  it("refuses a syntax error with its line and column", () => {
    const r = compileCondition('claims.ref_type == "tag" &&\n  claims.ref ==== "x"');
    expect(r).toMatchObject({ ok: false, position: { offset: 43, line: 2, column: 16 } });
  });

  it("refuses a type error with its position", () => {
    expect(compileCondition('claims.ref_type == "tag" && 1 + "a" == 2')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/overload/),
      position: { offset: 28, line: 1, column: 29 },
    });
  });

  it("knows only `claims`, wants a bool, and calls only the listed functions", () => {
    expect(compileCondition('ref == "x"')).toMatchObject({ ok: false, message: expect.stringMatching(/Unknown variable: ref/) });
    expect(compileCondition('"x" + claims.ref')).toMatchObject({ ok: false, message: expect.stringMatching(/bool/) });
    expect(compileCondition("claims.ref")).toMatchObject({ ok: true }); // dyn: only `true` admits, at login
    expect(compileCondition("cel.bind(x, claims.ref, x == x)")).toMatchObject({
      ok: false,
      message: expect.stringMatching(/'bind' is not allowed/),
    });
    expect(compileCondition('claims.ref.replace("a", "b") == "c"')).toMatchObject({ ok: false, position: { column: 1 } });
  });

  it("needs a literal RE2 pattern, and says where it is", () => {
    expect(compileCondition("claims.ref.matches(claims.sub)")).toMatchObject({ ok: false, position: { column: 20 } });
    // A lookahead is JavaScript syntax that RE2 does not have: refused, which also shows matches() is not RegExp.
    expect(compileCondition('claims.ref.matches("(?=v)v")')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/RE2/),
      position: { column: 20 },
    });
    expect(compileCondition('claims.ref.matches("a{2,1001}")')).toMatchObject({ ok: false, message: expect.stringMatching(/RE2/) });
    expect(compileCondition('claims.ref.matches("a{300}b{300}")')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/too complex/),
    });
    expect(compileCondition('matches(claims.ref, "^v")')).toMatchObject({ ok: true });
  });

  it("bounds the size of a condition: source, tree, depth, literals, comprehensions", () => {
    const long = `claims.a == "${"x".repeat(CONDITION_LIMITS.maxSourceLength)}"`;
    expect(compileCondition(long)).toMatchObject({ ok: false, message: expect.stringMatching(/longer than 4096/) });
    // Characters are code points, as the configuration schema counts them: 2,114 of them fit, though 4,214 UTF-16 units.
    expect(compileCondition(`claims.a == "${"😀".repeat(2100)}"`)).toMatchObject({ ok: true });
    expect(compileCondition(`claims.a == "${"😀".repeat(CONDITION_LIMITS.maxSourceLength)}"`)).toMatchObject({ ok: false });
    expect(compileCondition(Array(200).fill('claims.a == "x"').join(" && "))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/maxAstNodes/),
    });
    expect(compileCondition(`${"(".repeat(100)}true${")".repeat(100)}`)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/maxDepth/),
    });
    expect(compileCondition(`claims.a in [${Array(65).fill('"x"').join(", ")}]`)).toMatchObject({ ok: false });
    const nested = 'claims.groups_direct.exists(a, claims.groups_direct.exists(b, a + b == "x"))';
    expect(compileCondition(nested)).toMatchObject({ ok: false, message: expect.stringMatching(/nested/) });
    const five = Array(5).fill('claims.groups_direct.exists(g, g == "a")').join(" || ");
    expect(compileCondition(five)).toMatchObject({ ok: false, message: expect.stringMatching(/more than 4 comprehensions/) });
    expect(compileCondition('claims.groups_direct.exists(g, g.startsWith("acme/"))')).toMatchObject({ ok: true });
  });

  it("never throws, whatever it is given", () => {
    for (const s of [
      "",
      " \n ",
      "(",
      '"',
      "claims.",
      "\u0000",
      "a".repeat(5000),
      "[".repeat(3000),
      "!".repeat(4000),
      "claims.x.matches(",
      "\uD800",
    ]) {
      expect(() => compileCondition(s)).not.toThrow();
      expect(compileCondition(s).ok).toBe(false);
    }
  });

  it("compiles once per source per isolate", () => {
    const source = `claims.ref == "${crypto.randomUUID()}"`;
    const a = compiledCondition(source);
    const b = compiledCondition(source);
    expect(a.ok && b.ok && a.condition === b.condition).toBe(true);
  });
});

describe("evaluating", () => {
  it("admits when every conjunct is true", () => {
    expect(evaluateCondition(compiled(EXAMPLE), claims)).toEqual({ ok: true });
  });

  it("names the first conjunct that is not true", () => {
    const branch = evaluateCondition(compiled(EXAMPLE), { ...claims, ref: "main", ref_type: "branch" });
    expect(branch).toEqual({ ok: false, conjunct: { text: 'claims.ref_type == "tag"', offset: 0 } });
    const bot = evaluateCondition(compiled(EXAMPLE), { ...claims, user_login: "dependabot[bot]" });
    expect(bot).toMatchObject({ ok: false, conjunct: { text: '!(claims.user_login in ["dependabot[bot]"])' } });
  });

  it("fails closed on a missing claim, a wrong type, a value that is not a bool", () => {
    const { ref: _ref, ...noRef } = claims;
    expect(evaluateCondition(compiled(EXAMPLE), noRef)).toMatchObject({
      ok: false,
      conjunct: { text: expect.stringContaining("matches") },
      error: expect.stringMatching(/ref/),
    });
    expect(evaluateCondition(compiled(EXAMPLE), { ...claims, ref: 42 })).toMatchObject({ ok: false, error: expect.any(String) });
    expect(evaluateCondition(compiled("claims.ref"), claims)).toMatchObject({ ok: false, error: expect.stringMatching(/bool/) });
    expect(evaluateCondition(compiled('claims.ref == "v1.4.2"'), {})).toMatchObject({ ok: false, error: expect.any(String) });
  });

  it("has CEL's semantics for the usual checks", () => {
    expect(holds("has(claims.environment) && !has(claims.nope)")).toBe(true);
    expect(holds('"acme" in claims.groups_direct')).toBe(true);
    expect(holds("claims.exp > 1600000000")).toBe(true);
    expect(holds('claims.nope == "x" || true')).toBe(true); // an error absorbed by ||, as in CEL
    expect(holds('claims.ref.matches("^v1")')).toBe(true); // a search, not a whole match
    expect(holds('claims.ref.matches("1\\\\.4")')).toBe(true);
    expect(holds('claims["ref_protected"] == "true" && claims.project_path.startsWith(claims.namespace_path + "/")')).toBe(true);
    expect(holds('claims.groups_direct.exists(g, g.matches("^acme/")) && claims.groups_direct.all(g, g.startsWith("acme"))')).toBe(
      true,
    );
  });

  it("has CEL's int(): a range error for a double past int64, which refuses", () => {
    for (const x of [-1e308, -9.3e18, 1e308, 9.3e18]) {
      expect(holds("int(claims.x) < 5", { x })).toBe(false);
      expect(holds("int(claims.x) > 5", { x })).toBe(false);
    }
    expect(holds("int(claims.x) == -3", { x: -3.9 })).toBe(true); // toward zero
    expect(holds('int(claims.x) == 42 && int("-7") == -7 && int(7) == 7 && int(3u) == 3', { x: "42" })).toBe(true);
    expect(holds("int(claims.x) == 1", { x: "0x1" })).toBe(false);
    expect(holds("int(claims.x) == 1", { x: "9223372036854775808" })).toBe(false); // one past the largest int
    // An error still names int(), not the function it runs as.
    expect(compileCondition("int(claims.x, 1) == 1")).toMatchObject({ ok: false, message: expect.not.stringContaining("__") });
  });

  it("evaluates each conjunct alone, macros and matches() included", () => {
    const c = compiled(
      'has(claims.environment) && claims.groups_direct.exists(g, g.matches("^acme/")) && claims["ref_protected"] == "true"',
    );
    expect(c.conjuncts).toHaveLength(3);
    expect(evaluateCondition(c, claims)).toEqual({ ok: true });
    expect(evaluateCondition(c, { ...claims, groups_direct: ["other"] })).toMatchObject({
      ok: false,
      conjunct: { text: 'claims.groups_direct.exists(g, g.matches("^acme/"))' },
    });
  });
});

describe("matches() is RE2", () => {
  it("answers ^(a+)+$ against 5,000 characters at once (a backtracking engine would not finish)", () => {
    const c = compiled('claims.x.matches("^(a+)+$")');
    const started = Date.now();
    expect(evaluateCondition(c, { x: `${"a".repeat(5000)}b` })).toMatchObject({ ok: false, conjunct: { offset: 0 } });
    expect(evaluateCondition(c, { x: "a".repeat(5000) })).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(2_000); // generous: it takes milliseconds
  });

  it("has RE2's syntax at run time, in comprehensions too", () => {
    // (?i) is a syntax error for JavaScript's RegExp, and \Q...\E reads there as the letters Q and E.
    expect(holds('"MAIN".matches("(?i)^main$")')).toBe(true);
    expect(holds(String.raw`"xa.by".matches("\\Qa.b\\E")`)).toBe(true);
    expect(holds(String.raw`"xaxby".matches("\\Qa.b\\E")`)).toBe(false);
    expect(holds('claims.groups_direct.exists(g, g.matches("(?i)^ACME$"))')).toBe(true);
    expect(holds('matches(claims.ref, "(?i)^V1")')).toBe(true);
  });
});

describe("the evaluation budget", () => {
  const list = Array.from({ length: 5_000 }, (_, i) => `group-${i}`);

  it("stops a quadratic comprehension and refuses", () => {
    const c = compiled("claims.groups.exists(g, g in claims.other)");
    const r = evaluateCondition(c, { groups: list, other: list.map((g) => `${g}x`) });
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/budget/) });
  });

  it("stops growing strings", () => {
    const doubled = Array(40).fill("claims.s").join(" + ");
    const r = evaluateCondition(compiled(`(${doubled}).matches("x$")`), { s: "a".repeat(8_000) });
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/budget/) });
  });

  it("is spent also when an error would be absorbed by || or exists", () => {
    const c = compiled("claims.groups.exists(g, g in claims.other) || true");
    expect(evaluateCondition(c, { groups: list, other: list })).toMatchObject({ ok: true }); // found early
    expect(evaluateCondition(c, { groups: list, other: list.map((g) => `${g}x`) })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/budget/),
    });
  });

  it("leaves room for linear work over large claims", () => {
    expect(holds('claims.groups.exists(g, g == "group-4999") && claims.groups.all(g, g.startsWith("group-"))', { groups: list })).toBe(
      true,
    );
    expect(holds('claims.s.matches("^a+$")', { s: "a".repeat(16_000) })).toBe(true);
  });

  it("is per evaluation: one spent budget does not refuse the next", () => {
    const c = compiled("claims.groups.exists(g, g in claims.other)");
    expect(evaluateCondition(c, { groups: list, other: [] })).toMatchObject({ ok: false });
    expect(evaluateCondition(c, { groups: ["a"], other: ["a"] })).toEqual({ ok: true });
  });
});

describe("pins", () => {
  it("are the top-level conjuncts that fix a claim to literal text", () => {
    const c = compiled(
      'claims.namespace_path == "acme/platform" && claims.ref_type in ["tag", "branch"] && "alice" == claims["user_login"] && (claims.environment == "prod" || true) && !(claims.user_login in ["x"]) && claims.ref.startsWith("v")',
    );
    expect(c.pins).toEqual([
      { claim: "namespace_path", values: ["acme/platform"] },
      { claim: "ref_type", values: ["tag", "branch"] },
      { claim: "user_login", values: ["alice"] },
    ]);
  });

  it("ignore comparisons with other claims, and alternatives", () => {
    expect(compiled("claims.namespace_path == claims.project_path").pins).toEqual([]);
    expect(compiled("claims.namespace_path in claims.groups_direct").pins).toEqual([]);
    expect(compiled('claims.namespace_path == "a" || claims.namespace_path == "b"').pins).toEqual([]);
  });
});
