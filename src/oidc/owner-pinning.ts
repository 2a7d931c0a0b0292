/**
 * Owner pinning: a configuration must name whose workloads it admits. On a shared issuer (gitlab.com,
 * GitHub) anyone can create a project and run jobs whose tokens carry any ref, environment or pipeline
 * source they like, so only the owner (a GitLab top-level namespace, a GitHub account) identifies who is
 * allowed in. Pure: the admin API refuses a configuration this finds too broad, and GET and the console
 * warn about stored ones. See docs/policy.md.
 */
import { splitPatternList } from "./glob";

/** A literal constraint on a claim from a condition conjunct: `claims.x == "v"` or `claims.x in ["v", ...]`. */
export interface ClaimPin {
  claim: string;
  values: readonly string[];
}

export interface PinningInput {
  boundSubject: string;
  boundClaims: Record<string, string>;
  /** Literal equality conjuncts at the top level of the condition (empty when there is none). */
  conditionPins?: readonly ClaimPin[];
}

export interface PinningVerdict {
  pinned: boolean;
  /** What pins the owner (for the console), or why nothing does: the field to fix and what to do. */
  field: "boundSubject" | "boundClaims";
  message: string;
}

/** Claims whose value names the owner when its first path segment (before `/`) is literal. */
const OWNER_PATH_CLAIMS = new Set(["namespace_path", "root_namespace_path", "project_path", "repository"]);
/** Claims whose whole value names the owner (ids and owner names): fully literal text pins. */
const OWNER_VALUE_CLAIMS = new Set([
  "namespace_id",
  "root_namespace_id",
  "project_id",
  "repository_owner",
  "repository_owner_id",
  "repository_id",
]);

/**
 * Claims any user of a shared issuer controls for their own projects, whatever the issuer: binding them
 * narrows which jobs, never whose.
 */
export const NEVER_PINNING_CLAIMS: ReadonlySet<string> = new Set([
  "ref",
  "ref_type",
  "ref_protected",
  "ref_path",
  "environment",
  "environment_protected",
  "pipeline_source",
  "event_name",
  "runner_environment",
  "runner_id",
  "job_id",
  "pipeline_id",
  "run_id",
  "run_attempt",
  "actor",
  "user_login",
  "user_email",
  "user_id",
  // Every token of the issuer can satisfy these.
  "iss",
  "aud",
  "exp",
  "nbf",
  "iat",
  "jti",
]);

const WILDCARD = /[*?]/;
const isLiteral = (text: string) => text.length > 0 && !WILDCARD.test(text);
/** `mygroup/*` and `mygroup` pin `mygroup`: literal text up to the first `/` (or the end). */
const literalOwnerSegment = (path: string) => {
  const slash = path.indexOf("/");
  return isLiteral(slash < 0 ? path : path.slice(0, slash));
};
/** A pattern made only of wildcards binds nothing; anything else binds something. */
const bindsSomething = (pattern: string) => /[^*?]/.test(pattern);

/** Subject shapes of the shared CI issuers, by prefix: the owner must be literal right after it. */
const SUBJECT_SHAPES = [
  { prefix: "project_path:", name: "GitLab", owner: "the top-level namespace" },
  { prefix: "repo:", name: "GitHub", owner: "the owner" },
] as const;

function claimPinsOwner(claim: string, value: string): boolean {
  if (OWNER_PATH_CLAIMS.has(claim)) return literalOwnerSegment(value);
  if (OWNER_VALUE_CLAIMS.has(claim)) return isLiteral(value);
  return false;
}

/** Every alternative of a comma list pins the owner (`mygroup/*, other/*` does; `mygroup/*, *` does not). */
function boundClaimPinsOwner(claim: string, list: string): boolean {
  const patterns = splitPatternList(list);
  return patterns.length > 0 && patterns.every((p) => claimPinsOwner(claim, p));
}

/** A claim of no shared issuer's owner list that still identifies a workload (other issuers' rule). */
function boundClaimIdentifies(claim: string, list: string): boolean {
  if (NEVER_PINNING_CLAIMS.has(claim) || OWNER_PATH_CLAIMS.has(claim) || OWNER_VALUE_CLAIMS.has(claim)) return false;
  const patterns = splitPatternList(list);
  return patterns.length > 0 && patterns.every(bindsSomething);
}

const TOO_BROAD =
  "does not pin an owner: on a shared issuer (gitlab.com, GitHub) it would admit every user of the issuer. " +
  "Fix the owner as literal text (project_path:mygroup/..., repo:my-org/...), or bind an owner claim " +
  "(namespace_path, namespace_id, project_id, repository_owner, repository_owner_id, repository_id) " +
  'or add a condition conjunct such as claims.namespace_id == "1234"';

/**
 * Whether the configuration admits the workloads of one owner only. In order: a shared issuer's subject
 * shape decides by its owner segment; else an owner claim or a condition pin; else, for other issuers'
 * subjects, today's rule (a subject or identifying claim with literal text), never counting claims that
 * any user controls.
 */
export function checkOwnerPinning(input: PinningInput): PinningVerdict {
  const subject = input.boundSubject;
  for (const [claim, list] of Object.entries(input.boundClaims)) {
    if (boundClaimPinsOwner(claim, list)) {
      return { pinned: true, field: "boundClaims", message: `boundClaims.${claim} pins the owner` };
    }
  }
  for (const pin of input.conditionPins ?? []) {
    if (pin.values.length > 0 && pin.values.every((v) => claimPinsOwner(pin.claim, v))) {
      return { pinned: true, field: "boundClaims", message: `the condition pins claims.${pin.claim}` };
    }
  }
  const shape = SUBJECT_SHAPES.find((s) => subject.startsWith(s.prefix));
  if (shape) {
    const pinned = literalOwnerSegment(subject.slice(shape.prefix.length));
    return pinned
      ? { pinned, field: "boundSubject", message: `the ${shape.name} subject fixes ${shape.owner}` }
      : { pinned, field: "boundSubject", message: `${shape.name} subject ${TOO_BROAD}` };
  }
  if (subject !== "" && bindsSomething(subject)) {
    return { pinned: true, field: "boundSubject", message: "the subject has literal text" };
  }
  for (const [claim, list] of Object.entries(input.boundClaims)) {
    if (boundClaimIdentifies(claim, list)) {
      return { pinned: true, field: "boundClaims", message: `boundClaims.${claim} identifies the workload` };
    }
  }
  const field = subject === "" && Object.keys(input.boundClaims).length > 0 ? "boundClaims" : "boundSubject";
  return { pinned: false, field, message: `The configuration ${TOO_BROAD}` };
}
