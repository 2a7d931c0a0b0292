import type { JWTPayload } from "jose";
import type { OidcAuthConfig } from "../storage/records";
import { checkBoundClaims, matchClaimPatterns } from "./claims";
import { compileGlob } from "./glob";
import { failure, Reason, type Failure } from "../errors";

export type BindingResult = { ok: true } | Failure;

/**
 * The identity's bindings, checked in a fixed order after the signature: subject, audiences, claims.
 * Pure: no I/O, so the console's dry run and the login share it.
 */
export function checkBindings(payload: JWTPayload, config: OidcAuthConfig): BindingResult {
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
  return { ok: true };
}
