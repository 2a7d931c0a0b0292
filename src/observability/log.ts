/**
 * Structured JSON logs with the request id. Only codes, ids, sizes and durations are logged: never a
 * token, a JWT, a key, a CA certificate or an error object (jose errors carry the whole token payload).
 *
 * Every log line of the Worker goes through `log()` (test/integration/logs.test.ts checks src for stray
 * `console.*`). Inside a request, `reqId` is added from the request context, so code deep in the call tree
 * (a Durable Object call, a write-behind flush started by a request) logs with the id of the request that
 * caused it without passing it down.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { redactJwts } from "./redact";

type Level = "info" | "warn" | "error";
type Field = string | number | boolean | null | undefined;

interface RequestContext {
  /** the id, or how to make it on first use (an RPC call makes one only if it writes a log line) */
  reqId: string | (() => string);
}

const requestContext = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` with `reqId` as the request id of every log line written inside it (sync or async). A function
 * is called once, when a line first needs the id: a call that writes no line makes none.
 */
export function withRequestId<T>(reqId: string | (() => string), fn: () => T): T {
  return requestContext.run({ reqId }, fn);
}

/** The request id of the request being served, if any. */
export function currentReqId(): string | undefined {
  const store = requestContext.getStore();
  if (store === undefined) return undefined;
  if (typeof store.reqId === "function") store.reqId = store.reqId();
  return store.reqId;
}

/** Callers must not pass tokens at all; a JWT-shaped run in a string field is still replaced (./redact.ts). */
function scrub(value: Field): Field {
  return typeof value === "string" ? redactJwts(value) : value;
}

export function log(level: Level, event: string, fields: Record<string, Field> = {}): void {
  const out: Record<string, Field> = { level, event };
  const reqId = currentReqId();
  if (reqId !== undefined) out.reqId = reqId;
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = scrub(v);
  const line = JSON.stringify(out);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * The name of an error (TypeError, DomainError, ...) and nothing else: messages and payloads may hold
 * secrets. A jose error is named by its stable `code` (`ERR_JWS_INVALID`): jose names its errors after their
 * class, and the deployed bundle is minified without keeping class names (wrangler.toml `keep_names`).
 */
export const errorName = (err: unknown): string => {
  if (!(err instanceof Error)) return "Error";
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && JOSE_CODE.test(code)) return code;
  return typeof err.name === "string" ? err.name.slice(0, 64) : "Error";
};
const JOSE_CODE = /^ERR_[A-Z0-9_]{1,60}$/;
