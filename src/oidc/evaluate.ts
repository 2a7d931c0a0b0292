/**
 * What a configuration decides about a token's claims, once its signature verified: admitted, or refused by
 * one named rule. The one evaluation of a configuration's rules: the login (src/oidc/authenticate.ts), its
 * audit row (`details.failedRule`), the console's dry run and the what-if (src/admin/what-if.ts) all go
 * through `evaluateConfig`, so they cannot disagree. Pure: no I/O, no clock.
 *
 * A rule added to configurations is added here: its check in `evaluateConfig`, its reason in
 * `CONFIG_REFUSALS` (then what-if replays the logins it refused).
 */
import type { JWTPayload } from "jose";
import { failure, Reason, type Failure } from "../errors";
import type { OidcAuthConfig } from "../storage/records";
import { checkBindings, checkCondition } from "./bindings";
import type { LeftOut } from "./claim-snapshot";
import { readClaim } from "./claims";

/** The rules of a configuration, in the order a login checks them. */
export type RuleName = "issuer" | "subject" | "audience" | "claim" | "condition";

/**
 * The rule that refused a token, as its login's audit row records it: the configured pattern and the
 * token's value (both cut to AUDIT_VALUE_MAX characters; `actual` absent when the token has no such claim).
 */
export interface FailedRule {
  rule: RuleName;
  /** for `claim`: the claim name (or dot path) */
  claim?: string;
  expected: string;
  actual?: string | string[];
  /** for `condition`: the top-level conjunct that was not true (the admin's expression, never a claim value) */
  conjunct?: string;
}

export type ConfigVerdict = { admitted: true } | { admitted: false; refusal: Failure; failedRule: FailedRule };

/**
 * The refusals a configuration decides: a login refused for one of them may be admitted under another
 * configuration (and the other way round). Every other refusal (signature, expiry, replay, rate limits, a
 * missing identity...) would stand whatever the configuration says.
 */
export const CONFIG_REFUSALS = [
  Reason.issuer_mismatch,
  Reason.subject_not_allowed,
  Reason.audience_not_allowed,
  Reason.claim_not_allowed,
  Reason.condition_failed,
] as const;

/** The rules evaluateConfig reads. */
export type EvaluatedConfig = Pick<OidcAuthConfig, "boundIssuer" | "boundSubject" | "boundAudiences" | "boundClaims" | "condition">;

/**
 * The verdict of `config` on the claims of a token whose signature verified (the payload itself, or its
 * claim snapshot): the exact issuer, then subject, audiences, every bound claim and the condition (checkBindings). A
 * refusal carries the login's own Failure (same reason, qualifier and message) and the rule that decided.
 */
export function evaluateConfig(config: EvaluatedConfig, claims: Record<string, unknown>, leftOut?: LeftOut): ConfigVerdict {
  if (claims.iss !== config.boundIssuer) {
    return refused(failure(Reason.issuer_mismatch), { rule: "issuer", expected: config.boundIssuer }, claims.iss);
  }
  const bindings = checkBindings(claims as JWTPayload, config as OidcAuthConfig, leftOut);
  if (bindings.ok) return { admitted: true };
  if (bindings.reason === Reason.subject_not_allowed) {
    return refused(bindings, { rule: "subject", expected: config.boundSubject }, claims.sub);
  }
  if (bindings.reason === Reason.audience_not_allowed) {
    return refused(bindings, { rule: "audience", expected: config.boundAudiences }, claims.aud);
  }
  if (bindings.reason === Reason.condition_failed) {
    const verdict = checkCondition(claims as JWTPayload, config.condition, leftOut);
    const conjunct = verdict.ok ? undefined : verdict.conjunct?.text;
    return refused(
      bindings,
      { rule: "condition", expected: config.condition, ...(conjunct ? { conjunct: cut(conjunct) } : {}) },
      undefined,
    );
  }
  const claim = bindings.qualifier ?? "";
  return refused(bindings, { rule: "claim", claim, expected: config.boundClaims[claim] ?? "" }, readClaim(claims, claim));
}

function refused(refusal: Failure, rule: Omit<FailedRule, "actual">, value: unknown): ConfigVerdict {
  const actual = auditValue(value);
  const failedRule: FailedRule = { ...rule, expected: cut(rule.expected) };
  if (actual !== undefined) failedRule.actual = actual;
  return { admitted: false, refusal, failedRule };
}

/** Longest text of a pattern or a claim value shown in an audit row or a dry run. */
export const AUDIT_VALUE_MAX = 256;
/** Elements of an array claim shown, at the most. */
const AUDIT_ITEMS_MAX = 16;

const cut = (text: string) => text.slice(0, AUDIT_VALUE_MAX);
const scalarText = (v: unknown) => cut(typeof v === "object" ? JSON.stringify(v) : String(v));

/**
 * A claim value as an audit row or the dry run shows it: scalars as text, objects and null as JSON, cut to
 * AUDIT_VALUE_MAX characters; an array as its first elements, AUDIT_VALUE_MAX characters in all. Undefined
 * when the token has no such claim.
 */
export function auditValue(value: unknown): string | string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return scalarText(value);
  const shown: string[] = [];
  let left = AUDIT_VALUE_MAX;
  for (const element of value.slice(0, AUDIT_ITEMS_MAX)) {
    if (left === 0) break;
    const text = scalarText(element).slice(0, left);
    shown.push(text);
    left -= text.length;
  }
  return shown;
}
