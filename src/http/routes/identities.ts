import { Hono } from "hono";
import { z } from "zod";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import { propagateIdentityChange } from "../../admin/propagate";
import { deleteIdentity, getIdentity, insertIdentity, listIdentities, updateIdentity } from "../../storage/identities";
import { getOrganization } from "../../storage/organizations";
import { ORG_ROLES, type Identity } from "../../storage/records";
import { assertOrgAccess, requireAdmin } from "../admin-auth";
import { readBody } from "../body";
import type { AppContext, AppEnv } from "../context";
import { notFound, unprocessable } from "../errors";

const createIdentity = z.object({
  name: z.string().trim().min(1).max(64),
  organizationId: z.string().trim().min(1).max(64),
  role: z.enum(ORG_ROLES).default("no-access"),
});
const patchIdentity = z
  .object({ name: z.string().trim().min(1).max(64).optional(), role: z.enum(ORG_ROLES).optional() })
  .refine((v) => v.name !== undefined || v.role !== undefined, "send name or role");

/** Loads an identity the actor may manage; 404 when missing, 403 when in another organization. */
export async function managedIdentity(c: AppContext, id: string): Promise<Identity> {
  const identity = await getIdentity(c.env.DB, id);
  if (!identity) throw notFound("identity_not_found", "No identity has this id");
  assertOrgAccess(c.var.actor, identity.orgId);
  return identity;
}

/** Each identity gets its own token-state Durable Object, placed near where it is created. */
const newStateObjectId = (c: AppContext) => c.env.TOKEN_STATE.newUniqueId().toString();

export const identityAdminRoutes = new Hono<AppEnv>()
  .use("/api/v1/identities", requireAdmin)
  .use("/api/v1/identities/:id", requireAdmin)
  .post("/api/v1/identities", async (c) => {
    const body = await readBody(c, createIdentity, MAX_ADMIN_BODY_BYTES);
    assertOrgAccess(c.var.actor, body.organizationId);
    if (!(await getOrganization(c.env.DB, body.organizationId))) {
      throw notFound("organization_not_found", "No organization has this id");
    }
    const identity = await insertIdentity(c.env.DB, {
      orgId: body.organizationId,
      name: body.name,
      role: body.role,
      stateObject: newStateObjectId(c),
    });
    return c.json({ identity: publicIdentity(identity) });
  })
  .get("/api/v1/identities", async (c) => {
    const orgId = c.req.query("organizationId") ?? (c.var.actor.kind === "identity" ? c.var.actor.orgId : undefined);
    if (!orgId) throw unprocessable("invalid_request", "organizationId query parameter is required");
    assertOrgAccess(c.var.actor, orgId);
    const identities = await listIdentities(c.env.DB, orgId);
    return c.json({ identities: identities.map(publicIdentity) });
  })
  .get("/api/v1/identities/:id", async (c) => {
    const identity = await managedIdentity(c, c.req.param("id"));
    return c.json({ identity: publicIdentity(identity) });
  })
  .patch("/api/v1/identities/:id", async (c) => {
    const identity = await managedIdentity(c, c.req.param("id"));
    const body = await readBody(c, patchIdentity, MAX_ADMIN_BODY_BYTES);
    const updated = (await updateIdentity(c.env.DB, identity.id, body))!;
    await propagateIdentityChange(c.env, identity);
    return c.json({ identity: publicIdentity(updated) });
  })
  .delete("/api/v1/identities/:id", async (c) => {
    const identity = await managedIdentity(c, c.req.param("id"));
    await deleteIdentity(c.env.DB, identity.id);
    await propagateIdentityChange(c.env, identity);
    return c.json({ identity: publicIdentity(identity) });
  });

/** The API shape (Infisical's): no internal Durable Object id. */
export function publicIdentity(i: Identity) {
  return {
    id: i.id,
    name: i.name,
    orgId: i.orgId,
    role: i.role,
    authMethods: i.authMethods,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}
