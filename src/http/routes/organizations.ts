import { Hono } from "hono";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import {
  createOrganization,
  createOrganizationInput,
  getManagedOrganization,
  listVisibleOrganizations,
} from "../../admin/organizations";
import { requireAdmin, requireAdminKey } from "../admin-auth";
import { readBody } from "../body";
import { adminContext, type AppEnv } from "../context";

export const organizationRoutes = new Hono<AppEnv>()
  .use("/api/v1/organizations", requireAdmin)
  .use("/api/v1/organizations/*", requireAdmin)
  .post("/api/v1/organizations", requireAdminKey, async (c) => {
    const input = await readBody(c, createOrganizationInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ organization: await createOrganization(adminContext(c), input) });
  })
  .get("/api/v1/organizations", async (c) => c.json({ organizations: await listVisibleOrganizations(adminContext(c)) }))
  .get("/api/v1/organizations/:id", async (c) =>
    c.json({ organization: await getManagedOrganization(adminContext(c), c.req.param("id")) }),
  );
