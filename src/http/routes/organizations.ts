import { Hono } from "../../hono";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import {
  createOrganization,
  createOrganizationInput,
  getManagedOrganization,
  listVisibleOrganizations,
} from "../../admin/organizations";
import { requireAdmin, requireAdminKey } from "../admin-auth";
import { readBody } from "../body";
import { adminContext, type AppEnv } from "../../request-context";
import { ADMIN_ERRORS, documented, get, LOOKUP_ERRORS, post, TAGS } from "../openapi/route-doc";
import { envelope, organizationSchema } from "../openapi/schemas";

const ORGANIZATIONS = "/api/v1/organizations";
const ORGANIZATION = "/api/v1/organizations/:id";

export const organizationRoutes = new Hono<AppEnv>()
  // Once: Hono's `/x/*` matches `/x` too (a second registration ran the guard, and spent a use, twice).
  .use(`${ORGANIZATIONS}/*`, requireAdmin)
  .post(ORGANIZATIONS, requireAdminKey, async (c) => {
    const input = await readBody(c, createOrganizationInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ organization: await createOrganization(adminContext(c), input) });
  })
  .get(ORGANIZATIONS, async (c) => c.json({ organizations: await listVisibleOrganizations(adminContext(c)) }))
  .get(ORGANIZATION, async (c) => c.json({ organization: await getManagedOrganization(adminContext(c), c.req.param("id")) }));

const organization = envelope("organization", organizationSchema);
export const organizationDocs = documented(organizationRoutes, TAGS.orgs, [
  post(ORGANIZATIONS, "Create an organization", {
    body: createOrganizationInput,
    response: organization,
    errors: [...ADMIN_ERRORS, 409, 422, 503],
  }),
  get(ORGANIZATIONS, "List organizations", {
    description: "All of them with the admin key; its own with an org-admin identity's token.",
    response: envelope("organizations", organizationSchema.array()),
    errors: ADMIN_ERRORS,
  }),
  get(ORGANIZATION, "Get an organization", { response: organization, errors: LOOKUP_ERRORS }),
]);
