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
  /** Whether there is a condition at all (then a refusal may name it). */
  hasCondition?: boolean;
}

export type PinningField = "boundSubject" | "boundClaims" | "condition";

export interface PinningVerdict {
  pinned: boolean;
  /** What pins the owner, or the field to fix; the message names that field. */
  field: PinningField;
  message: string;
}

/** Claims whose value names the owner when its first path segment (before `/`) is literal. */
const OWNER_PATH_CLAIMS = new Set([
  "namespace_path",
  "root_namespace_path",
  "project_path",
  "job_namespace_path",
  "job_project_path",
  "repository",
  // GitHub: the running workflow's own repository (`OWNER/REPO/.github/workflows/x.yml@ref`).
  "workflow_ref",
]);
/** Claims whose whole value names the owner (ids and owner names): fully literal text pins. */
const OWNER_VALUE_CLAIMS = new Set([
  "namespace_id",
  "root_namespace_id",
  "project_id",
  "job_namespace_id",
  "job_project_id",
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
  "base_ref",
  "head_ref",
  "sha",
  "environment",
  "environment_protected",
  "environment_action",
  "deployment_tier",
  "pipeline_source",
  "event_name",
  "runner_environment",
  "runner_id",
  "job_id",
  "pipeline_id",
  "run_id",
  "run_number",
  "run_attempt",
  "workflow",
  "workflow_sha",
  "project_visibility",
  "repository_visibility",
  // A person: anyone can run jobs in a project of their own, with any access level there.
  "actor",
  "actor_id",
  "user_login",
  "user_email",
  "user_id",
  "user_access_level",
  "user_identities",
  "groups_direct",
  // Where the pipeline's or a reusable workflow's definition lives: any project may use a public one.
  "ci_config_ref_uri",
  "ci_config_sha",
  "job_workflow_ref",
  "job_workflow_sha",
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

/** A claim of no shared issuer's owner list that may still identify a workload (other issuers' rule). */
const identifies = (claim: string) =>
  !NEVER_PINNING_CLAIMS.has(claim) && !OWNER_PATH_CLAIMS.has(claim) && !OWNER_VALUE_CLAIMS.has(claim);

const SUBJECT_CLAIM = "sub";

/**
 * `sub` bound as a claim (or fixed by a condition) is the subject by another name: a value that can match a
 * shared issuer's subject shape pins only by that shape's owner, as boundSubject does; another one by its
 * literal text (other issuers' rule).
 */
const subjectValuePins = (value: string) => subjectVerdict(value)?.pins ?? bindsSomething(value);

function boundClaimIdentifies(claim: string, list: string): boolean {
  if (!identifies(claim)) return false;
  const patterns = splitPatternList(list);
  return patterns.length > 0 && patterns.every(claim === SUBJECT_CLAIM ? subjectValuePins : bindsSomething);
}

const HOW_TO_PIN =
  ": on a shared issuer (gitlab.com, GitHub) it would admit every user of the issuer. Fix the owner as literal text in the " +
  "subject (project_path:mygroup/..., repo:my-org/...), bind an owner claim (namespace_id, namespace_path, " +
  "root_namespace_id, project_id, repository_owner, repository_owner_id, repository_id) or add a condition conjunct " +
  'such as claims.namespace_id == "1234"';

type SubjectVerdict = { pins: boolean; why: string } | undefined;

/**
 * What the subject says about the owner, for subjects that can match a shared issuer's shape: the owner
 * must be literal text right after the prefix. A pattern that can stand for the prefix itself (`**`,
 * `repo**`, `*:my-org/*`) can match any owner's subjects. Those shapes hold a `/` (`GROUP/PROJECT`,
 * `OWNER/REPO`), which `*` and `?` never match: a pattern with neither `/` nor `**` cannot match them.
 * Undefined when the subject can match no such shape (other issuers' subjects).
 */
function subjectVerdict(subject: string): SubjectVerdict {
  const wildcard = subject.search(WILDCARD);
  const literal = wildcard < 0 ? subject : subject.slice(0, wildcard);
  for (const shape of SUBJECT_SHAPES) {
    if (literal.startsWith(shape.prefix)) {
      return literalOwnerSegment(subject.slice(shape.prefix.length))
        ? { pins: true, why: `the ${shape.name} subject fixes ${shape.owner}` }
        : { pins: false, why: `boundSubject does not fix ${shape.owner} of the ${shape.name} subject as literal text` };
    }
  }
  // A pattern that can stand for a prefix: every shape it can match is named (`**` matches them all).
  const spansPaths = subject.includes("**") || subject.slice(literal.length).includes("/");
  const matched = SUBJECT_SHAPES.filter((shape) => wildcard >= 0 && shape.prefix.startsWith(literal) && spansPaths);
  if (matched.length === 0) return undefined;
  const shapes = matched.map((shape) => `${shape.name} subjects (${shape.prefix}...)`).join(" and ");
  return { pins: false, why: `boundSubject can match ${shapes} of any owner` };
}

/**
 * Whether the configuration admits the workloads of one owner only. In order: an owner claim or a condition
 * pin of one; else a subject that can match a shared issuer's shape decides by its owner segment; else,
 * for other issuers, today's rule (a subject, an identifying claim or a condition pin with literal text),
 * never counting claims that any user controls.
 */
export function checkOwnerPinning(input: PinningInput): PinningVerdict {
  const subject = input.boundSubject;
  const pins = input.conditionPins ?? [];
  for (const [claim, list] of Object.entries(input.boundClaims)) {
    if (boundClaimPinsOwner(claim, list))
      return { pinned: true, field: "boundClaims", message: `boundClaims.${claim} pins the owner` };
  }
  for (const pin of pins) {
    if (pin.values.length > 0 && pin.values.every((v) => claimPinsOwner(pin.claim, v))) {
      return { pinned: true, field: "condition", message: `the condition pins the owner with claims.${pin.claim}` };
    }
  }
  const shaped = subjectVerdict(subject);
  if (shaped) return { pinned: shaped.pins, field: "boundSubject", message: shaped.pins ? shaped.why : `${shaped.why}${HOW_TO_PIN}` };
  if (subject !== "" && bindsSomething(subject))
    return { pinned: true, field: "boundSubject", message: "the subject has literal text" };
  for (const [claim, list] of Object.entries(input.boundClaims)) {
    if (boundClaimIdentifies(claim, list)) {
      return { pinned: true, field: "boundClaims", message: `boundClaims.${claim} identifies the workload` };
    }
  }
  for (const pin of pins) {
    const fixes = (v: string) => (pin.claim === SUBJECT_CLAIM ? subjectValuePins(v) : v !== "");
    if (identifies(pin.claim) && pin.values.length > 0 && pin.values.every(fixes)) {
      return { pinned: true, field: "condition", message: `the condition fixes claims.${pin.claim}` };
    }
  }
  return { pinned: false, ...tooBroad(input) };
}

/** The field a refusal names, and why nothing there pins an owner. */
function tooBroad(input: PinningInput): { field: PinningField; message: string } {
  if (input.boundSubject !== "") return { field: "boundSubject", message: `boundSubject has no literal text${HOW_TO_PIN}` };
  const claims = Object.keys(input.boundClaims);
  if (claims.length > 0) {
    const never = claims.filter((c) => NEVER_PINNING_CLAIMS.has(c));
    // One reason fits every such claim (a job's ref or event, a person, a shared definition, the issuer):
    // a job in anyone's project can carry the same value.
    const one = never.length === 1;
    const because = never.length
      ? ` (${never.join(", ")} ${one ? "does" : "do"} not pin one: a job in anyone's project can carry the same ${one ? "value" : "values"})`
      : "";
    return { field: "boundClaims", message: `boundClaims pins no owner${because}${HOW_TO_PIN}` };
  }
  if (input.hasCondition) return { field: "condition", message: `the condition pins no owner${HOW_TO_PIN}` };
  return { field: "boundSubject", message: `neither boundSubject, boundClaims nor the condition pins an owner${HOW_TO_PIN}` };
}
