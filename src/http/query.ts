import * as z from "zod";
import { DomainError, Reason } from "../errors";
import type { AppContext } from "../request-context";
import { noteIgnoredQueryParams } from "./ignored-keys";

/**
 * Validates a request's query string; malformed is a 422 naming the parameters, as bodies are (./body.ts).
 * A parameter sent empty (`?event=`) counts as not sent, as OAuth's do; one sent twice is a 422, as a
 * member named twice in a body is, rather than one of its values winning silently. A parameter the schema
 * does not name is ignored and said in the answer's `warnings` (./ignored-keys.ts).
 */
export function readQuery<S extends z.ZodType>(c: AppContext, schema: S, what: string): z.output<S> {
  const values: Record<string, string> = {};
  const queries = c.req.queries();
  // Noted first, so that a 422 of this read names them too (src/http/errors.ts).
  noteIgnoredQueryParams(c, schema, Object.keys(queries));
  for (const [name, sent] of Object.entries(queries)) {
    if (sent.length > 1) {
      const message = "appears more than once";
      throw new DomainError(Reason.invalid_request, `Invalid ${what} query: '${name.slice(0, 64)}' ${message}`, {
        details: [{ field: name.slice(0, 64), message }],
      });
    }
    if (sent[0]) values[name] = sent[0];
  }
  const parsed = schema.safeParse(values);
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
