/**
 * The only way this Worker talks to an IdP: GET, no redirects, a timeout, a size cap, JSON objects only.
 * Failures are typed so callers can tell "the IdP is down" (serve stale, or 503) from "the IdP answered
 * something unusable" (same treatment: we never trust a half-good answer).
 */
import { parseStrictJson, StrictJsonError } from "./strict-json";

export const IDP_FETCH_TIMEOUT_MS = 5_000;
/** Nesting of a discovery document or a JWKS (both 3 deep in practice). */
const IDP_JSON_MAX_DEPTH = 32;
export const IDP_MAX_RESPONSE_BYTES = 512 * 1024;

export class IdpFetchError extends Error {
  constructor(
    readonly kind: "unreachable" | "timeout" | "status" | "redirect" | "too_large" | "not_json",
    message: string,
  ) {
    super(message);
    this.name = "IdpFetchError";
  }
}

export async function fetchJsonObject(
  url: string,
  opts: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<Record<string, unknown>> {
  const timeoutMs = opts.timeoutMs ?? IDP_FETCH_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? IDP_MAX_RESPONSE_BYTES;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "GET",
      redirect: "manual",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new IdpFetchError(timedOut ? "timeout" : "unreachable", timedOut ? "timed out" : "unreachable");
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new IdpFetchError("redirect", `answered a redirect (${response.status}); redirects are not followed`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IdpFetchError("status", `answered HTTP ${response.status}`);
  }
  const type = response.headers.get("content-type") ?? "";
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type) && !/^application\/jwk-set\+json\b/i.test(type)) {
    await response.body?.cancel();
    throw new IdpFetchError("not_json", "answered with a non-JSON content type");
  }
  const text = await readCapped(response, maxBytes, timeoutMs);
  // Read as strictly as an ID token: a document naming `issuer` twice must not mean its last one.
  let value: unknown;
  try {
    value = parseStrictJson(text, { maxDepth: IDP_JSON_MAX_DEPTH });
  } catch (err) {
    const why = err instanceof StrictJsonError ? ` (${err.message})` : "";
    throw new IdpFetchError("not_json", `answered with malformed JSON${why}`);
  }
  return value as Record<string, unknown>;
}

async function readCapped(response: Response, maxBytes: number, timeoutMs: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new IdpFetchError("too_large", `response larger than ${maxBytes} bytes`);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) {
      await reader.cancel();
      throw new IdpFetchError("timeout", "timed out while sending the body");
    }
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new IdpFetchError("too_large", `response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(all);
}

/** Wraps a document parser so that a malformed answer counts as an IdP failure (stale-if-error applies). */
export function asIdpAnswer<T>(parse: (raw: unknown) => T): (raw: unknown) => T {
  return (raw) => {
    try {
      return parse(raw);
    } catch (err) {
      throw new IdpFetchError("not_json", err instanceof Error ? err.message : "unusable document");
    }
  };
}
