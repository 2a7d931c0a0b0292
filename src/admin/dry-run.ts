import { authenticateIdToken, replayKey } from "../oidc/authenticate";
import { idTokenClaimed } from "../oidc/replay";
import { checkBindings, checkCondition } from "../oidc/bindings";
import { readClaim } from "../oidc/claims";
import { auditValue, evaluateConfig } from "../oidc/evaluate";
import type { OidcAuthConfig } from "../storage/records";
import type { AdminContext } from "./actor";
import { managedOidcAuth } from "./oidc-auth";
import { allowInsecureIssuers } from "../env";
import { DomainError, Reason, type ReasonCode } from "../errors";

export type RuleStatus = "pass" | "fail" | "not-checked" | "not-bound";

export interface DryRunRule {
  /** "signature" | "issuer" | "subject" | "audience" | "claim" | "condition" | "replay" */
  rule: string;
  /** for claims: the claim name (or dot path) */
  claim?: string;
  status: RuleStatus;
  /** the configured pattern(s) for this rule; for the condition, its source */
  expected?: string;
  /** for a condition that failed: the top-level conjunct that was not true (as CEL prints it) */
  conjunct?: string;
  /** the token's value, only once its signature verified (cut like the audit trail's) */
  actual?: string | string[];
  reasonCode?: string;
  message?: string;
}

export interface DryRunResult {
  /** What POST /api/v1/auth/oidc-auth/login would decide: admitted, or the reasonCode of its refusal. */
  admitted: boolean;
  reasonCode?: string;
  message?: string;
  rules: DryRunRule[];
}

/** Failures of verifyIdToken/authenticateIdToken that concern the issuer rather than the signature. */
const ISSUER_REASONS: readonly ReasonCode[] = [Reason.issuer_mismatch, Reason.discovery_issuer_mismatch];

const NO_BINDINGS = { boundSubject: "", boundAudiences: "", boundClaims: {}, condition: "" } as const;

/**
 * Checks an ID token against an identity's saved OIDC Auth configuration exactly as a login would (the
 * same authenticateIdToken and checkBindings), without issuing a token or recording a login. Every rule is
 * evaluated on its own so an admin sees all that pass and fail, not only the first refusal; the overall
 * verdict is the login's (first refusal in the login's order). The token itself is never stored or logged.
 */
export async function dryRunOidcLogin(ctx: AdminContext, identityId: string, jwt: string): Promise<DryRunResult> {
  const { identity, config } = await managedOidcAuth(ctx, identityId);
  const io = {
    kv: ctx.env.CACHE,
    waitUntil: ctx.waitUntil,
    allowInsecureIssuers: allowInsecureIssuers(ctx.env),
  };
  const rules: DryRunRule[] = [];

  // 1. Keys, signature, time claims and the exact issuer: authenticateIdToken with the bindings left out,
  //    so that it returns the verified payload whatever the bindings say. Never replay-checked: a dry run
  //    must not spend the token a CI job is about to log in with.
  const verification: OidcAuthConfig = { ...config, ...NO_BINDINGS, replayProtection: false };
  let payload;
  try {
    payload = await authenticateIdToken(io, verification, jwt);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const issuerFailed = ISSUER_REASONS.includes(err.reason);
    const signature: DryRunRule =
      err.reason === Reason.issuer_mismatch
        ? { rule: "signature", status: "pass" } // jose checks the signature before the claims
        : issuerFailed
          ? { rule: "signature", status: "not-checked" }
          : { rule: "signature", status: "fail", reasonCode: err.reasonCode, message: err.message };
    rules.push(signature, {
      rule: "issuer",
      expected: config.boundIssuer,
      ...(issuerFailed
        ? { status: "fail" as const, reasonCode: err.reasonCode, message: err.message }
        : { status: "not-checked" as const }),
    });
    rules.push(...bindingRules(config, null), replayNotChecked(config));
    return { admitted: false, reasonCode: err.reasonCode, message: err.message, rules };
  }

  rules.push(
    { rule: "signature", status: "pass" },
    { rule: "issuer", status: "pass", expected: config.boundIssuer, actual: auditValue(payload.iss) },
  );
  rules.push(...bindingRules(config, payload));
  const replay = await replayRule(ctx, identity.stateObject, config, payload);
  rules.push(replay);
  // The verdict is the login's own (src/oidc/evaluate.ts): the first rule that refuses, in the login's
  // order, which checks replay last (src/oidc/authenticate.ts).
  const verdict = evaluateConfig(config, payload);
  if (!verdict.admitted) {
    return { admitted: false, reasonCode: DomainError.from(verdict.refusal).reasonCode, message: verdict.refusal.message, rules };
  }
  if (replay.status === "fail") return { admitted: false, reasonCode: replay.reasonCode!, message: replay.message!, rules };
  return { admitted: true, rules };
}

const replayNotChecked = (config: OidcAuthConfig): DryRunRule =>
  config.replayProtection ? { rule: "replay", status: "not-checked" } : { rule: "replay", status: "not-bound" };

/**
 * Replay protection, as the login would decide it now: whether the token has a usable `jti` and has
 * logged in to this identity already. Only read: the dry run records nothing.
 */
async function replayRule(
  ctx: AdminContext,
  stateObjectId: string,
  config: OidcAuthConfig,
  payload: Parameters<typeof replayKey>[0],
): Promise<DryRunRule> {
  if (!config.replayProtection) return replayNotChecked(config);
  try {
    const { iss, jti } = replayKey(payload);
    if (!(await idTokenClaimed(ctx.env, stateObjectId, iss, jti))) return { rule: "replay", status: "pass", actual: auditValue(jti) };
    const replayed = new DomainError(Reason.token_replayed);
    return { rule: "replay", status: "fail", actual: auditValue(jti), reasonCode: replayed.reasonCode, message: replayed.message };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { rule: "replay", status: "fail", reasonCode: err.reasonCode, message: err.message };
  }
}

/**
 * Subject, audiences and each bound claim, each checked alone with checkBindings (the login's own code),
 * then the condition with the login's checkCondition.
 */
function bindingRules(config: OidcAuthConfig, payload: Parameters<typeof checkBindings>[0] | null): DryRunRule[] {
  const one = (
    rule: string,
    expected: string,
    only: Partial<Pick<OidcAuthConfig, "boundSubject" | "boundAudiences" | "boundClaims">>,
    claimName: string,
    claim?: string,
  ): DryRunRule => {
    const base = { rule, expected, ...(claim ? { claim } : {}) };
    if (!payload) return { ...base, status: "not-checked" };
    const actual = auditValue(readClaim(payload as Record<string, unknown>, claimName));
    const result = checkBindings(payload, { ...config, ...NO_BINDINGS, ...only });
    return result.ok
      ? { ...base, status: "pass", actual }
      : { ...base, status: "fail", actual, reasonCode: DomainError.from(result).reasonCode, message: result.message };
  };
  const rules: DryRunRule[] = [
    config.boundSubject === ""
      ? { rule: "subject", status: "not-bound" }
      : one("subject", config.boundSubject, { boundSubject: config.boundSubject }, "sub"),
    config.boundAudiences === ""
      ? { rule: "audience", status: "not-bound" }
      : one("audience", config.boundAudiences, { boundAudiences: config.boundAudiences }, "aud"),
  ];
  for (const claim of Object.keys(config.boundClaims).sort()) {
    const patterns = config.boundClaims[claim]!;
    rules.push(one("claim", patterns, { boundClaims: { [claim]: patterns } }, claim, claim));
  }
  rules.push(conditionRule(config.condition, payload));
  return rules;
}

/** The condition: pass, or fail with the conjunct that was not true and the evaluation's error, if any. */
function conditionRule(condition: string, payload: Parameters<typeof checkBindings>[0] | null): DryRunRule {
  if (condition === "") return { rule: "condition", status: "not-bound" };
  if (!payload) return { rule: "condition", expected: condition, status: "not-checked" };
  const verdict = checkCondition(payload, condition);
  if (verdict.ok) return { rule: "condition", expected: condition, status: "pass" };
  return {
    rule: "condition",
    expected: condition,
    status: "fail",
    reasonCode: Reason.condition_failed,
    message: verdict.error ?? "evaluated to false",
    ...(verdict.conjunct ? { conjunct: verdict.conjunct.text } : {}),
  };
}
