import { Hono } from "hono";
import { z } from "zod";
import { MAX_LOGIN_BODY_BYTES } from "../../constants";
import { authenticateIdToken } from "../../oidc/authenticate";
import { loadLoginContext } from "../../storage/login-context";
import { issueAccessToken } from "../../tokens/issue";
import { loadSigningKeys } from "../../tokens/signing-keys";
import { readBody } from "../body";
import { allowInsecureIssuers, clientIp, tokenCeilingSeconds, waitUntilOf, type AppEnv } from "../context";
import { notFound } from "../errors";

/** A JWT is at most this long here; larger bodies are refused before any decoding (docs/security.md). */
export const MAX_ID_TOKEN_LENGTH = 16 * 1024;

const loginBody = z.object({
  identityId: z.string().trim().min(1).max(128),
  jwt: z.string().trim().min(1).max(MAX_ID_TOKEN_LENGTH),
  organizationSlug: z.string().trim().max(128).optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const loginRoutes = new Hono<AppEnv>().post("/api/v1/auth/oidc-auth/login", async (c) => {
  const body = await readBody(c, loginBody, MAX_LOGIN_BODY_BYTES);
  const context = UUID.test(body.identityId) ? await loadLoginContext(c.env.DB, body.identityId) : null;
  if (!context) throw notFound("identity_not_found", "No identity has this identityId");
  if (body.organizationSlug && body.organizationSlug !== context.organization.slug) {
    throw notFound("identity_not_found", "No identity has this identityId in that organization");
  }
  const { identity, config } = context;
  if (!config) throw notFound("oidc_auth_not_configured", "This identity has no OIDC Auth configuration");

  const waitUntil = waitUntilOf(c);
  const idToken = await authenticateIdToken(
    { kv: c.env.CACHE, waitUntil, allowInsecureIssuers: allowInsecureIssuers(c.env) },
    config,
    body.jwt,
  );
  const keys = await loadSigningKeys(c.env.SIGNING_KEYS);
  const { response } = await issueAccessToken(keys, {
    identity,
    config,
    idToken,
    ceilingSeconds: tokenCeilingSeconds(c.env),
    db: c.env.DB,
    clientIp: clientIp(c),
    waitUntil,
  });
  return c.json(response);
});
