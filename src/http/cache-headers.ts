import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../request-context";

/**
 * No answer of the service may be kept by a browser, a proxy or a CDN unless its route says so: login,
 * renew and token details carry tokens, the admin API and the console carry configuration, and a refusal
 * is about one request. So every response gets `Cache-Control: no-store` (and `Pragma: no-cache`, for
 * HTTP/1.0 caches and the clients that still look at it), whatever its status, unless the route set its
 * own `Cache-Control`: the public documents (`/openapi.json`, `/docs`, `/.well-known/jwks.json`) keep
 * `public, max-age=300` (docs/security.md, "Caching").
 */
export const noStore: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const chosen = c.res.headers.get("Cache-Control");
  if (chosen !== null && !chosen.includes("no-store")) return;
  try {
    c.res.headers.set("Cache-Control", chosen ?? "no-store");
    c.res.headers.set("Pragma", "no-cache");
  } catch {
    // A response with immutable headers (one passed through from a fetch): Hono copies it.
    c.header("Cache-Control", chosen ?? "no-store");
    c.header("Pragma", "no-cache");
  }
};
