import type { MiddlewareHandler } from "hono";
import { assertAdminSecretsStrong, isAdminKey } from "../admin/admin-key";
import { bearerToken, useAccessToken } from "../tokens/use-token";
import { clientIp, type Actor, type AppEnv } from "../request-context";
import { DomainError, Reason } from "../errors";
import { HttpRefusal } from "./errors";

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
 * admin (scoped to its own organization by `assertOrgAccess`). Using a token here is a use of it.
 */
export const requireAdmin = guard("admin", async (c, next) => {
  assertAdminSecretsStrong(c.env); // a weak admin key closes the whole admin API, whoever calls
  const token = bearerToken(c.req.header("authorization"));
  if (!token) {
    throw credentialsMissing("Send Authorization: Bearer <admin key or access token>");
  }
  let actor: Actor;
  if (await isAdminKey(token, c.env.ADMIN_API_KEY)) {
    actor = { kind: "admin-key" };
  } else if (token.split(".").length === 3) {
    const use = await useBearerToken(c.env, token, clientIp(c));
    if (use.policy.orgRole !== "admin") {
      throw new DomainError(Reason.insufficient_role, "Only identities with the organization role 'admin' may use the admin API");
    }
    actor = { kind: "identity", identityId: use.claims.sub, orgId: use.policy.orgId, tokenId: use.claims.jti };
  } else {
    throw withInvalidTokenChallenge(new DomainError(Reason.credentials_invalid));
  }
  c.set("actor", actor);
  await next();
});

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
