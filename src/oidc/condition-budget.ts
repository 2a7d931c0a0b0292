/**
 * The evaluation budget of a login condition (./condition.ts): CEL has no loops, but comprehensions over a
 * claim's list, string operations and matches() cost in proportion to the claims' sizes, which the token
 * decides. Every evaluation gets CONDITION_LIMITS.maxCost units; each node evaluated spends one, plus the
 * size of the value it produced (every operation is at most linear in the values it is given), and
 * matches() spends what RE2 may cost. A spent budget is an evaluation error: the condition refuses.
 */
import type { ASTNode } from "@marcbachmann/cel-js";
import { children, CONDITION_LIMITS } from "./condition-checks";

/** Units left to the evaluation in progress. Evaluation is synchronous: one at a time per isolate. */
let budget = 0;
/** The claims of the evaluation in progress, and their number of members (counted once). */
let budgetClaims: object | null = null;
let budgetClaimsSize = 0;
/** Thrown again for every node evaluated once the budget is spent, so nothing absorbs it for long. */
const BUDGET_SPENT = new Error(`the evaluation budget (${CONDITION_LIMITS.maxCost} units) is spent`);

export function spend(units: number): void {
  budget -= units;
  if (budget < 0) throw BUDGET_SPENT;
}

/** What an operation on `value` may cost at most, in units: characters, elements or members. */
function sizeOf(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (typeof value !== "object" || value === null) return 0;
  if (value === budgetClaims) return budgetClaimsSize;
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  let n = 0;
  for (const _ in value) n++;
  return n;
}

/** Runs one evaluation over `claims` with a full budget. */
export function withBudget<T>(claims: object, evaluate: () => T): T {
  budget = CONDITION_LIMITS.maxCost;
  budgetClaims = null;
  budgetClaimsSize = sizeOf(claims);
  budgetClaims = claims;
  try {
    return evaluate();
  } finally {
    budgetClaims = null;
  }
}

type Evaluate = (ev: unknown, ast: unknown, ctx: unknown) => unknown;

/**
 * Makes every node of a checked tree spend from the budget when it is evaluated. cel-js dispatches through
 * a node's `evaluate`, which replaces itself by the resolved operator on first use: the metered one puts
 * itself back after each call. (Nodes that macros add, such as a comprehension's loop, are not metered;
 * the nodes they run each time round, written by the admin, are.)
 */
export function meter(root: ASTNode): void {
  const dispatch = (Object.getPrototypeOf(root) as { evaluate: Evaluate }).evaluate;
  const install = (node: ASTNode) => {
    const target = node as unknown as { evaluate: Evaluate };
    const metered: Evaluate = (ev, ast, ctx) => {
      spend(1);
      try {
        const value = dispatch.call(node, ev, ast, ctx);
        spend(sizeOf(value));
        return value;
      } finally {
        target.evaluate = metered;
      }
    };
    target.evaluate = metered;
    for (const c of children(node)) install(c);
  };
  install(root);
}
