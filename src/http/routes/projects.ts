import { Hono } from "hono";
import { z } from "zod";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import { propagateIdentityChange } from "../../admin/propagate";
import { getOrganization } from "../../storage/organizations";
import {
  deleteMembership,
  deleteProject,
  getMembership,
  getProject,
  insertProject,
  listMemberships,
  listProjects,
  upsertMembership,
  type Project,
} from "../../storage/projects";
import { PROJECT_ROLES } from "../../storage/records";
import { assertOrgAccess, requireAdmin } from "../admin-auth";
import { readBody } from "../body";
import type { AppContext, AppEnv } from "../context";
import { ApiError, notFound, unprocessable } from "../errors";
import { managedIdentity } from "./identities";
import { SLUG, slugify } from "./organizations";

const createProject = z.object({
  name: z.string().trim().min(1).max(64),
  organizationId: z.string().trim().min(1).max(64),
  slug: z.string().trim().min(1).max(64).regex(SLUG, "lowercase letters, digits and single dashes").optional(),
});

const projectRole = z.enum(PROJECT_ROLES);
/** `{ roles: [{ role }] }`, or the older `{ role }` some clients still send. */
const membershipBody = z
  .union([
    z.object({ roles: z.array(z.object({ role: projectRole })).min(1).max(8) }),
    z.object({ role: projectRole }),
  ])
  .transform((b) => [...new Set("roles" in b ? b.roles.map((r) => r.role) : [b.role])]);

async function managedProject(c: AppContext, id: string): Promise<Project> {
  const project = await getProject(c.env.DB, id);
  if (!project) throw notFound("project_not_found", "No project has this id");
  assertOrgAccess(c.var.actor, project.orgId);
  return project;
}

/** The identity must belong to the project's organization. */
async function memberCandidate(c: AppContext, project: Project, identityId: string) {
  const identity = await managedIdentity(c, identityId);
  if (identity.orgId !== project.orgId) {
    throw unprocessable("identity_not_in_organization", "The identity belongs to another organization than the project");
  }
  return identity;
}

const MEMBER = "/api/v1/projects/:projectId/memberships/identities/:identityId";

export const projectRoutes = new Hono<AppEnv>()
  .use("/api/v1/projects", requireAdmin)
  .use("/api/v1/projects/*", requireAdmin)
  .post("/api/v1/projects", async (c) => {
    const body = await readBody(c, createProject, MAX_ADMIN_BODY_BYTES);
    assertOrgAccess(c.var.actor, body.organizationId);
    if (!(await getOrganization(c.env.DB, body.organizationId))) {
      throw notFound("organization_not_found", "No organization has this id");
    }
    let project = await insertProject(c.env.DB, { orgId: body.organizationId, name: body.name, slug: body.slug ?? slugify(body.name) });
    if (!project && !body.slug) {
      project = await insertProject(c.env.DB, {
        orgId: body.organizationId,
        name: body.name,
        slug: `${slugify(body.name)}-${crypto.randomUUID().slice(0, 6)}`,
      });
    }
    if (!project) throw new ApiError(409, "slug_taken", "A project with this slug already exists in the organization");
    return c.json({ project });
  })
  .get("/api/v1/projects", async (c) => {
    const orgId = c.req.query("organizationId") ?? (c.var.actor.kind === "identity" ? c.var.actor.orgId : undefined);
    if (!orgId) throw unprocessable("invalid_request", "organizationId query parameter is required");
    assertOrgAccess(c.var.actor, orgId);
    return c.json({ projects: await listProjects(c.env.DB, orgId) });
  })
  .get("/api/v1/projects/:projectId", async (c) => {
    return c.json({ project: await managedProject(c, c.req.param("projectId")) });
  })
  .delete("/api/v1/projects/:projectId", async (c) => {
    const project = await managedProject(c, c.req.param("projectId"));
    const members = await deleteProject(c.env.DB, project.id);
    await Promise.all(members.map((m) => propagateIdentityChange(c.env, m)));
    return c.json({ project });
  })
  .get("/api/v1/projects/:projectId/memberships/identities", async (c) => {
    const project = await managedProject(c, c.req.param("projectId"));
    return c.json({ identityMemberships: await listMemberships(c.env.DB, { projectId: project.id }) });
  })
  .post(MEMBER, async (c) => {
    const project = await managedProject(c, c.req.param("projectId"));
    const identity = await memberCandidate(c, project, c.req.param("identityId"));
    const roles = await readBody(c, membershipBody, MAX_ADMIN_BODY_BYTES);
    const membership = await upsertMembership(c.env.DB, project.id, identity.id, roles, "create");
    if (!membership) throw new ApiError(400, "membership_exists", "The identity is already a member; use PATCH");
    await propagateIdentityChange(c.env, identity);
    return c.json({ identityMembership: membership });
  })
  .get(MEMBER, async (c) => {
    const project = await managedProject(c, c.req.param("projectId"));
    const membership = await getMembership(c.env.DB, project.id, c.req.param("identityId"));
    if (!membership) throw notFound("membership_not_found", "The identity is not a member of this project");
    return c.json({ identityMembership: membership });
  })
  .patch(MEMBER, async (c) => {
    const project = await managedProject(c, c.req.param("projectId"));
    const identity = await memberCandidate(c, project, c.req.param("identityId"));
    const roles = await readBody(c, membershipBody, MAX_ADMIN_BODY_BYTES);
    const membership = await upsertMembership(c.env.DB, project.id, identity.id, roles, "update");
    if (!membership) throw notFound("membership_not_found", "The identity is not a member of this project");
    await propagateIdentityChange(c.env, identity);
    return c.json({ identityMembership: membership });
  })
  .delete(MEMBER, async (c) => {
    const project = await managedProject(c, c.req.param("projectId"));
    const identity = await memberCandidate(c, project, c.req.param("identityId"));
    const membership = await getMembership(c.env.DB, project.id, identity.id);
    if (!membership || !(await deleteMembership(c.env.DB, project.id, identity.id))) {
      throw notFound("membership_not_found", "The identity is not a member of this project");
    }
    await propagateIdentityChange(c.env, identity);
    return c.json({ identityMembership: membership });
  });
