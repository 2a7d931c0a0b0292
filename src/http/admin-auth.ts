import type { MiddlewareHandler } from "hono";
import { bearerToken, useAccessToken } from "../tokens/use-token";
import { clientIp, type Actor, type AppEnv } from "./context";
import { DomainError, Reason } from "../errors";
import { HttpRefusal } from "./errors";

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

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/** Constant-time: both sides are hashed to equal length first, so neither length nor content leaks. */
export async function isAdminKey(presented: string, configured: string | undefined): Promise<boolean> {
  if (!configured) return false;
  const [a, b] = await Promise.all([sha256(presented), sha256(configured)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * The admin API admits the deployment's admin key, or the access token of an identity whose org role is
 * admin (scoped to its own organization by `assertOrgAccess`). Using a token here is a use of it.
 */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
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
};

export { assertAdminKey, assertOrgAccess } from "../admin/actor";
