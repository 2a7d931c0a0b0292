// The console's edge of the error model (src/errors.ts). Pages, forms and the session never look at an
// error's class or compare reason strings themselves: they ask this module whether something is a
// refusal (and which), and raise their own refusals through it.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, isOutage, isRefusal, type ReasonCode, type ReasonKind } from "../errors";
import type { FieldIssue } from "./forms";
import { redactJwts } from "../observability/redact";

/** A refusal as the console shows it: on an error page, above a form, or next to the fields it names. */
export interface Refusal {
  /** ours or a dependency's failure, not the caller's doing: retrying may help */
  outage: boolean;
  status: ContentfulStatusCode;
  /** the error page's heading */
  title: string;
  /** the code on the wire, shown on error pages and passed to the sign-in page */
  reasonCode: string;
  message: string;
  headers: Record<string, string>;
  /** the invalid fields of a validation refusal (empty when it names none) */
  issues: FieldIssue[];
  /** whether it is a refusal for one of these reasons */
  is(...reasons: ReasonCode[]): boolean;
}

/** Page status and title per kind; statuses match the API's (src/http/errors.ts) so both agree. */
const PAGE_OF_KIND: Record<ReasonKind, { status: ContentfulStatusCode; title: string }> = {
  refused: { status: 401, title: "Request refused" },
  forbidden: { status: 403, title: "Not allowed" },
  not_found: { status: 404, title: "Not found" },
  invalid: { status: 422, title: "Request refused" },
  conflict: { status: 409, title: "Request refused" },
  too_large: { status: 413, title: "Request refused" },
  rate_limited: { status: 429, title: "Request refused" },
  unavailable: { status: 503, title: "Try again" },
  internal: { status: 500, title: "Something went wrong" },
};

/** Where the API answers another status than the kind's (Infisical's 400 for some conflicts). */
const STATUS_OF_REASON: Partial<Record<ReasonCode, ContentfulStatusCode>> = {
  auth_method_exists: 400,
  membership_exists: 400,
  unsupported_media_type: 415,
};

/** The refusal `err` is, or null when it is none (a bug, which the console answers without internals). */
export function refusalOf(err: unknown): Refusal | null {
  if (!(err instanceof DomainError)) return null;
  const page = PAGE_OF_KIND[err.kind];
  return {
    outage: isOutage(err),
    status: STATUS_OF_REASON[err.reason] ?? page.status,
    title: page.title,
    reasonCode: err.reasonCode,
    message: redactJwts(err.message), // never a token's text, as the API's bodies (src/observability/redact.ts)
    headers: err.retryAfterSeconds === undefined ? {} : { "Retry-After": String(err.retryAfterSeconds) },
    issues: issuesOf(err.details),
    is: (...reasons) => isRefusal(err, ...reasons),
  };
}

/** A refusal the console raises itself (sign-in, CSRF, the form body). */
export const refusal = (reason: ReasonCode, message?: string): DomainError => new DomainError(reason, message);

/** The `details` of a validation refusal as field issues: entries without a message are skipped. */
function issuesOf(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  return (details as unknown[]).flatMap((d) =>
    d && typeof d === "object" && typeof (d as FieldIssue).message === "string"
      ? [{ field: redactJwts(String((d as FieldIssue).field ?? "")), message: redactJwts((d as FieldIssue).message) }]
      : [],
  );
}
