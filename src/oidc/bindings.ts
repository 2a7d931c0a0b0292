import type { JWTPayload } from "jose";
import type { OidcAuthConfig } from "../storage/records";
import { checkBoundClaims, matchClaimPatterns } from "./claims";
import { compileGlob } from "./glob";

export type BindingResult = { ok: true } | { ok: false; reasonCode: string; message: string };

/**
 * The identity's bindings, checked in a fixed order after the signature: subject, audiences, claims.
 * Pure: no I/O, so the console's dry run and the login share it.
 */
export function checkBindings(payload: JWTPayload, config: OidcAuthConfig): BindingResult {
  if (config.boundSubject !== "") {
    if (typeof payload.sub !== "string" || !compileGlob(config.boundSubject).matches(payload.sub)) {
      return { ok: false, reasonCode: "subject_not_allowed", message: "The token's sub does not match the bound subject" };
    }
  }
  if (config.boundAudiences !== "") {
    if (!matchClaimPatterns(config.boundAudiences, payload.aud)) {
      return { ok: false, reasonCode: "audience_not_allowed", message: "No audience of the token matches the bound audiences" };
    }
  }
  const claims = checkBoundClaims(payload as Record<string, unknown>, config.boundClaims);
  if (!claims.ok) {
    return {
      ok: false,
      reasonCode: `claim_not_allowed: ${claims.claim}`,
      message: `The token's '${claims.claim}' claim is missing or does not match the bound value`,
    };
  }
  return { ok: true };
}
