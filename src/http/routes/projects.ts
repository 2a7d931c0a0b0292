import { Hono } from "../../hono";
import * as z from "zod";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import {
  createProject,
  createProjectInput,
  deleteManagedProject,
  getManagedProject,
  getProjectMembership,
  getProjectMembershipById,
  listOrganizationProjects,
  listProjectMemberships,
  membershipRolesInput,
  removeProjectMembership,
  setProjectMembership,
} from "../../admin/projects";
import { requireAdmin } from "../admin-auth";
import { readBody } from "../body";
import { adminContext, type AppContext, type AppEnv } from "../../request-context";
import { readQuery, wholeNumberParam } from "../query";
import { CHANGE_ERRORS, del, documented, get, LOOKUP_ERRORS, patch, post, TAGS } from "../openapi/route-doc";
import { envelope, identityMembershipSchema, ignoredWarnings, membershipRoleSchema, projectSchema } from "../openapi/schemas";
import { organizationIdQuery, organizationQuery } from "./identities";

const PROJECTS = "/api/v1/projects";
const PROJECT = "/api/v1/projects/:projectId";
const MEMBERS = "/api/v1/projects/:projectId/memberships/identities";
const MEMBER = "/api/v1/projects/:projectId/memberships/identities/:identityId";
// Infisical's older paths, still what its Terraform provider calls: the same handlers and answers.
const WORKSPACE = "/api/v2/workspace";
const V2_MEMBERS = "/api/v2/workspace/:projectId/identity-memberships";
const V2_MEMBER = "/api/v2/workspace/:projectId/identity-memberships/:identityId";
const V2_MEMBERSHIP = "/api/v2/workspace/identity-memberships/:membershipId";

/** The list's query, as Infisical's: a page by offset and limit, and a search on identity names. */
const membershipListQuery = z.object({
  offset: wholeNumberParam(0, 1_000_000_000).optional().describe("memberships to skip (default 0)"),
  limit: wholeNumberParam(1, 20000).optional().describe("at most this many (default: all)"),
  search: z.string().trim().max(64).optional().describe("only identities whose name contains this (case-insensitive)"),
  orderBy: z.string().max(32).optional().describe("accepted for Infisical's clients; the order is always oldest first"),
  orderDirection: z.string().max(8).optional().describe("accepted for Infisical's clients; ignored"),
});

const listMembers = async (c: AppContext) => {
  const { offset, limit, search } = readQuery(c, membershipListQuery, "membership list");
  const { memberships, totalCount } = await listProjectMemberships(adminContext(c), c.req.param("projectId")!, {
    offset,
    limit,
    search,
  });
  return c.json({ identityMemberships: memberships, totalCount });
};
const createMember = async (c: AppContext) => {
  const roles = await readBody(c, membershipRolesInput, MAX_ADMIN_BODY_BYTES);
  const { projectId, identityId } = c.req.param() as { projectId: string; identityId: string };
  return c.json({ identityMembership: await setProjectMembership(adminContext(c), projectId, identityId, roles, "create") });
};
const getMember = async (c: AppContext) => {
  const { projectId, identityId } = c.req.param() as { projectId: string; identityId: string };
  return c.json({ identityMembership: await getProjectMembership(adminContext(c), projectId, identityId) });
};
/** Infisical's PATCH answers `{ roles }` (each with `projectMembershipId`); ours the membership too. */
const updateMember = async (c: AppContext) => {
  const roles = await readBody(c, membershipRolesInput, MAX_ADMIN_BODY_BYTES);
  const { projectId, identityId } = c.req.param() as { projectId: string; identityId: string };
  const membership = await setProjectMembership(adminContext(c), projectId, identityId, roles, "update");
  return c.json({
    identityMembership: membership,
    roles: membership.roles.map((r) => ({ ...r, projectMembershipId: membership.id })),
  });
};
const removeMember = async (c: AppContext) => {
  const { projectId, identityId } = c.req.param() as { projectId: string; identityId: string };
  return c.json({ identityMembership: await removeProjectMembership(adminContext(c), projectId, identityId) });
};

export const projectRoutes = new Hono<AppEnv>()
  // Once: Hono's `/x/*` matches `/x` too (a second registration ran the guard, and spent a use, twice).
  .use(`${PROJECTS}/*`, requireAdmin)
  .use(`${WORKSPACE}/*`, requireAdmin)
  .post(PROJECTS, async (c) => {
    const input = await readBody(c, createProjectInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ project: await createProject(adminContext(c), input) });
  })
  .get(PROJECTS, async (c) => c.json({ projects: await listOrganizationProjects(adminContext(c), organizationQuery(c)) }))
  .get(PROJECT, async (c) => c.json({ project: await getManagedProject(adminContext(c), c.req.param("projectId")) }))
  .delete(PROJECT, async (c) => c.json({ project: await deleteManagedProject(adminContext(c), c.req.param("projectId")) }))
  .get(MEMBERS, listMembers)
  .post(MEMBER, createMember)
  .get(MEMBER, getMember)
  .patch(MEMBER, updateMember)
  .delete(MEMBER, removeMember)
  .get(V2_MEMBERSHIP, async (c) =>
    c.json({ identityMembership: await getProjectMembershipById(adminContext(c), c.req.param("membershipId")) }),
  )
  .get(V2_MEMBERS, listMembers)
  .post(V2_MEMBER, createMember)
  .get(V2_MEMBER, getMember)
  .patch(V2_MEMBER, updateMember)
  .delete(V2_MEMBER, removeMember);

const project = envelope("project", projectSchema);
const membership = envelope("identityMembership", identityMembershipSchema);
const updated = z.object({
  identityMembership: identityMembershipSchema,
  roles: membershipRoleSchema.extend({ projectMembershipId: z.string() }).array(),
});
const membershipList = z.object({
  identityMemberships: identityMembershipSchema.array(),
  totalCount: z.number().int(),
  warnings: ignoredWarnings,
});
const BODY_NOTE =
  "Body `{ roles: [{ role, isTemporary?, temporaryMode?, temporaryRange?, temporaryAccessStartTime? }] }`, or the older `{ role }`. " +
  'A temporary role (`isTemporary: true`, `temporaryRange` such as "1h" or "7d") ends at `temporaryAccessStartTime` (default now) ' +
  "plus the range: from then on no token use answers it. 422 `temporary_range_invalid` for a missing or unreadable range.";

/** The membership routes at one of their two paths. */
const membershipDocs = (members: string, member: string, older: boolean) => {
  const alias = older ? " (Infisical's older path, as its Terraform provider calls it)" : "";
  return [
    get(members, `List a project's identity memberships${alias}`, {
      query: membershipListQuery,
      response: membershipList,
      errors: [...LOOKUP_ERRORS, 422],
    }),
    post(member, `Add an identity to a project${alias}`, {
      description: `${BODY_NOTE} 400 \`membership_exists\` when already a member.`,
      body: membershipRolesInput,
      response: membership,
      errors: [400, ...CHANGE_ERRORS],
    }),
    get(member, `Get an identity's membership in a project${alias}`, { response: membership, errors: LOOKUP_ERRORS }),
    patch(member, `Change an identity's project roles${alias}`, {
      description: `${BODY_NOTE} The roles are replaced (each gets a new id). Answers the membership and, as Infisical does, \`roles\`.`,
      body: membershipRolesInput,
      response: updated,
      errors: CHANGE_ERRORS,
    }),
    del(member, `Remove an identity from a project${alias}`, { response: membership, errors: CHANGE_ERRORS }),
  ];
};

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
    errors: [...LOOKUP_ERRORS, 422],
  }),
  get(PROJECT, "Get a project", { response: project, errors: LOOKUP_ERRORS }),
  del(PROJECT, "Delete a project and its memberships", { response: project, errors: CHANGE_ERRORS }),
  ...membershipDocs(MEMBERS, MEMBER, false),
  ...membershipDocs(V2_MEMBERS, V2_MEMBER, true),
  get(V2_MEMBERSHIP, "Get an identity membership by its id (Infisical's Terraform provider imports by it)", {
    response: membership,
    errors: LOOKUP_ERRORS,
  }),
]);
