import { Hono } from "hono";
import { z } from "zod";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import { getOrganization, getOrganizationBySlug, insertOrganization, listOrganizations } from "../../storage/organizations";
import { assertAdminKey, assertOrgAccess, requireAdmin } from "../admin-auth";
import { readBody } from "../body";
import type { AppEnv } from "../context";
import { ApiError, notFound } from "../errors";

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const createOrg = z.object({
  name: z.string().trim().min(1).max(64),
  slug: z.string().trim().min(1).max(64).regex(SLUG, "lowercase letters, digits and single dashes").optional(),
});

const slugTaken = () => new ApiError(409, "slug_taken", "An organization with this slug already exists");

export function slugify(name: string): string {
  const s = name.normalize("NFKD").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48);
  return s || "org";
}

export const organizationRoutes = new Hono<AppEnv>()
  .use("/api/v1/organizations", requireAdmin)
  .use("/api/v1/organizations/*", requireAdmin)
  .post("/api/v1/organizations", async (c) => {
    assertAdminKey(c.var.actor);
    const body = await readBody(c, createOrg, MAX_ADMIN_BODY_BYTES);
    let slug = body.slug ?? slugify(body.name);
    if (await getOrganizationBySlug(c.env.DB, slug)) {
      if (body.slug) throw slugTaken();
      slug = `${slug}-${crypto.randomUUID().slice(0, 6)}`;
    }
    let organization;
    try {
      organization = await insertOrganization(c.env.DB, { name: body.name, slug });
    } catch (err) {
      // Another request took the slug between our check and our insert: a conflict, not a 500.
      if (err instanceof Error && /UNIQUE constraint failed/i.test(err.message)) throw slugTaken();
      throw err;
    }
    return c.json({ organization }, 200);
  })
  .get("/api/v1/organizations", async (c) => {
    const actor = c.var.actor;
    const organizations = await listOrganizations(c.env.DB, actor.kind === "identity" ? [actor.orgId] : undefined);
    return c.json({ organizations });
  })
  .get("/api/v1/organizations/:id", async (c) => {
    const id = c.req.param("id");
    assertOrgAccess(c.var.actor, id);
    const organization = await getOrganization(c.env.DB, id);
    if (!organization) throw notFound("organization_not_found", "No organization has this id");
    return c.json({ organization });
  });
