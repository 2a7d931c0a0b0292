import type { Context } from "hono";
import type { AdminContext } from "../admin/actor";
import { adminContext, type AppContext, type AppEnv } from "../request-context";

/** Mount point of the console (src/http/app.ts). Every link and form action starts with it. */
export const BASE = "/admin";
export const href = (path = "") => `${BASE}${path}`;

/** Who is signed in, for the page header. */
export interface Viewer {
  kind: "admin-key" | "identity";
  label: string;
  /** an identity session is limited to this organization */
  orgId?: string;
}

export interface ConsoleEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** nonce of this response's inline style and script (Content-Security-Policy) */
    nonce: string;
    viewer: Viewer;
    /** the CSRF token of the session, put into every form */
    csrf: string;
    /** the POSTed form (read and CSRF-checked once, by the session middleware) */
    form: URLSearchParams;
    /** the signed-in session's id (its D1 row: sign-out deletes it) */
    sessionId: string;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

/**
 * The admin services' view of a console request: built exactly as the HTTP API builds it (adminContext),
 * so the console and the API are the same caller to src/admin/*. The console's context is the API's plus
 * a few console-only variables.
 */
export const adminCtx = (c: ConsoleContext): AdminContext => adminContext(c as unknown as AppContext);
