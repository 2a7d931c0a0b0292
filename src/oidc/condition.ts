/**
 * A configuration's login condition: a CEL expression over `claims` (the verified ID token's payload),
 * AND-ed with the glob bindings. The engine is @marcbachmann/cel-js (parser, type checker, evaluator; no
 * eval or new Function), with matches() re-routed to @bufbuild/re2: RE2 semantics, linear time.
 *
 * - compileCondition never throws: a condition compiles, or is refused with its position.
 * - evaluateCondition never throws: only `true` from every top-level conjunct admits. False, any other
 *   value, or an error (a missing claim, a wrong type, the evaluation budget spent) refuses.
 * - compiledCondition keeps compiled conditions per isolate, by source: a configuration's condition is
 *   compiled once, at its first login in an isolate, beside its login context.
 *
 * Cost: the source, the tree and its literals are bounded when the condition is saved
 * (./condition-checks.ts), and each evaluation has a budget (./condition-budget.ts). See docs/policy.md,
 * "Conditions (CEL)".
 */
import { RE2JS } from "@bufbuild/re2";
import { type ASTNode, Environment, type ParseResult, serialize } from "@marcbachmann/cel-js";
import { BoundedMemo } from "../cache/memo";
import { type LeftOut, snapshotView } from "./claim-snapshot";
import { meter, spend, withBudget } from "./condition-budget";
import { checkConditionTree, children, CONDITION_LIMITS, ConditionRejection, conjunctsOf, patternOf, pinOf } from "./condition-checks";
import type { ClaimPin } from "./owner-pinning";

export interface SourcePosition {
  /** 0-based, in UTF-16 code units */
  offset: number;
  /** 1-based */
  line: number;
  /** 1-based, in UTF-16 code units */
  column: number;
}

/** A top-level conjunct: its canonical text (as CEL prints it back) and where it starts in the source. */
export interface Conjunct {
  text: string;
  offset: number;
}

export interface CompiledCondition {
  readonly source: string;
  /** Evaluated in this order; the condition holds when every one is `true`. */
  readonly conjuncts: readonly Conjunct[];
  /** The conjuncts that fix a claim to literal text (for owner pinning). */
  readonly pins: readonly ClaimPin[];
}

export type CompileResult = { ok: true; condition: CompiledCondition } | { ok: false; message: string; position: SourcePosition };

/** A refusal names the conjunct that was not `true` (when one was reached), and the error if it raised one. */
export type ConditionVerdict = { ok: true } | { ok: false; conjunct?: Conjunct; error?: string };

// ---- matches() on RE2 --------------------------------------------------------------------------

/** What matches() is re-routed to: cel-js's own matches() runs on JavaScript's backtracking RegExp. */
const RE2_MATCHES = "__re2_matches";

interface Pattern {
  re: RE2JS;
  /** instructions of its RE2 program: what matching costs per input character */
  size: number;
}

/**
 * RE2's DFA caches the states it builds, 10,000 by default (a few KiB each): fewer here bound the memory
 * of a pattern. Past them it clears its cache, and after five clears it matches with its NFA only, still
 * in linear time (the budget counts for that).
 */
const DFA_STATES = 128;

/** Patterns are literals of saved conditions, so this holds admins' patterns only. */
const patterns = new BoundedMemo<Pattern>(64);
const pattern = (source: string): Pattern =>
  patterns.get(source, () => {
    const re = RE2JS.compile(source); // throws on a pattern RE2 refuses: the memo stores nothing
    re.re2().dfa.stateLimit = DFA_STATES;
    return { re, size: re.re2().prog.numInst() };
  });

function patternProblem(source: string): string | null {
  let size: number;
  try {
    size = pattern(source).size;
  } catch (e) {
    return `not an RE2 regular expression: ${errorText(e)}`;
  }
  const max = CONDITION_LIMITS.maxPatternInstructions;
  return size > max ? `the pattern is too complex (${size} RE2 instructions, at most ${max}): use fewer or smaller repetitions` : null;
}

/**
 * CEL's matches() is a search, like RE2's PartialMatch: anchor with ^ and $ to match the whole value. RE2
 * is linear in the value, times its program's size; where RE2's DFA gives up (state explosion on long
 * values), its NFA costs up to about 100 ns per character and instruction: 10 units.
 */
function matches(value: string, source: string): boolean {
  const p = pattern(source);
  spend(value.length * p.size * 10);
  return p.re.test(value);
}

// ---- int() with CEL's range check ---------------------------------------------------------------

/** What int() is re-routed to: cel-js's int(double) truncates any finite double, even one past int64. */
const CHECKED_INT = "__checked_int";
const MIN_INT = -(2n ** 63n);
const MAX_INT = 2n ** 63n - 1n;

/**
 * CEL's int(): an int as it is; a double truncated toward zero, and an error when it does not fit in an
 * int64 (the spec's range error: `int(claims.x) < 5` must not admit `x: -1e308`); a string of decimal
 * digits in range; a uint in range. Anything else is an error, which fails the condition closed.
 * (Timestamps, the other type CEL converts, are not among a condition's functions.)
 */
function checkedInt(value: unknown): bigint {
  let result: bigint | undefined;
  if (typeof value === "bigint") result = value;
  else if (typeof value === "number") result = Number.isFinite(value) ? BigInt(Math.trunc(value)) : undefined;
  else if (typeof value === "string") result = /^[+-]?\d{1,19}$/.test(value) ? BigInt(value) : undefined;
  else if (typeof value === "object" && value !== null && typeof (value as { value?: unknown }).value === "bigint") {
    result = (value as { value: bigint }).value; // a uint
  }
  if (result === undefined || result < MIN_INT || result > MAX_INT) {
    throw new Error("int() range error: the value does not convert to an int");
  }
  return result;
}

const env = new Environment({
  limits: {
    maxAstNodes: CONDITION_LIMITS.maxAstNodes,
    maxDepth: CONDITION_LIMITS.maxDepth,
    maxListElements: CONDITION_LIMITS.maxListElements,
    maxMapEntries: CONDITION_LIMITS.maxMapEntries,
    maxCallArguments: CONDITION_LIMITS.maxCallArguments,
  },
})
  .registerVariable("claims", "map<string, dyn>")
  .registerFunction(`string.${RE2_MATCHES}(string): bool`, matches)
  .registerFunction(`${RE2_MATCHES}(string, string): bool`, matches)
  .registerFunction(`${CHECKED_INT}(dyn): int`, checkedInt);

function routeToOwnFunctions(node: ASTNode): void {
  if ((node.op === "rcall" || node.op === "call") && node.args[0] === "matches" && patternOf(node)) node.args[0] = RE2_MATCHES;
  if (node.op === "call" && node.args[0] === "int") node.args[0] = CHECKED_INT;
  for (const c of children(node)) routeToOwnFunctions(c);
}

// ---- compiling ---------------------------------------------------------------------------------

/** Each compiled condition's programs, one per conjunct (or one for the whole when it could not be split). */
const programsOf = new WeakMap<CompiledCondition, ParseResult[]>();

/** Parses, checks, routes matches() to RE2, type-checks and meters one expression; throws when refused. */
function build(source: string): ParseResult {
  const program = env.parse(source); // ParseError with a range: syntax, the parser's limits
  checkConditionTree(program.ast, patternProblem);
  routeToOwnFunctions(program.ast);
  const checked = program.check();
  if (!checked.valid) throw checked.error ?? new ConditionRejection("the condition does not type-check", 0);
  if (checked.type !== "bool" && checked.type !== "dyn") {
    throw new ConditionRejection(`a condition must be a bool expression, not ${checked.type}`, program.ast.start);
  }
  meter(program.ast);
  return program;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function compileCondition(source: string): CompileResult {
  const max = CONDITION_LIMITS.maxSourceLength;
  // Characters are code points, as the configuration schema (zod, JSON Schema's maxLength) counts them:
  // one limit, one refusal, whichever checks first. A code point is one or two UTF-16 units.
  if (source.length > max && codePoints(source) > max) {
    return refused(source, `the condition is longer than ${max} characters`, max);
  }
  if (source.trim() === "") return refused(source, "the condition is empty", 0);
  let whole: ParseResult;
  try {
    whole = build(source);
  } catch (e) {
    return refused(source, errorText(e, source), errorOffset(e));
  }
  // Texts and pins come from a tree whose matches() and int() are not re-routed.
  const parts = conjunctsOf(env.parse(source).ast);
  const texts = parts.map((p) => serialize(p));
  let conjuncts: Conjunct[] = parts.map((p, i) => ({ text: texts[i]!, offset: p.start }));
  let programs = [whole];
  if (parts.length > 1) {
    try {
      // Each conjunct alone, so that a refusal can name the one that failed. Its printed text must parse
      // back to itself; otherwise the whole condition is one conjunct.
      if (!texts.every((t) => serialize(env.parse(t).ast) === t)) throw new Error("not a fixpoint");
      programs = texts.map(build);
    } catch {
      conjuncts = [{ text: serialize(env.parse(source).ast), offset: 0 }];
    }
  }
  const condition: CompiledCondition = Object.freeze({
    source,
    conjuncts: Object.freeze(conjuncts),
    pins: Object.freeze(parts.map(pinOf).filter((p) => p !== undefined)),
  });
  programsOf.set(condition, programs);
  return { ok: true, condition };
}

/**
 * Compiled conditions of this isolate, by source: a pure function of the source, so never stale. One takes
 * about 10 KiB (a condition of the largest size about 100 KiB).
 */
const compiled = new BoundedMemo<CompileResult>(256);

/** compileCondition, once per source per isolate. */
export const compiledCondition = (source: string): CompileResult => compiled.get(source, () => compileCondition(source));

// ---- evaluating --------------------------------------------------------------------------------

/**
 * Whether the claims satisfy the condition. Fails closed, never throws. `leftOut`: the claims are a
 * snapshot that left these out (src/oidc/claim-snapshot.ts); a look at one of them is an error.
 */
export function evaluateCondition(
  condition: CompiledCondition,
  payload: Record<string, unknown>,
  leftOut?: LeftOut,
): ConditionVerdict {
  const programs = programsOf.get(condition);
  if (!programs) return { ok: false, error: "the condition was not compiled" };
  const claims = leftOut === undefined ? payload : snapshotView(payload, leftOut);
  return withBudget(payload, () => {
    for (const [i, program] of programs.entries()) {
      const conjunct = condition.conjuncts[i];
      const at = conjunct ? { conjunct } : {};
      let value: unknown;
      try {
        value = program({ claims });
      } catch (e) {
        return { ok: false, ...at, error: errorText(e) };
      }
      if (value !== true)
        return { ok: false, ...at, ...(typeof value === "boolean" ? {} : { error: "the condition's value is not a bool" }) };
    }
    return { ok: true };
  });
}

// ---- errors ------------------------------------------------------------------------------------

export function positionOf(source: string, offset: number): SourcePosition {
  const at = Math.max(0, Math.min(offset, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset: at, line, column: at - lineStart + 1 };
}

const refused = (source: string, message: string, offset: number): CompileResult => ({
  ok: false,
  message,
  position: positionOf(source, offset),
});

/** One line, without cel-js's source excerpt, and with matches() and int() under their own names. */
function errorText(e: unknown, source?: string): string {
  const { summary, message } = (typeof e === "object" && e !== null ? e : {}) as { summary?: unknown; message?: unknown };
  const text = typeof summary === "string" ? summary : typeof message === "string" ? message.split("\n")[0]! : String(e);
  // The parser reads UTF-16 units: a character outside the BMP (an emoji) comes out as half of it, which
  // is not text (a lone surrogate in a JSON answer). Say the whole character it starts at instead.
  const whole = String.fromCodePoint(source?.codePointAt(errorOffset(e)) ?? 0xfffd);
  return text
    .replaceAll(RE2_MATCHES, "matches")
    .replaceAll(CHECKED_INT, "int")
    .replace(LONE_SURROGATE, () => whole)
    .toWellFormed();
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function errorOffset(e: unknown): number {
  if (e instanceof ConditionRejection) return e.offset;
  const range = typeof e === "object" && e !== null ? (e as { range?: { start?: unknown } }).range : undefined;
  return typeof range?.start === "number" ? range.start : 0;
}
