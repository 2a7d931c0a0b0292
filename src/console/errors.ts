import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, type ReasonCode, type ReasonKind } from "../errors";

/**
 * The console's edge of the error model (src/errors.ts): the status and title of the page that shows a
 * refusal. Statuses match the API's (src/http/errors.ts) so a page and the API call behind it agree.
 */
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

/** Conflicts Infisical answers with 400; the console's forms answer them the same way. */
const STATUS_OF_REASON: Partial<Record<ReasonCode, ContentfulStatusCode>> = {
  auth_method_exists: 400,
  membership_exists: 400,
  unsupported_media_type: 415,
};

export const pageStatus = (err: DomainError): ContentfulStatusCode =>
  STATUS_OF_REASON[err.reason] ?? PAGE_OF_KIND[err.kind].status;

export const pageTitle = (err: DomainError): string => PAGE_OF_KIND[err.kind].title;

/** Refusals a form shows next to its fields or above them; anything else is an error page. */
export const isFormError = (err: unknown): err is DomainError =>
  err instanceof DomainError && (err.kind === "invalid" || err.kind === "not_found" || err.kind === "conflict");
