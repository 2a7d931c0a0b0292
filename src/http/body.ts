import type { z } from "zod";
import { parseStrictJson, StrictJsonError } from "../oidc/strict-json";
import type { AppContext } from "../request-context";
import { DomainError, Reason } from "../errors";
import { noteIgnoredKeys } from "./ignored-keys";

/**
 * What a route reads: `json` (every admin route: `application/json` only; members the schema does not name
 * are ignored and said in the answer, ./ignored-keys.ts), or `json-or-form` (login, renew and revoke, as
 * Infisical's clients send them: its CLI and SDKs send JSON, its GitHub Action a form; any type but a form
 * is read as JSON there, since fetch() labels a string body without a type text/plain; unknown members are
 * ignored silently there, as Infisical does, so those answers keep Infisical's exact shape).
 */
export type BodyEncodings = "json" | "json-or-form";

/**
 * Bodies nest at most this deep (the deepest real one, an OIDC configuration's trusted IPs, is 3): deeper
 * JSON is refused before anything walks it.
 */
const MAX_BODY_JSON_DEPTH = 32;

/**
 * Reads a body, bounded in size, and validates it. JSON is read as strictly as an ID token
 * (src/oidc/strict-json.ts): a member named twice (`{"role":"member","role":"admin"}`, which JSON.parse
 * would read as admin) is a 422, never "last one wins". Another content type is a 415; malformed input is
 * a 422 naming the fields; never a 500. A member the schema does not name is ignored (Infisical's schemas
 * strip them too); on an admin body the answer says which (./ignored-keys.ts).
 */
export async function readBody<S extends z.ZodType>(
  c: AppContext,
  schema: S,
  maxBytes: number,
  accept: BodyEncodings = "json",
): Promise<z.output<S>> {
  const raw = await readRawBody(c, maxBytes, accept);
  const data = validBody(schema, raw);
  if (accept === "json") noteIgnoredKeys(c, schema, raw);
  return data;
}

/** `raw` as `schema` reads it, or a 422 naming each field that is wrong. */
export function validBody<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new DomainError(Reason.invalid_request, "The request body is invalid", {
      details: parsed.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message })),
    });
  }
  return parsed.data;
}

/** One decoder for every body: without `stream`, each decode() starts afresh (a new one cost every login). */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** No form field may be repeated, unless a route names it here. */
const NOTHING_REPEATABLE: ReadonlySet<string> = new Set();

/**
 * `repeatable`: form fields that may be sent more than once (OAuth's `audience` and `resource`, RFC 8693
 * §2.1); each is then read as the array of its values. Every other field is refused when repeated.
 */
export async function readRawBody(
  c: AppContext,
  maxBytes: number,
  accept: BodyEncodings = "json",
  repeatable: ReadonlySet<string> = NOTHING_REPEATABLE,
): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) throw new DomainError(Reason.body_too_large, `The request body exceeds ${maxBytes} bytes`);
  let text: string;
  try {
    const buf = await c.req.arrayBuffer();
    if (buf.byteLength > maxBytes) throw new DomainError(Reason.body_too_large, `The request body exceeds ${maxBytes} bytes`);
    text = UTF8.decode(buf);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError(Reason.invalid_request, "The request body is not valid UTF-8");
  }
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (accept === "json-or-form") {
    if (type === "application/x-www-form-urlencoded") return readForm(text, repeatable);
    // A multipart form is a form, but not one these routes read: say so, rather than fail to read it as JSON.
    if (type === "multipart/form-data") {
      throw new DomainError(Reason.unsupported_media_type, "Send JSON or an application/x-www-form-urlencoded form");
    }
  } else if (type !== "application/json" && !(type === "" && text === "")) {
    // An admin body without a type is refused too: only an empty one says nothing that could be misread.
    throw new DomainError(Reason.unsupported_media_type, "Send the body as Content-Type: application/json");
  }
  if (text.trim() === "") return {};
  try {
    return parseStrictJson(text, { maxDepth: MAX_BODY_JSON_DEPTH, requireObject: false }); // the schema says what it takes
  } catch (err) {
    const problem = err instanceof StrictJsonError ? `: ${err.message}` : "";
    throw new DomainError(Reason.invalid_request, `The request body is not valid JSON${problem}`);
  }
}

function readForm(text: string, repeatable: ReadonlySet<string>): Record<string, string | string[]> {
  const form = new URLSearchParams(text);
  // No prototype: a field named "constructor" or "__proto__" is just a field (and is then ignored).
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [k, v] of form) {
    if (repeatable.has(k)) {
      const values = out[k];
      if (Array.isArray(values)) values.push(v);
      else out[k] = [v];
    } else if (Object.hasOwn(out, k)) {
      throw new DomainError(Reason.invalid_request, `The form field '${k.slice(0, 64)}' appears more than once`);
    } else out[k] = v;
  }
  return out;
}
