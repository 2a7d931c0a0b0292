import type { JWTPayload } from "jose";
import type { OidcAuthConfig } from "../storage/records";
import type { LeftOut } from "./claim-snapshot";
import { checkBoundClaims, matchClaimPatterns } from "./claims";
import { type ConditionVerdict, compiledCondition, evaluateCondition } from "./condition";
import { compileGlob } from "./glob";
import { failure, Reason, type Failure } from "../errors";

export type BindingResult = { ok: true } | Failure;

/**
 * The configuration's condition over the token's claims (the compiled condition is kept per isolate).
 * A condition that does not compile (stored before an engine change, or written to D1 directly) refuses:
 * fail closed, like every error of the evaluation. The verdict names the conjunct that failed, for the
 * admin (the dry run, the audit trail); the caller of a login only gets `condition_failed`.
 */
export function checkCondition(payload: JWTPayload, source: string, leftOut?: LeftOut): ConditionVerdict {
  const compiled = compiledCondition(source);
  if (!compiled.ok) return { ok: false, error: `the condition does not compile: ${compiled.message}` };
  return evaluateCondition(compiled.condition, payload as Record<string, unknown>, leftOut);
}

/**
 * The identity's bindings, checked in a fixed order after the signature: subject, audiences, claims, then
 * the condition. Pure: no I/O, so the console's dry run and the login share it. `leftOut`: the payload is
 * a claim snapshot that left these claims out (a re-check, a what-if): the condition may not rely on them.
 */
export function checkBindings(
  payload: JWTPayload,
  config: Pick<OidcAuthConfig, "boundSubject" | "boundAudiences" | "boundClaims" | "condition">,
  leftOut?: LeftOut,
): BindingResult {
  if (config.boundSubject !== "") {
    if (typeof payload.sub !== "string" || !compileGlob(config.boundSubject).matches(payload.sub)) {
      return failure(Reason.subject_not_allowed);
    }
  }
  if (config.boundAudiences !== "") {
    if (!matchClaimPatterns(config.boundAudiences, payload.aud)) {
      return failure(Reason.audience_not_allowed);
    }
  }
  const claims = checkBoundClaims(payload as Record<string, unknown>, config.boundClaims);
  if (!claims.ok) {
    return failure(Reason.claim_not_allowed, `The token's '${claims.claim}' claim is missing or does not match the bound value`, {
      qualifier: claims.claim,
    });
  }
  if (config.condition !== "" && !checkCondition(payload, config.condition, leftOut).ok) return failure(Reason.condition_failed);
  return { ok: true };
}
