// The console's one contact with the service's error type. Pages, forms and the session never look at an
// error's class or compare reason strings themselves: they ask this module whether something is a
// refusal (and which), and raise their own refusals through it. Switching the error type touches only
// this file.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ReasonCode } from "../errors";
import { ApiError } from "../http/errors";
import type { FieldIssue } from "./forms";

/** A refusal as the console shows it: on an error page, above a form, or next to the fields it names. */
export interface Refusal {
  status: ContentfulStatusCode;
  /** the code on the wire, shown on error pages and passed to the sign-in page */
  reasonCode: string;
  message: string;
  headers: Record<string, string>;
  /** the invalid fields of a validation refusal (empty when it names none) */
  issues: FieldIssue[];
  /** whether it is a refusal for one of these reasons */
  is(...reasons: ReasonCode[]): boolean;
}

/** Whether `err` is a refusal for one of `reasons`: the only place the console compares reason codes. */
export const isRefusalFor = (err: unknown, ...reasons: ReasonCode[]): boolean =>
  err instanceof ApiError && (reasons as string[]).includes(err.reasonCode);

/** The refusal `err` is, or null when it is none (a bug, which the console answers without internals). */
export function refusalOf(err: unknown): Refusal | null {
  if (!(err instanceof ApiError)) return null;
  return {
    status: err.status,
    reasonCode: err.reasonCode,
    message: err.message,
    headers: err.headers,
    issues: issuesOf(err.details),
    is: (...reasons) => isRefusalFor(err, ...reasons),
  };
}

/** A refusal the console raises itself (sign-in, CSRF, the form body). */
export const refusal = (status: ContentfulStatusCode, reason: ReasonCode, message: string): Error =>
  new ApiError(status, reason, message);

/** The `details` of a validation refusal as field issues: entries without a message are skipped. */
function issuesOf(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  return (details as unknown[]).flatMap((d) =>
    d && typeof d === "object" && typeof (d as FieldIssue).message === "string"
      ? [{ field: String((d as FieldIssue).field ?? ""), message: (d as FieldIssue).message }]
      : [],
  );
}
