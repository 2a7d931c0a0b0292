import * as z from "zod";
import { getOrganization } from "../storage/organizations";
import {
  deleteMembershipStatement,
  deleteProjectStatement,
  getMembership,
  getProject,
  insertProjectStatement,
  listMemberships,
  listProjects,
  countProjects,
  projectMembers,
  putMembershipStatement,
  type IdentityMembership,
  type Project,
} from "../storage/projects";
import { PROJECT_ROLES, type Identity } from "../storage/records";
import { assertOrgAccess, type AdminContext } from "./actor";
import { changed, writeAudited } from "./audit";
import { getManagedIdentity } from "./identities";
import { slugify, slugSchema } from "./organizations";
import { propagateIdentityChange } from "./propagate";
import { orgQuotas } from "../env";
import { DomainError, Reason } from "../errors";

export const createProjectInput = z.object({
  name: z.string().trim().min(1).max(64).describe("display name"),
  organizationId: z.string().trim().min(1).max(64).describe("the organization the project belongs to"),
  slug: slugSchema.optional().describe("unique in the organization; 409 when taken. Omitted: made from the name, suffixed if taken"),
});

const projectRole = z.enum(PROJECT_ROLES).describe("project role");
/** `{ roles: [{ role }] }`, or the older `{ role }` some clients still send. Yields the role slugs. */
export const membershipRolesInput = z
  .union([
    z.object({
      roles: z
        .array(z.object({ role: projectRole }))
        .min(1)
        .max(8)
        .describe("the identity's roles in the project"),
    }),
    z.object({ role: projectRole.describe("one role (the older form of `roles`)") }),
  ])
  .transform((b) => [...new Set("roles" in b ? b.roles.map((r) => r.role) : [b.role])]);

export async function getManagedProject(ctx: AdminContext, id: string): Promise<Project> {
  const project = await getProject(ctx.env.DB, id);
  if (!project) throw new DomainError(Reason.project_not_found);
  assertOrgAccess(ctx.actor, project.orgId);
  return project;
}

export async function createProject(ctx: AdminContext, input: z.output<typeof createProjectInput>): Promise<Project> {
  assertOrgAccess(ctx.actor, input.organizationId);
  const db = ctx.env.DB;
  if (!(await getOrganization(db, input.organizationId))) {
    throw new DomainError(Reason.organization_not_found);
  }
  const base = { orgId: input.organizationId, name: input.name };
  const slugs = input.slug ? [input.slug] : [slugify(input.name), `${slugify(input.name)}-${crypto.randomUUID().slice(0, 6)}`];
  const limit = orgQuotas(ctx.env).projects;
  for (const slug of slugs) {
    const { statement, project } = insertProjectStatement(db, { ...base, slug }, limit);
    const results = await writeAudited(ctx, [statement], { event: "project.create", orgId: project.orgId, after: project });
    if (changed(results)) return project;
    // Nothing inserted: the quota, or else the slug.
    if ((await countProjects(db, project.orgId)) >= limit) {
      throw new DomainError(Reason.quota_exceeded, `The organization already has ${limit} projects, its quota`, {
        details: { quota: "projects", limit },
      });
    }
  }
  throw new DomainError(Reason.slug_taken, "A project with this slug already exists in the organization");
}

export async function listOrganizationProjects(ctx: AdminContext, orgId: string): Promise<Project[]> {
  assertOrgAccess(ctx.actor, orgId);
  return listProjects(ctx.env.DB, orgId);
}

export async function deleteManagedProject(ctx: AdminContext, id: string): Promise<Project> {
  const project = await getManagedProject(ctx, id);
  const members = await projectMembers(ctx.env.DB, project.id);
  const results = await writeAudited(ctx, [deleteProjectStatement(ctx.env.DB, project.id)], {
    event: "project.delete",
    orgId: project.orgId,
    before: project,
  });
  if (!changed(results)) throw new DomainError(Reason.project_not_found); // deleted meanwhile
  await Promise.all(members.map((m) => propagateIdentityChange(ctx.env, m)));
  return project;
}

export async function listProjectMemberships(ctx: AdminContext, projectId: string): Promise<IdentityMembership[]> {
  const project = await getManagedProject(ctx, projectId);
  return listMemberships(ctx.env.DB, { projectId: project.id });
}

/** The identity must belong to the project's organization. */
async function memberOf(ctx: AdminContext, project: Project, identityId: string): Promise<Identity> {
  const identity = await getManagedIdentity(ctx, identityId);
  if (identity.orgId !== project.orgId) {
    throw new DomainError(Reason.identity_not_in_organization);
  }
  return identity;
}

const notMember = () => new DomainError(Reason.membership_not_found);

export async function getProjectMembership(ctx: AdminContext, projectId: string, identityId: string): Promise<IdentityMembership> {
  const project = await getManagedProject(ctx, projectId);
  const membership = await getMembership(ctx.env.DB, project.id, identityId);
  if (!membership) throw notMember();
  return membership;
}

export async function setProjectMembership(
  ctx: AdminContext,
  projectId: string,
  identityId: string,
  roles: string[],
  mode: "create" | "update",
): Promise<IdentityMembership> {
  const project = await getManagedProject(ctx, projectId);
  const identity = await memberOf(ctx, project, identityId);
  const before = mode === "update" ? await getMembership(ctx.env.DB, project.id, identity.id) : null;
  if (mode === "update" && !before) throw notMember();
  const { statement, membership } = putMembershipStatement(ctx.env.DB, project.id, identity.id, roles, before);
  const results = await writeAudited(ctx, [statement], {
    event: mode === "create" ? "membership.create" : "membership.update",
    orgId: project.orgId,
    identityId: identity.id,
    before,
    after: membership,
  });
  if (!changed(results)) {
    if (mode === "create") throw new DomainError(Reason.membership_exists);
    throw notMember();
  }
  await propagateIdentityChange(ctx.env, identity);
  return membership;
}

export async function removeProjectMembership(ctx: AdminContext, projectId: string, identityId: string): Promise<IdentityMembership> {
  const project = await getManagedProject(ctx, projectId);
  const identity = await memberOf(ctx, project, identityId);
  const membership = await getMembership(ctx.env.DB, project.id, identity.id);
  if (!membership) throw notMember();
  const results = await writeAudited(ctx, [deleteMembershipStatement(ctx.env.DB, project.id, identity.id)], {
    event: "membership.delete",
    orgId: project.orgId,
    identityId: identity.id,
    before: membership,
  });
  if (!changed(results)) throw notMember();
  await propagateIdentityChange(ctx.env, identity);
  return membership;
}

/** The projects an identity (managed by the actor) is a member of, with its roles in each. */
export async function listIdentityMemberships(ctx: AdminContext, identityId: string): Promise<IdentityMembership[]> {
  const identity = await getManagedIdentity(ctx, identityId);
  return listMemberships(ctx.env.DB, { identityId: identity.id });
}
