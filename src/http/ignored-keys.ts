/**
 * Unknown members of an admin request body are ignored, as Infisical's request schemas ignore them (they
 * strip what they do not know), and said back in the answer so that a typo stays visible.
 *
 * Why ignore rather than refuse: Infisical's Terraform provider sends `identityId` inside the OIDC Auth
 * create and update bodies, and a read-then-update round trip (GET, edit, PATCH) sends the response-only
 * fields back (`id`, `identityId`, `createdAt`, `updatedAt`, ...). Refusing them broke those clients.
 *
 * What is said: one warning, `{ code: "unknown_keys_ignored", field, keys, message }`, where `keys` are the
 * paths of the ignored members (`identityId`, `accessTokenTrustedIps.0.note`), never their values. It is
 * appended to the answer's `warnings` (created when the answer has none: an answer gains `warnings` only
 * when there is something to say, so Infisical's shapes stay as they are otherwise). Map-like fields
 * (`boundClaims`, `claimMetadataMapping`: zod records) hold data as keys: never reported.
 *
 * Query parameters an admin read does not take are said the same way (the message names them as query
 * parameters): a misspelt filter must not pass for an unfiltered answer unnoticed.
 *
 * Duplicate member names, wrong types and other content types are still refused (./body.ts): only members
 * the schema does not name are ignored, and only on admin bodies. The login and token bodies (JSON or form)
 * ignore unknown members silently, as Infisical does, so their answers keep Infisical's exact shape.
 */
import type { MiddlewareHandler } from "hono";
import type * as z from "zod";
import type { AppContext, AppEnv } from "../request-context";
import { redactJwts } from "../observability/redact";

export const UNKNOWN_KEYS_IGNORED = "unknown_keys_ignored";

export interface IgnoredKeysWarning {
  code: typeof UNKNOWN_KEYS_IGNORED;
  /** the ignored paths, comma-separated (as `keys`), for readers that look at `field` only */
  field: string;
  keys: string[];
  message: string;
}

/** At most this many paths are listed (then "and N more"), each at most this long. */
const MAX_LISTED = 20;
const MAX_PATH_CHARS = 128;

/** zod's internal definition, as far as the walk reads it (zod 4: `schema._zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
}
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The paths of the members of `value` that `schema` does not name (and so strips). `value` is what the
 * schema accepted; parts of the schema the walk cannot see into (a lazy schema, a custom one) report nothing.
 */
export function unknownKeys(schema: z.ZodType, value: unknown, path = ""): string[] {
  const def = defOf(schema);
  const at = (key: string | number) => (path === "" ? String(key) : `${path}.${key}`);
  switch (def.type) {
    case "object": {
      if (!isPlainObject(value)) return [];
      const shape = def.shape ?? {};
      const out: string[] = [];
      for (const key of Object.keys(value)) {
        const known = Object.hasOwn(shape, key) ? shape[key] : undefined;
        if (known) out.push(...unknownKeys(known, value[key], at(key)));
        else if (!def.catchall || defOf(def.catchall).type === "never") out.push(at(key));
        else out.push(...unknownKeys(def.catchall, value[key], at(key)));
      }
      return out;
    }
    case "array":
      return Array.isArray(value) && def.element ? value.flatMap((v, i) => unknownKeys(def.element!, v, at(i))) : [];
    case "record":
      // Keys of a record are data (claim names); only its values can hold objects.
      return isPlainObject(value) && def.valueType
        ? Object.entries(value).flatMap(([k, v]) => unknownKeys(def.valueType!, v, at(k)))
        : [];
    case "union": {
      // The option that accepts the value is the one whose shape applies.
      const option = def.options?.find((o) => o.safeParse(value).success);
      return option ? unknownKeys(option, value, path) : [];
    }
    case "pipe":
      // `.transform()` is a pipe from the schema; `z.preprocess()` a pipe from a transform into the schema.
      if (def.in && defOf(def.in).type !== "transform") return unknownKeys(def.in, value, path);
      return def.out ? unknownKeys(def.out, value, path) : [];
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return def.innerType ? unknownKeys(def.innerType, value, path) : [];
    default:
      return [];
  }
}

/** Where the ignored names were: members of the body, or parameters of the query string. */
export type IgnoredIn = "body" | "query";

/** The warning for these ignored paths (none: null). */
export function ignoredKeysWarning(paths: string[], where: IgnoredIn = "body"): IgnoredKeysWarning | null {
  if (paths.length === 0) return null;
  // A name is the caller's text: cut, and never a token's even when a token was sent as a name (redact.ts).
  const keys = paths.slice(0, MAX_LISTED).map((p) => redactJwts(p.length > MAX_PATH_CHARS ? `${p.slice(0, MAX_PATH_CHARS)}…` : p));
  const more = paths.length > keys.length ? ` and ${paths.length - keys.length} more` : "";
  const what = where === "query" ? "query parameters this request takes" : "fields of this request";
  return {
    code: UNKNOWN_KEYS_IGNORED,
    field: keys.join(","),
    keys,
    message: `Ignored, not ${what}: ${keys.join(", ")}${more}.`,
  };
}

/** Notes the members of an admin body that `schema` ignores, for reportIgnoredKeys to say. */
export function noteIgnoredKeys(c: AppContext, schema: z.ZodType, value: unknown): void {
  const paths = unknownKeys(schema, value);
  if (paths.length > 0) c.set("ignoredKeys", [...(c.get("ignoredKeys") ?? []), ...paths]);
}

/**
 * Notes the query parameters `schema` (an object schema of the parameters a read takes) does not name.
 * A misspelt filter (`?organization=`) would otherwise answer the unfiltered read with nothing to say so.
 */
export function noteIgnoredQueryParams(c: AppContext, schema: z.ZodType, names: Iterable<string>): void {
  const sent = Object.fromEntries(Array.from(names, (name) => [name, ""]));
  const unknown = unknownKeys(schema, sent);
  if (unknown.length > 0) c.set("ignoredQueryParams", [...(c.get("ignoredQueryParams") ?? []), ...unknown]);
}

/**
 * Adds the warning about ignored members to a successful JSON object answer (appended to its `warnings`,
 * or as a new `warnings`). Only requests that ignored something pay for it (the answer is read again).
 */
export const reportIgnoredKeys: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  // c.get, not c.var: Hono's c.var copies every variable into a new object at each read, on every request.
  const paths = c.get("ignoredKeys");
  const params = c.get("ignoredQueryParams");
  if (!paths && !params) return; // the common case: nothing was ignored
  const said = [ignoredKeysWarning(params ?? [], "query"), ignoredKeysWarning(paths ?? [], "body")].filter((w) => w !== null);
  if (said.length === 0 || c.res.status !== 200 || !(c.res.headers.get("content-type") ?? "").startsWith("application/json")) return;
  const body = (await c.res.clone().json()) as unknown;
  if (!isPlainObject(body)) return;
  const warnings = Array.isArray(body.warnings) ? body.warnings : [];
  const headers = new Headers(c.res.headers);
  headers.delete("content-length");
  c.res = undefined; // replace the answer rather than merge headers into it (Hono's setter merges)
  c.res = new Response(JSON.stringify({ ...body, warnings: [...warnings, ...said] }), { status: 200, headers });
};
