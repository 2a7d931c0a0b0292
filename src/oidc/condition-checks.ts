/**
 * What a login condition (./condition.ts) may contain, checked on its syntax tree before it is type-checked:
 * only the listed functions, `matches()` with a literal RE2 pattern of bounded size, and comprehensions
 * that neither nest nor multiply. With the parser's own limits (nodes, depth, literal sizes) and the
 * evaluation budget, these bound what one condition can cost. See docs/policy.md, "Conditions (CEL)".
 */
import type { ASTNode } from "@marcbachmann/cel-js";
import type { ClaimPin } from "./owner-pinning";

export const CONDITION_LIMITS = Object.freeze({
  /** Source length (code points), checked before parsing; the schema enforces it too. */
  maxSourceLength: 4096,
  /** Enforced by the parser: it stops before building a bigger tree. */
  maxAstNodes: 256,
  /** Parser recursion depth; also bounds the walks over the tree here. */
  maxDepth: 32,
  maxListElements: 64,
  maxMapEntries: 16,
  maxCallArguments: 4,
  /** Comprehension macros (all, exists, exists_one, map, filter) in one condition. */
  maxComprehensions: 4,
  /** Length of a matches() pattern literal. */
  maxPatternLength: 512,
  /** Size of a pattern's compiled RE2 program (instructions): what a match costs per input character. */
  maxPatternInstructions: 500,
  /**
   * Evaluation budget of one login, in units of about 10 ns of CPU at the worst: one per node evaluated,
   * plus the size (characters, elements, members) of each value a node produces, plus 10 per character
   * and RE2 instruction for each matches(). See docs/policy.md for what it measured.
   */
  maxCost: 1_000_000,
});

/** Functions, methods and macros a condition may call; anything else is refused when it is saved. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // macros
  "has",
  "all",
  "exists",
  "exists_one",
  "map",
  "filter",
  // strings
  "matches",
  "startsWith",
  "endsWith",
  "contains",
  "lowerAscii",
  "upperAscii",
  "trim",
  "indexOf",
  "lastIndexOf",
  "substring",
  "split",
  "join",
  // conversions and sizes
  "size",
  "int",
  "uint",
  "double",
  "string",
  "bool",
  "dyn",
  "type",
]);

const COMPREHENSIONS: ReadonlySet<string> = new Set(["all", "exists", "exists_one", "map", "filter"]);

/** A condition refused by a static check, at an offset of its source. */
export class ConditionRejection extends Error {
  override readonly name = "ConditionRejection";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function isNode(v: unknown): v is ASTNode {
  return typeof v === "object" && v !== null && typeof (v as { op?: unknown }).op === "string" && "args" in v;
}

/** The nodes directly below `node`, in source order (call arguments, list elements, map entries...). */
export function children(node: ASTNode): ASTNode[] {
  const out: ASTNode[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (isNode(v)) out.push(v);
  };
  visit(node.args);
  return out;
}

const callName = (node: ASTNode): string | undefined => (node.op === "call" || node.op === "rcall" ? node.args[0] : undefined);

export const isStringLiteral = (node: ASTNode | undefined): node is ASTNode & { op: "value"; args: string } =>
  node !== undefined && node.op === "value" && typeof node.args === "string";

/** The pattern argument of `x.matches(p)` or `matches(x, p)`. */
export const patternOf = (node: ASTNode & { op: "call" | "rcall" }): ASTNode | undefined =>
  node.op === "rcall" ? node.args[2][0] : node.args[1][1];

/**
 * Refuses what the parser and the type checker let through but a condition may not hold. `checkPattern`
 * compiles a pattern with the engine matches() runs on and returns a problem, or null when it is usable.
 */
export function checkConditionTree(root: ASTNode, checkPattern: (pattern: string) => string | null): void {
  let comprehensions = 0;
  const walk = (node: ASTNode, inComprehension: boolean) => {
    const name = callName(node);
    if (name !== undefined) {
      if (!ALLOWED_FUNCTIONS.has(name))
        throw new ConditionRejection(`the function '${name}' is not allowed in a condition`, node.start);
      if (name === "matches") {
        const pattern = patternOf(node as ASTNode & { op: "call" | "rcall" });
        if (!isStringLiteral(pattern))
          throw new ConditionRejection("the pattern of matches() must be a string literal", (pattern ?? node).start);
        if (pattern.args.length > CONDITION_LIMITS.maxPatternLength) {
          throw new ConditionRejection(`the pattern is longer than ${CONDITION_LIMITS.maxPatternLength} characters`, pattern.start);
        }
        const problem = checkPattern(pattern.args);
        if (problem !== null) throw new ConditionRejection(problem, pattern.start);
      }
      if (node.op === "rcall" && COMPREHENSIONS.has(name)) {
        if (++comprehensions > CONDITION_LIMITS.maxComprehensions) {
          throw new ConditionRejection(
            `more than ${CONDITION_LIMITS.maxComprehensions} comprehensions (all, exists, exists_one, map, filter)`,
            node.start,
          );
        }
        // Its range and its body both run inside it: nesting would multiply the sizes of two lists.
        if (inComprehension)
          throw new ConditionRejection("comprehensions (all, exists, exists_one, map, filter) may not be nested", node.start);
        for (const c of children(node)) walk(c, true);
        return;
      }
    }
    for (const c of children(node)) walk(c, inComprehension);
  };
  walk(root, false);
}

/** The top-level `&&` chain as its conjuncts, left to right. */
export function conjunctsOf(node: ASTNode, out: ASTNode[] = []): ASTNode[] {
  if (node.op === "&&") {
    conjunctsOf(node.args[0], out);
    conjunctsOf(node.args[1], out);
  } else out.push(node);
  return out;
}

/** The literal constraint a conjunct puts on a claim: `claims.x == "v"` (either side), `claims["x"] == "v"`, `claims.x in ["v", ...]`. */
export function pinOf(conjunct: ASTNode): ClaimPin | undefined {
  const claimName = (n: ASTNode): string | undefined => {
    const isClaims = (t: ASTNode) => t.op === "id" && t.args === "claims";
    if (n.op === ".") return isClaims(n.args[0]) ? n.args[1] : undefined;
    if (n.op === "[]") return isClaims(n.args[0]) && isStringLiteral(n.args[1]) ? n.args[1].args : undefined;
    return undefined;
  };
  if (conjunct.op === "==") {
    const [l, r] = conjunct.args;
    const claim = claimName(l) ?? claimName(r);
    const literal = isStringLiteral(r) ? r : isStringLiteral(l) ? l : undefined;
    if (claim !== undefined && literal !== undefined) return { claim, values: [literal.args] };
  }
  if (conjunct.op === "in") {
    const [l, r] = conjunct.args;
    const claim = claimName(l);
    if (claim !== undefined && r.op === "list" && r.args.length > 0 && r.args.every(isStringLiteral)) {
      return { claim, values: r.args.map((e) => e.args as string) };
    }
  }
  return undefined;
}
