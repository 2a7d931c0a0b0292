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
import { adminContext, type AppEnv } from "../../request-context";
import { ADMIN_ERRORS, CHANGE_ERRORS, del, documented, get, LOOKUP_ERRORS, patch, post, TAGS } from "../openapi/route-doc";
import { envelope, identityMembershipSchema, projectSchema } from "../openapi/schemas";
import { organizationIdQuery, organizationQuery } from "./identities";

const PROJECTS = "/api/v1/projects";
const PROJECT = "/api/v1/projects/:projectId";
const MEMBERS = "/api/v1/projects/:projectId/memberships/identities";
const MEMBER = "/api/v1/projects/:projectId/memberships/identities/:identityId";

export const projectRoutes = new Hono<AppEnv>()
  // Once: Hono's `/x/*` matches `/x` too (a second registration ran the guard, and spent a use, twice).
  .use(`${PROJECTS}/*`, requireAdmin)
  .post(PROJECTS, async (c) => {
    const input = await readBody(c, createProjectInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ project: await createProject(adminContext(c), input) });
  })
  .get(PROJECTS, async (c) => c.json({ projects: await listOrganizationProjects(adminContext(c), organizationQuery(c)) }))
  .get(PROJECT, async (c) => c.json({ project: await getManagedProject(adminContext(c), c.req.param("projectId")) }))
  .delete(PROJECT, async (c) => c.json({ project: await deleteManagedProject(adminContext(c), c.req.param("projectId")) }))
  .get(MEMBERS, async (c) => c.json({ identityMemberships: await listProjectMemberships(adminContext(c), c.req.param("projectId")) }))
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

const project = envelope("project", projectSchema);
const membership = envelope("identityMembership", identityMembershipSchema);
export const projectDocs = documented(projectRoutes, TAGS.projects, [
  post(PROJECTS, "Create a project", {
    description: "409 `slug_taken`, or `quota_exceeded` when the organization has `ORG_MAX_PROJECTS` projects already.",
    body: createProjectInput,
    response: project,
    errors: [...LOOKUP_ERRORS, 409, 422, 503],
  }),
  get(PROJECTS, "List the projects of an organization", {
    query: organizationIdQuery,
    response: envelope("projects", projectSchema.array()),
    errors: [...ADMIN_ERRORS, 422],
  }),
  get(PROJECT, "Get a project", { response: project, errors: LOOKUP_ERRORS }),
  del(PROJECT, "Delete a project and its memberships", { response: project, errors: CHANGE_ERRORS }),
  get(MEMBERS, "List a project's identity memberships", {
    response: envelope("identityMemberships", identityMembershipSchema.array()),
    errors: LOOKUP_ERRORS,
  }),
  post(MEMBER, "Add an identity to a project", {
    description: "Body `{ roles: [{ role }] }`, or the older `{ role }`. 400 `membership_exists` when already a member.",
    body: membershipRolesInput,
    response: membership,
    errors: [400, ...CHANGE_ERRORS],
  }),
  get(MEMBER, "Get an identity's membership in a project", { response: membership, errors: LOOKUP_ERRORS }),
  patch(MEMBER, "Change an identity's project roles", { body: membershipRolesInput, response: membership, errors: CHANGE_ERRORS }),
  del(MEMBER, "Remove an identity from a project", { response: membership, errors: CHANGE_ERRORS }),
]);
