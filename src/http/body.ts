import type { z } from "zod";
import type { AppContext } from "../request-context";
import { DomainError, Reason } from "../errors";

/**
 * Reads a JSON or form-urlencoded body (Infisical's CLI sends JSON, its GitHub Action sends a form),
 * bounded in size, and validates it. Malformed input is a 422 naming the fields; never a 500.
 */
export async function readBody<S extends z.ZodType>(c: AppContext, schema: S, maxBytes: number): Promise<z.output<S>> {
  const raw = await readRawBody(c, maxBytes);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new DomainError(Reason.invalid_request, "The request body is invalid", {
      details: parsed.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message })),
    });
  }
  return parsed.data;
}

export async function readRawBody(c: AppContext, maxBytes: number): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) throw new DomainError(Reason.body_too_large, `The request body exceeds ${maxBytes} bytes`);
  let text: string;
  try {
    const buf = await c.req.arrayBuffer();
    if (buf.byteLength > maxBytes) throw new DomainError(Reason.body_too_large, `The request body exceeds ${maxBytes} bytes`);
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(buf);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError(Reason.invalid_request, "The request body is not valid UTF-8");
  }
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    const form = new URLSearchParams(text);
    // No prototype: a field named "constructor" or "__proto__" is just a field (and is then ignored).
    const out: Record<string, string> = Object.create(null);
    for (const [k, v] of form) {
      if (Object.hasOwn(out, k))
        throw new DomainError(Reason.invalid_request, `The form field '${k.slice(0, 64)}' appears more than once`);
      out[k] = v;
    }
    return out;
  }
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError(Reason.invalid_request, "The request body is not valid JSON");
  }
}
