import type { z } from "zod";
import { DomainError } from "../errors";

export interface FieldIssue {
  field: string;
  message: string;
}

/** Messages per field (the first path segment: "accessTokenTrustedIps.1.ipAddress" -> "accessTokenTrustedIps"). */
export type FieldErrors = Record<string, string[]>;

export function groupIssues(issues: FieldIssue[]): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const key = i.field.split(".")[0] || "_form";
    (out[key] ??= []).push(i.message);
  }
  return out;
}

export const zodIssues = (error: z.ZodError): FieldIssue[] =>
  error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));

/** The `details` of a 422 from a service, as field issues (empty when it has none). */
export function apiIssues(err: DomainError): FieldIssue[] {
  if (!Array.isArray(err.details)) return [];
  return (err.details as unknown[]).flatMap((d) =>
    d && typeof d === "object" && typeof (d as FieldIssue).message === "string"
      ? [{ field: String((d as FieldIssue).field ?? ""), message: (d as FieldIssue).message }]
      : [],
  );
}


export const text = (form: URLSearchParams, name: string) => (form.get(name) ?? "").trim();
