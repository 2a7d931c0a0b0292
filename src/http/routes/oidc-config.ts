import { Hono } from "hono";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import { attachOidcAuth, detachOidcAuth, getOidcAuth, updateOidcAuth } from "../../admin/oidc-auth";
import { requireAdmin } from "../admin-auth";
import { readRawBody } from "../body";
import { adminContext, type AppEnv } from "../context";

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
  .delete(PATH, async (c) =>
    c.json({ identityOidcAuth: await detachOidcAuth(adminContext(c), c.req.param("identityId")) }),
  );
