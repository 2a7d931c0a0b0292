import { Hono } from "hono";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import { propagateIdentityChange } from "../../admin/propagate";
import { parseOidcConfig } from "../../oidc/config-schema";
import {
  deleteOidcAuthConfig,
  getOidcAuthConfig,
  insertOidcAuthConfig,
  replaceOidcAuthConfig,
} from "../../storage/oidc-auth-configs";
import type { OidcAuthConfig } from "../../storage/records";
import { requireAdmin } from "../admin-auth";
import { readRawBody } from "../body";
import { allowInsecureIssuers, type AppContext, type AppEnv } from "../context";
import { badRequest, notFound, unprocessable } from "../errors";
import { managedIdentity } from "./identities";

const PATH = "/api/v1/auth/oidc-auth/identities/:identityId";

async function parsedConfig(c: AppContext, existing: OidcAuthConfig | null) {
  const input = await readRawBody(c, MAX_ADMIN_BODY_BYTES);
  const result = parseOidcConfig(input, existing, { allowInsecure: allowInsecureIssuers(c.env) });
  if (!result.ok) {
    const summary = result.issues.map((i) => (i.field ? `${i.field} ${i.message}` : i.message)).join("; ");
    throw unprocessable("invalid_oidc_config", `Invalid OIDC Auth configuration: ${summary}`, result.issues);
  }
  return result.fields;
}

async function existingConfig(c: AppContext, identityId: string): Promise<OidcAuthConfig> {
  const config = await getOidcAuthConfig(c.env.DB, identityId);
  if (!config) throw notFound("oidc_auth_not_configured", "This identity has no OIDC Auth configuration");
  return config;
}

export const oidcConfigRoutes = new Hono<AppEnv>()
  .use(PATH, requireAdmin)
  .post(PATH, async (c) => {
    const identity = await managedIdentity(c, c.req.param("identityId"));
    const fields = await parsedConfig(c, null);
    const created = await insertOidcAuthConfig(c.env.DB, identity.id, fields);
    if (!created) throw badRequest("auth_method_exists", "This identity already has OIDC Auth; use PATCH to change it");
    await propagateIdentityChange(c.env, identity);
    return c.json({ identityOidcAuth: created });
  })
  .patch(PATH, async (c) => {
    const identity = await managedIdentity(c, c.req.param("identityId"));
    const existing = await existingConfig(c, identity.id);
    const fields = await parsedConfig(c, existing);
    const updated = await replaceOidcAuthConfig(c.env.DB, identity.id, fields);
    await propagateIdentityChange(c.env, identity);
    return c.json({ identityOidcAuth: updated });
  })
  .get(PATH, async (c) => {
    const identity = await managedIdentity(c, c.req.param("identityId"));
    return c.json({ identityOidcAuth: await existingConfig(c, identity.id) });
  })
  .delete(PATH, async (c) => {
    const identity = await managedIdentity(c, c.req.param("identityId"));
    const existing = await existingConfig(c, identity.id);
    await deleteOidcAuthConfig(c.env.DB, identity.id);
    await propagateIdentityChange(c.env, identity);
    return c.json({ identityOidcAuth: existing });
  });
