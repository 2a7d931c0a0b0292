/**
 * Last line of defence against echoing a token: a JWT-shaped run (`eyJ`, base64url of `{"`, then more
 * base64url, with or without its other segments) in a text is replaced. Callers must not put tokens in
 * logs or answers at all; this keeps a mistake, or a caller who sends a token where a name goes (a query
 * parameter, a body member), from getting one written or said back, even cut to its first characters.
 */
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_.-]*)?/g;

export const REDACTED_JWT = "[redacted-jwt]";

export function redactJwts(text: string): string {
  return text.includes("eyJ") ? text.replace(JWT_SHAPED, REDACTED_JWT) : text;
}

/** `value` with every string in it, at any depth (object keys too), passed through redactJwts. */
export function redactJwtsDeep<T>(value: T): T {
  if (typeof value === "string") return redactJwts(value) as T;
  if (Array.isArray(value)) return value.map(redactJwtsDeep) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactJwts(k), redactJwtsDeep(v)])) as T;
  }
  return value;
}
