import { Hono } from "hono";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import {
  createProject,
  createProjectInput,
  deleteManagedProject,
  getManagedProject,
  getProjectMembership,
  listOrganizationProjects,
  listProjectMemberships,
  membershipRolesInput,
  removeProjectMembership,
  setProjectMembership,
} from "../../admin/projects";
import { requireAdmin } from "../admin-auth";
import { readBody } from "../body";
import { adminContext, type AppEnv } from "../context";
import { organizationQuery } from "./identities";

const MEMBER = "/api/v1/projects/:projectId/memberships/identities/:identityId";

export const projectRoutes = new Hono<AppEnv>()
  .use("/api/v1/projects", requireAdmin)
  .use("/api/v1/projects/*", requireAdmin)
  .post("/api/v1/projects", async (c) => {
    const input = await readBody(c, createProjectInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ project: await createProject(adminContext(c), input) });
  })
  .get("/api/v1/projects", async (c) =>
    c.json({ projects: await listOrganizationProjects(adminContext(c), organizationQuery(c)) }),
  )
  .get("/api/v1/projects/:projectId", async (c) =>
    c.json({ project: await getManagedProject(adminContext(c), c.req.param("projectId")) }),
  )
  .delete("/api/v1/projects/:projectId", async (c) =>
    c.json({ project: await deleteManagedProject(adminContext(c), c.req.param("projectId")) }),
  )
  .get("/api/v1/projects/:projectId/memberships/identities", async (c) =>
    c.json({ identityMemberships: await listProjectMemberships(adminContext(c), c.req.param("projectId")) }),
  )
  .post(MEMBER, async (c) => {
    const roles = await readBody(c, membershipRolesInput, MAX_ADMIN_BODY_BYTES);
    const { projectId, identityId } = c.req.param();
    return c.json({ identityMembership: await setProjectMembership(adminContext(c), projectId, identityId, roles, "create") });
  })
  .get(MEMBER, async (c) => {
    const { projectId, identityId } = c.req.param();
    return c.json({ identityMembership: await getProjectMembership(adminContext(c), projectId, identityId) });
  })
  .patch(MEMBER, async (c) => {
    const roles = await readBody(c, membershipRolesInput, MAX_ADMIN_BODY_BYTES);
    const { projectId, identityId } = c.req.param();
    return c.json({ identityMembership: await setProjectMembership(adminContext(c), projectId, identityId, roles, "update") });
  })
  .delete(MEMBER, async (c) => {
    const { projectId, identityId } = c.req.param();
    return c.json({ identityMembership: await removeProjectMembership(adminContext(c), projectId, identityId) });
  });
