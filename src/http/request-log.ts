import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { log, withRequestId } from "../observability/log";
import type { AppContext, AppEnv } from "../request-context";
import { Reason } from "../errors";
import { refusalOf } from "./errors";

/**
 * First middleware of the app: gives the request its id (`X-Request-Id`, `reqId` in error bodies and in
 * every log line written while it is served) and writes one access log line when it is done:
 *
 *   {"level":"info","event":"request","reqId":"req-…","method":"POST","route":"/api/v1/auth/oidc-auth/login",
 *    "status":401,"durationMs":3,"reasonCode":"subject_not_allowed"}
 *
 * `route` is the matched route *pattern* (`/api/v1/identities/:id`), never the path or the query string,
 * which may carry ids or secrets a caller put there. No header, body or token is logged.
 * `durationMs` is the Workers clock, which advances with I/O, not with CPU time.
 *
 * Refusals and errors (status >= 400) are always logged. Answers below 400 are logged at the rate
 * ACCESS_LOG_SAMPLE_RATE (0 to 1; wrangler.toml sets 0.01): Workers Logs already records every
 * invocation, and a successful login is in the audit log, so a line per success mostly adds cost.
 */
export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const reqId = `req-${crypto.randomUUID()}`;
  c.set("reqId", reqId);
  const started = Date.now();
  await withRequestId(reqId, async () => {
    await next();
    setResponseHeader(c, "X-Request-Id", reqId);
    const status = c.res.status;
    if (status < 400 && !sampled(c.env.ACCESS_LOG_SAMPLE_RATE)) return;
    log(status >= 500 ? "error" : "info", "request", {
      method: c.req.method.slice(0, 16),
      route: routePattern(c),
      status,
      durationMs: Date.now() - started,
      reasonCode: status >= 400 ? reasonCodeOf(c) : undefined,
    });
  });
};

/**
 * Sets a header on the answer in place. `c.header` after the handler answered copies the whole Response
 * (Hono cannot know its headers are mutable): a second Response per request. Only a response with
 * immutable headers (one passed through from a fetch) is copied, by `c.header`.
 */
export function setResponseHeader(c: AppContext, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

const DEFAULT_SAMPLE_RATE = 1;
let parsedRate: { from: string | undefined; rate: number } = { from: undefined, rate: DEFAULT_SAMPLE_RATE };

/** Whether to log one answer below 400; an unset or unreadable rate logs everything. */
function sampled(setting: string | undefined): boolean {
  if (parsedRate.from !== setting) {
    const n = setting === undefined || setting.trim() === "" ? NaN : Number(setting);
    parsedRate = { from: setting, rate: Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : DEFAULT_SAMPLE_RATE };
  }
  const { rate } = parsedRate;
  return rate >= 1 || (rate > 0 && Math.random() < rate);
}

/**
 * The pattern of the route that answered: the last handler that ran, or, when a middleware answered (a
 * refused admin credential), the first route after it. "(unmatched)" when no route matched (a 404).
 */
function routePattern(c: AppContext): string {
  const routes = matchedRoutes(c);
  for (let i = c.req.routeIndex; i < routes.length; i++) {
    const r = routes[i];
    if (r && r.method !== "ALL") return r.path;
  }
  return "(unmatched)";
}

function reasonCodeOf(c: AppContext): string {
  const err = c.error;
  const refusal = refusalOf(err);
  if (refusal) return refusal.reasonCode;
  if (err) return Reason.internal_error;
  // Answers no refusal went into: a route's 404, and a console form shown again with its fields' problems.
  if (c.res.status === 404) return Reason.route_not_found;
  return c.res.status === 422 ? Reason.invalid_request : "unknown";
}
