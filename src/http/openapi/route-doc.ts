/**
 * How a route module documents its routes: next to its handlers it exports
 * `documented(itsHonoApp, tag, [get(PATH, summary, {...}), post(...), ...])`, written with the same path
 * constants the handlers register. ./document.ts turns every module's entries (./routes.ts) into the
 * OpenAPI document.
 *
 * Who may call a route is not written in an entry: it is read from the guards (src/http/admin-auth.ts)
 * that the module's Hono app runs before the route's handler, so the document cannot say "public" for a
 * guarded route. Request fields are described on the zod schemas themselves (`.describe()`).
 */
import { Hono } from "../../hono";
import type * as z from "zod";
import type { Guard, RouteAuth } from "../admin-auth";

export type HttpMethod = "get" | "post" | "patch" | "delete";

export const TAGS = {
  login: "Login and tokens",
  oauth: "OAuth 2.0",
  identity: "Token details",
  orgs: "Organizations",
  identities: "Identities",
  oidc: "OIDC Auth configuration",
  projects: "Projects and memberships",
  audit: "Audit logs",
  console: "Admin console",
  meta: "Service",
} as const;
export type Tag = (typeof TAGS)[keyof typeof TAGS];

/** What the document says about one route, besides its method, path and who may call it. */
export interface RouteDetails {
  description?: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  /**
   * `true`: the body may also be sent as application/x-www-form-urlencoded (Infisical's GitHub Action does).
   * `"only"`: the body is a form and nothing else (the OAuth endpoints, RFC 6749 §3.2).
   */
  formBody?: boolean | "only";
  /** 200 response: a JSON schema, or an HTML page. */
  response: z.ZodType | "html";
  /** Error statuses this route answers with. */
  errors: number[];
  /** The body of those errors, a named schema (./schemas.ts); default the Error schema. */
  errorBody?: z.ZodType;
}

export interface RouteDoc extends RouteDetails {
  method: HttpMethod;
  /** Hono's form (`:id`), the very constant the handler is registered with. */
  path: string;
  summary: string;
}

const entry =
  (method: HttpMethod) =>
  (path: string, summary: string, details: RouteDetails): RouteDoc => ({ method, path, summary, ...details });
export const get = entry("get");
export const post = entry("post");
export const patch = entry("patch");
export const del = entry("delete");

/** The admin API's refusals: no or bad credentials, wrong organization or role, rate limited. */
export const ADMIN_ERRORS = [401, 403, 429];
/** ... and the id in the path names nothing. */
export const LOOKUP_ERRORS = [...ADMIN_ERRORS, 404];
/** Changes that notify the identity's Durable Object answer 503 when it cannot be told (the change is saved). */
export const CHANGE_ERRORS = [...LOOKUP_ERRORS, 422, 503];

/** One route module's entries, and who may call each (read from the module's guards). */
export interface ModuleDocs {
  tag: Tag;
  routes: RouteDoc[];
  auth(route: RouteDoc): RouteAuth;
}

/** Any route module's app, whatever the types of its routes. */
// biome-ignore lint/suspicious/noExplicitAny: Hono's type parameters are invariant; any module's app must fit.
type AnyHono = Hono<any, any, any>;

/** A route module's entries; `app` is the module's Hono app, whose guards say who may call each route. */
export function documented(app: AnyHono, tag: Tag, routes: RouteDoc[]): ModuleDocs {
  let probe: AnyHono | undefined;
  return {
    tag,
    routes,
    // Matched on a copy of the app: matching builds (and freezes) a router, and the module's must stay open.
    auth: (route) => guardedBy((probe ??= new Hono().route("/", app)), route),
  };
}

const STRICTNESS: RouteAuth[] = ["none", "accessToken", "admin", "adminKey"];

/**
 * The strictest guard among what Hono runs for this route, in order, up to the route's handler (the last
 * one registered with its method and path: nothing after it runs). The path is matched with each
 * parameter filled in by its own name (`:id` as `id`).
 */
function guardedBy(app: AnyHono, route: RouteDoc): RouteAuth {
  const method = route.method.toUpperCase();
  const [matched] = app.router.match(method, route.path.replace(/:(\w+)/g, "$1"));
  const chain = matched.map(([[handler, registered]]) => ({ guard: (handler as Partial<Guard>).auth, registered }));
  const end = chain.findLastIndex(({ registered }) => registered.method === method && registered.path === route.path);
  if (end < 0) throw new Error(`OpenAPI: ${route.method} ${route.path} is documented but its module does not register it`);
  let auth: RouteAuth = "none";
  for (const { guard } of chain.slice(0, end + 1)) {
    if (guard && STRICTNESS.indexOf(guard) > STRICTNESS.indexOf(auth)) auth = guard;
  }
  return auth;
}
