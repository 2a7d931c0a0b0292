import { Hono } from "hono";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import { attachOidcAuth, detachOidcAuth, getOidcAuth, updateOidcAuth } from "../../admin/oidc-auth";
import { oidcConfigInputSchema } from "../../oidc/config-schema";
import { requireAdmin } from "../admin-auth";
import { readRawBody } from "../body";
import { adminContext, type AppEnv } from "../../request-context";
import { CHANGE_ERRORS, del, documented, get, LOOKUP_ERRORS, patch, post, TAGS } from "../openapi/route-doc";
import { envelope, identityOidcAuthSchema } from "../openapi/schemas";

const PATH = "/api/v1/auth/oidc-auth/identities/:identityId";

export const oidcConfigRoutes = new Hono<AppEnv>()
  .use(PATH, requireAdmin)
  .post(PATH, async (c) => {
    const input = await readRawBody(c, MAX_ADMIN_BODY_BYTES);
    return c.json({ identityOidcAuth: await attachOidcAuth(adminContext(c), c.req.param("identityId"), input) });
  })
  .patch(PATH, async (c) => {
    const input = await readRawBody(c, MAX_ADMIN_BODY_BYTES);
    return c.json({ identityOidcAuth: await updateOidcAuth(adminContext(c), c.req.param("identityId"), input) });
  })
  .get(PATH, async (c) => c.json({ identityOidcAuth: await getOidcAuth(adminContext(c), c.req.param("identityId")) }))
  .delete(PATH, async (c) => c.json({ identityOidcAuth: await detachOidcAuth(adminContext(c), c.req.param("identityId")) }));

const identityOidcAuth = envelope("identityOidcAuth", identityOidcAuthSchema);
export const oidcConfigDocs = documented(oidcConfigRoutes, TAGS.oidc, [
  post(PATH, "Attach OIDC Auth to an identity", {
    description:
      "Omitted fields take their defaults. A configuration must bind the subject or at least one identifying claim. " +
      "400 `auth_method_exists` when the identity already has OIDC Auth.",
    // POST needs the two fields PATCH may leave out; otherwise the schema the services parse with.
    body: oidcConfigInputSchema.required({ oidcDiscoveryUrl: true, boundIssuer: true }),
    response: identityOidcAuth,
    errors: [400, ...CHANGE_ERRORS],
  }),
  patch(PATH, "Change an identity's OIDC Auth configuration", {
    description: "Only the fields sent change; the result is validated as a whole.",
    body: oidcConfigInputSchema,
    response: identityOidcAuth,
    errors: CHANGE_ERRORS,
  }),
  get(PATH, "Get an identity's OIDC Auth configuration", { response: identityOidcAuth, errors: LOOKUP_ERRORS }),
  del(PATH, "Detach OIDC Auth from an identity", {
    description: "Tokens issued under it fail at their next use, also after a new attach.",
    response: identityOidcAuth,
    errors: CHANGE_ERRORS,
  }),
]);
