import type { z } from "zod";
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
