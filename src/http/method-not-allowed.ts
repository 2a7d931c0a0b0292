import type { Hono } from "hono";

/** Methods a route can be declared for (HEAD is answered by a GET route: Hono runs GET without the body). */
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** What Hono's router keeps of a route beside its handler: its method (`ALL` for middleware). */
type Matched = [[unknown, { method: string }], unknown];

/**
 * The methods some route of `app` answers at `path`, other than `method` (which found none): for a 405 with
 * its `Allow` (RFC 9110 §15.5.6) rather than a 404 that says the path does not exist. Middleware (`ALL`)
 * counts for nothing. Runs only for requests no route answered.
 */
export function allowedMethods(app: Hono<never>, method: string, path: string): string[] {
  const allowed: string[] = [];
  for (const candidate of METHODS) {
    if (candidate === method) continue;
    const [handlers] = app.router.match(candidate, path) as unknown as [Matched[]];
    if (handlers.some(([[, route]]) => route.method !== "ALL")) allowed.push(candidate);
  }
  if (allowed.includes("GET")) allowed.splice(allowed.indexOf("GET") + 1, 0, "HEAD");
  return allowed;
}
