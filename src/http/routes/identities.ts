import { Hono } from "hono";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import {
  createIdentity,
  createIdentityInput,
  deleteManagedIdentity,
  getManagedIdentity,
  listOrganizationIdentities,
  publicIdentity,
  updateIdentityInput,
  updateManagedIdentity,
} from "../../admin/identities";
import { listIdentityTokens, revokeIdentityToken } from "../../admin/tokens";
import { requireAdmin } from "../admin-auth";
import { readBody } from "../body";
import { adminContext, type AppContext, type AppEnv } from "../context";
import { DomainError, Reason } from "../../errors";

/** `?organizationId=`; an org-admin identity may omit it and gets its own organization. */
export function organizationQuery(c: AppContext): string {
  const orgId = c.req.query("organizationId") ?? (c.var.actor.kind === "identity" ? c.var.actor.orgId : undefined);
  if (!orgId) throw new DomainError(Reason.invalid_request, "organizationId query parameter is required");
  return orgId;
}

export const identityAdminRoutes = new Hono<AppEnv>()
  .use("/api/v1/identities", requireAdmin)
  .use("/api/v1/identities/:id", requireAdmin)
  .use("/api/v1/identities/:id/access-tokens/*", requireAdmin)
  .use("/api/v1/identities/:id/access-tokens", requireAdmin)
  .post("/api/v1/identities", async (c) => {
    const input = await readBody(c, createIdentityInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ identity: publicIdentity(await createIdentity(adminContext(c), input)) });
  })
  .get("/api/v1/identities", async (c) => {
    const identities = await listOrganizationIdentities(adminContext(c), organizationQuery(c));
    return c.json({ identities: identities.map(publicIdentity) });
  })
  .get("/api/v1/identities/:id", async (c) =>
    c.json({ identity: publicIdentity(await getManagedIdentity(adminContext(c), c.req.param("id"))) }),
  )
  .patch("/api/v1/identities/:id", async (c) => {
    const input = await readBody(c, updateIdentityInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ identity: publicIdentity(await updateManagedIdentity(adminContext(c), c.req.param("id"), input)) });
  })
  .delete("/api/v1/identities/:id", async (c) =>
    c.json({ identity: publicIdentity(await deleteManagedIdentity(adminContext(c), c.req.param("id"))) }),
  )
  .get("/api/v1/identities/:id/access-tokens", async (c) =>
    c.json({ accessTokens: await listIdentityTokens(adminContext(c), c.req.param("id")) }),
  )
  .post("/api/v1/identities/:id/access-tokens/:tokenId/revoke", async (c) =>
    c.json({ accessToken: await revokeIdentityToken(adminContext(c), c.req.param("id"), c.req.param("tokenId")) }),
  );
