/**
 * What the two HTTP-facing edges (the API in src/http and the console in src/console) read from a Hono
 * request: the Worker env, the client address, waitUntil, and the admin services' view of the caller.
 */
import type { Context } from "hono";
import { assertAdminKey, type Actor, type AdminContext } from "./admin/actor";
import { issuerIdentifier, type Env } from "./env";
import { canonicalClientAddress } from "./net/ip-ranges";
import type { Caller } from "./tokens/caller";

export type { Actor };

export interface AppEnv {
  Bindings: Env;
  /**
   * `adminKeyOnly`: set by requireAdminKey (src/http/admin-auth.ts); adminContext then admits the admin key only.
   * `adminAuthAttempt`: set by the HTTP app for the console (src/http/app.ts), whose sign-in is an admin
   * authentication limited and audited per client address like the API's (src/http/admin-auth.ts).
   * `ignoredKeys`: paths of the admin body's members that were ignored, said in the answer (src/http/ignored-keys.ts);
   * `ignoredQueryParams`: the same for the query parameters of an admin read.
   */
  Variables: {
    reqId: string;
    actor: Actor;
    adminKeyOnly?: boolean;
    adminAuthAttempt?: AdminAuthAttempt;
    ignoredKeys?: string[];
    ignoredQueryParams?: string[];
  };
}

export type AppContext = Context<AppEnv>;

/** Runs `authenticate` as one admin authentication of the request's client address (see AppEnv). */
export type AdminAuthAttempt = <T>(authenticate: () => Promise<T>) => Promise<T>;

/**
 * The client address as Cloudflare saw it, in its one canonical spelling (`::ffff:203.0.113.7` is
 * `203.0.113.7`): what rate limits key on, audit rows record and trusted IPs are checked against.
 * X-Forwarded-For is caller-controlled and never read.
 */
export const clientIp = (c: Context): string | null => canonicalClientAddress(c.req.header("cf-connecting-ip"));

export const waitUntilOf = (c: AppContext) => (p: Promise<unknown>) => {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    void p; // no execution context (direct app.request in a unit test): let it run unawaited
  }
};

/** The caller as the token lifecycle sees it (src/tokens/caller.ts); `ip` when the route already read it. */
export function callerOf(c: AppContext, ip: string | null = clientIp(c)): Caller {
  const cf = c.req.raw.cf as { country?: unknown; colo?: unknown } | undefined;
  return {
    ip,
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
