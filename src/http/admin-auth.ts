import type { Context, MiddlewareHandler } from "hono";
import { assertAdminSecretsStrong, isAdminKey } from "../admin/admin-key";
import { bearerToken, useAccessToken } from "../tokens/use-token";
import { clientIp, waitUntilOf, type Actor, type AppEnv } from "../request-context";
import { recordCountedAudit } from "../storage/audit-log";
import { DomainError, Reason } from "../errors";
import { HttpRefusal, refusalOf } from "./errors";
import { assertAdminAuthNotBlocked, countAdminAuthFailure } from "./rate-limit";

/**
 * Who may call a route: `none` (public), `accessToken` (an identity's access token), `admin` (the admin
 * key, or the access token of an org-admin identity, limited to its organization), `adminKey` (the admin
 * key only). Written once, on the guard that checks it; the OpenAPI document (src/http/openapi/) reads it
 * from the guards Hono runs before a route's handler, so it cannot call a guarded route public.
 */
export type RouteAuth = "none" | "accessToken" | "admin" | "adminKey";

/** A middleware that decides who may call, marked with whom it admits. */
export type Guard = MiddlewareHandler<AppEnv> & { readonly auth: RouteAuth };

export const guard = (auth: RouteAuth, check: MiddlewareHandler<AppEnv>): Guard => Object.assign(check, { auth });

const CHALLENGE = 'Bearer realm="edge-oidc-auth"';
const INVALID_TOKEN_CHALLENGE = `${CHALLENGE}, error="invalid_token"`;
/** RFC 6750 §3.1: the presented token is valid but may not do this (a 403). */
export const INSUFFICIENT_SCOPE_CHALLENGE = `${CHALLENGE}, error="insufficient_scope"`;

/**
 * RFC 6750 section 3: a 401 for a presented but unusable bearer token (invalid, expired, revoked, out of
 * uses) carries `WWW-Authenticate` with `error="invalid_token"`. Other errors pass through unchanged.
 */
export function withInvalidTokenChallenge(err: unknown): unknown {
  if (!(err instanceof DomainError) || err.kind !== "refused") return err;
  return new HttpRefusal(err, { "WWW-Authenticate": INVALID_TOKEN_CHALLENGE });
}

/** A request that sent no credentials: 401 with the bare challenge (RFC 6750 section 3.1). */
export function credentialsMissing(message: string): HttpRefusal {
  return new HttpRefusal(new DomainError(Reason.credentials_missing, message), { "WWW-Authenticate": CHALLENGE });
}

/** One use of a presented access token; a 401 refusal gets the invalid_token challenge. */
export async function useBearerToken(...args: Parameters<typeof useAccessToken>): ReturnType<typeof useAccessToken> {
  try {
    return await useAccessToken(...args);
  } catch (err) {
    throw withInvalidTokenChallenge(err);
  }
}

/**
 * The admin API admits the deployment's admin key, or the access token of an identity whose org role is
 * admin (scoped to its own organization by `assertOrgAccess`). Using a token here is a use of it: one per
 * request, and none when the token is refused (its role is judged by the identity's object before the use
 * is spent). A request that already passed it (a guard met twice on one route) is not judged again.
 */
export const requireAdmin = guard("admin", async (c, next) => {
  if (c.get("actor") !== undefined) return next();
  assertAdminSecretsStrong(c.env); // a weak admin key closes the whole admin API, whoever calls
  const token = bearerToken(c.req.header("authorization"));
  if (!token) {
    throw credentialsMissing("Send Authorization: Bearer <admin key or access token>");
  }
  c.set("actor", await adminAuthAttempt(c, () => adminActor(c, token)));
  await next();
});

async function adminActor(c: Context<AppEnv>, token: string): Promise<Actor> {
  if (await isAdminKey(token, c.env.ADMIN_API_KEY)) return { kind: "admin-key" };
  if (token.split(".").length !== 3) throw withInvalidTokenChallenge(new DomainError(Reason.credentials_invalid));
  const use = await useBearerToken(c.env, token, clientIp(c), { orgRole: "admin" });
  if (use.policy.orgRole !== "admin") {
    throw new DomainError(Reason.insufficient_role, "Only identities with the organization role 'admin' may use the admin API");
  }
  return { kind: "identity", identityId: use.claims.sub, orgId: use.policy.orgId, tokenId: use.claims.jti };
}

/**
 * One admin authentication from the request's client address, on the admin API or at the console's
 * sign-in (which reaches it as `c.var.adminAuthAttempt`, set by src/http/app.ts): refused 429 while the
 * address is blocked; a refused credential (401) counts against the address (ADMIN_AUTH_LIMITER,
 * src/http/rate-limit.ts), and the one that goes over the limit is answered 429 instead. Every failure,
 * 401 or 429, is audited as a count: one `admin.auth` row per (reason, address, minute), as logins naming no
 * identity are (recordCountedAudit, src/storage/audit-log.ts).
 */
export async function adminAuthAttempt<T>(c: Context<AppEnv>, authenticate: () => Promise<T>): Promise<T> {
  const ip = clientIp(c);
  const audit = (refusal: DomainError) =>
    recordCountedAudit(
      c.env.DB,
      { event: "admin.auth", outcome: "failure", reasonCode: refusal.reasonCode, clientIp: ip },
      waitUntilOf(c),
    );
  try {
    assertAdminAuthNotBlocked(ip);
  } catch (err) {
    if (err instanceof DomainError) audit(err);
    throw err;
  }
  try {
    return await authenticate();
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal?.kind !== "refused") throw err; // a 403 (valid credential, wrong role) is no guess
    const limited = await countAdminAuthFailure(c.env, ip);
    audit(limited ?? refusal);
    throw limited ?? err;
  }
}

/**
 * After requireAdmin: the route is the admin key's only (creating organizations). The handler's admin
 * context (adminContext) refuses any other actor with 403 `admin_key_required`; it is taken after the body
 * is read, so a malformed body is still a 422 first, as it was when only the service checked.
 */
export const requireAdminKey = guard("adminKey", async (c, next) => {
  c.set("adminKeyOnly", true);
  await next();
});

export { assertAdminKey, assertOrgAccess } from "../admin/actor";
