/**
 * What a configuration must satisfy beyond its schema (./config-schema.ts), and what it should.
 *
 * Must, when it is attached or changed: its condition compiles (422 `condition_invalid`, with the
 * position), then it pins an owner (422 `binding_too_broad`, naming the field; ./owner-pinning.ts).
 * Should: warnings, answered with the configuration by the API and shown by the console. They never
 * refuse anything, and configurations stored before a rule existed keep logging in.
 */
import { DomainError, Reason } from "../errors";
import type { OidcAuthFields } from "../storage/oidc-auth-configs";
import { type CompileResult, compiledCondition } from "./condition";
import { splitPatternList } from "./glob";
import { checkOwnerPinning, type PinningVerdict } from "./owner-pinning";

/** The fields these rules read. */
export type PolicyFields = Pick<OidcAuthFields, "boundSubject" | "boundAudiences" | "boundClaims" | "condition">;

/**
 * Warning codes. They are not reasons (nothing is refused), but two name the rule a stored configuration
 * breaks with the reason a change would be refused for.
 */
export const WARNING_CODES = {
  /** No audience is checked: tokens minted for another relying party are accepted here. */
  audienceUnbound: "audience_unbound",
  /** Stored before owner pinning was enforced: it still logs in, the next change must pin an owner. */
  bindingTooBroad: Reason.binding_too_broad,
  /** A stored condition that does not compile (any more): every login is refused. */
  conditionInvalid: Reason.condition_invalid,
} as const;

export type WarningCode = (typeof WARNING_CODES)[keyof typeof WARNING_CODES];

export interface ConfigWarning {
  code: WarningCode;
  /** the configuration field concerned */
  field: string;
  message: string;
}

const AUDIENCE_UNBOUND =
  "No audience is bound (the list is empty, or one of its entries is only wildcards), so none is checked: any relying party that receives this pipeline's ID tokens (a cloud provider, " +
  "a secrets manager, another service the job logs in to) can replay them here. Bind the audience the job requests " +
  "(GitLab: the aud of id_tokens; GitHub: the audience parameter of the token request).";

const compiledOrNone = (source: string): CompileResult | null => (source === "" ? null : compiledCondition(source));

function pinning(fields: PolicyFields, condition: CompileResult | null): PinningVerdict {
  return checkOwnerPinning({
    boundSubject: fields.boundSubject,
    boundClaims: fields.boundClaims,
    conditionPins: condition?.ok ? condition.condition.pins : [],
    hasCondition: fields.condition !== "",
  });
}

/** Throws the refusal of a configuration that may not be stored; returns when it may. */
export function enforceConfigPolicy(fields: PolicyFields): void {
  const condition = compiledOrNone(fields.condition);
  if (condition && !condition.ok) {
    const { line, column } = condition.position;
    const message = `line ${line}, column ${column}: ${condition.message}`;
    throw new DomainError(Reason.condition_invalid, `The condition does not compile at ${message}`, {
      details: [{ field: "condition", message, position: condition.position }],
    });
  }
  const verdict = pinning(fields, condition);
  if (!verdict.pinned) {
    throw new DomainError(Reason.binding_too_broad, verdict.message, {
      details: [{ field: verdict.field, message: verdict.message }],
    });
  }
}

/** What is to be said about a configuration, stored or just saved: [] when nothing. */
export function configWarnings(fields: PolicyFields): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const condition = compiledOrNone(fields.condition);
  if (condition && !condition.ok) {
    const { line, column } = condition.position;
    warnings.push({
      code: WARNING_CODES.conditionInvalid,
      field: "condition",
      message: `The condition does not compile (line ${line}, column ${column}: ${condition.message}): every login is refused until it is fixed.`,
    });
  }
  const verdict = pinning(fields, condition);
  if (!verdict.pinned) {
    warnings.push({
      code: WARNING_CODES.bindingTooBroad,
      field: verdict.field,
      message: `${verdict.message}. Stored before owner pinning was enforced, it still logs in; the next change must pin an owner.`,
    });
  }
  // A list admits what any one entry admits: one wildcard-only entry (`https://edge.example, **`) leaves the
  // audience as unchecked as an empty list, whatever the other entries say.
  const audiences = splitPatternList(fields.boundAudiences);
  if (audiences.length === 0 || audiences.some((p) => !/[^*?]/.test(p))) {
    warnings.push({ code: WARNING_CODES.audienceUnbound, field: "boundAudiences", message: AUDIENCE_UNBOUND });
  }
  return warnings;
}
