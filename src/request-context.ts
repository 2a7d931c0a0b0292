/**
 * What the two HTTP-facing edges (the API in src/http and the console in src/console) read from a Hono
 * request: the Worker env, the client address, waitUntil, and the admin services' view of the caller.
 */
import type { Context } from "hono";
import { assertAdminKey, type Actor, type AdminContext } from "./admin/actor";
import { issuerIdentifier, type Env } from "./env";
import type { Caller } from "./tokens/caller";

export type { Actor };

export interface AppEnv {
  Bindings: Env;
  /** `adminKeyOnly`: set by requireAdminKey (src/http/admin-auth.ts); adminContext then admits the admin key only. */
  Variables: { reqId: string; actor: Actor; adminKeyOnly?: boolean };
}

export type AppContext = Context<AppEnv>;

/** The client address as Cloudflare saw it. X-Forwarded-For is caller-controlled and never read. */
export const clientIp = (c: AppContext): string | null => c.req.header("cf-connecting-ip") ?? null;

export const waitUntilOf = (c: AppContext) => (p: Promise<unknown>) => {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    void p; // no execution context (direct app.request in a unit test): let it run unawaited
  }
};

/** The caller as the token lifecycle sees it (src/tokens/caller.ts). */
export function callerOf(c: AppContext): Caller {
  const cf = c.req.raw.cf as { country?: unknown; colo?: unknown } | undefined;
  return {
    ip: clientIp(c),
    country: typeof cf?.country === "string" ? cf.country : null,
    colo: typeof cf?.colo === "string" ? cf.colo : null,
    issuer: issuerIdentifier(c.env, c.req.url),
    waitUntil: waitUntilOf(c),
  };
}

/** The admin services' view of a request (set by requireAdmin; requireAdminKey admits the admin key only). */
export const adminContext = (c: AppContext): AdminContext => {
  if (c.var.adminKeyOnly) assertAdminKey(c.var.actor);
  return { env: c.env, actor: c.var.actor, clientIp: clientIp(c), waitUntil: waitUntilOf(c) };
};
