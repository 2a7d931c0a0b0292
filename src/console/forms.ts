import type { z } from "zod";
import type { Context } from "hono";
import { refusalOf, type Refusal } from "./refusals";

export interface FieldIssue {
  field: string;
  message: string;
}

/** Messages per field (the first path segment: "accessTokenTrustedIps.1.ipAddress" -> "accessTokenTrustedIps"). */
export type FieldErrors = Record<string, string[]>;

/** A form shown again after a refused submission: what was typed, and what is wrong with it. */
export interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
}

export function groupIssues(issues: FieldIssue[]): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const key = i.field.split(".")[0] || "_form";
    (out[key] ??= []).push(i.message);
  }
  return out;
}

/** What a form's schema refused, as messages per field. */
export const fieldErrors = (error: z.ZodError): FieldErrors =>
  groupIssues(error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message })));

/** A refusal a form shows next to its fields or above them; any other is an error page. */
export type FormRefusal = Refusal & { status: 400 | 404 | 409 | 422 };

const isFormRefusal = (r: Refusal | null): r is FormRefusal => r !== null && [400, 404, 409, 422].includes(r.status);

/**
 * Runs what a submitted form asks for. A refusal the form can show goes to `showRefusal`, which answers
 * with the form's page again, or with nothing to leave it to the error page like every other error.
 */
export async function submitForm(
  c: Context,
  act: () => Promise<Response>,
  showRefusal: (refusal: FormRefusal) => Response | undefined | Promise<Response | undefined>,
): Promise<Response> {
  try {
    return await act();
  } catch (err) {
    const refusal = refusalOf(err);
    const page = isFormRefusal(refusal) ? await showRefusal(refusal) : undefined;
    if (!page) throw err;
    c.error = err as Error; // the access log's reasonCode, as for a refusal thrown to the error page
    return page;
  }
}

export const text = (form: URLSearchParams, name: string) => (form.get(name) ?? "").trim();
