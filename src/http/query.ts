import * as z from "zod";
import { DomainError, Reason } from "../errors";
import type { AppContext } from "../request-context";

/** Validates a request's query string; malformed is a 422 naming the parameters, as bodies are (./body.ts). */
export function readQuery<S extends z.ZodType>(c: AppContext, schema: S, what: string): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    throw new DomainError(Reason.invalid_request, `Invalid ${what} query`, {
      details: parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

/**
 * A whole number query parameter from `min` to `max`, written in decimal digits only: `0x10`, `1e3`,
 * ` 1` and an empty value are refused (422), where Number() would read them as 16, 1000, 1 and 0.
 */
export const wholeNumberParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, "a whole number written in decimal digits")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
