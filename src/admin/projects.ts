import { canonicalId } from "../storage/ids";
import { parseIsoDateTime } from "../time/iso-date-time";
import * as z from "zod";
import { getOrganization } from "../storage/organizations";
import {
  deleteMembershipStatement,
  deleteProjectStatement,
  getMembership,
  getMembershipById,
  getProject,
  insertProjectStatement,
  listMemberships,
  listProjects,
  countProjects,
  projectMembers,
  putMembershipStatement,
  type IdentityMembership,
  type Project,
  type RoleGrantInput,
} from "../storage/projects";
import { getIdentity, listIdentities } from "../storage/identities";
import { parseTemporaryRange, temporaryRangeProblem } from "../tokens/role-grants";
import { nowMs } from "../time/clock";
import { PROJECT_ROLES, type Identity } from "../storage/records";
import { assertOrgAccess, type AdminContext } from "./actor";
import { changed, writeAudited } from "./audit";
import { getManagedIdentity } from "./identities";
import { getManagedOrganization, slugify, slugSchema } from "./organizations";
import { propagateIdentityChange } from "./propagate";
import { orgQuotas } from "../env";
import { DomainError, Reason } from "../errors";
import { displayName } from "./display-name";

export const createProjectInput = z.object({
  name: displayName,
  organizationId: z.string().trim().min(1).max(64).transform(canonicalId).describe("the organization the project belongs to"),
  slug: slugSchema.optional().describe("unique in the organization; 409 when taken. Omitted: made from the name, suffixed if taken"),
});

const projectRole = z.enum(PROJECT_ROLES).describe("project role");

/** The last instant an answer can write as an RFC 3339 date-time (year 9999). */
const LAST_WRITABLE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * One role as Infisical's clients send it. Permanent (`isTemporary` false or absent): the temporary fields
 * are ignored, whatever they hold (the Terraform provider sends `""` and a start time with every role).
 * Temporary: `temporaryRange` is required ("1h", "7d", ...: src/tokens/role-grants.ts), `temporaryMode`
 * is "relative" (the only mode, also when absent), and the window starts at `temporaryAccessStartTime`,
 * or now when absent. null reads as absent, so that a role read back from a GET can be sent as it is.
 */
const roleInput = z
  .object({
    role: projectRole,
    isTemporary: z.boolean().optional().describe("true: the role ends at temporaryAccessStartTime + temporaryRange"),
    temporaryMode: z.string().max(32).nullish().describe('"relative" (the only mode; the default for a temporary role)'),
    temporaryRange: z
      .string()
      .max(100)
      .nullish()
      .describe(
        'a temporary role\'s length: a number and a unit, as Infisical reads it ("30m", "1h", "7d", "2 weeks"); at most 10 years',
      ),
    temporaryAccessStartTime: z.string().max(64).nullish().describe("ISO 8601; when the temporary role starts (default: now)"),
  })
  .superRefine((r, ctx) => {
    if (r.isTemporary !== true) return;
    if (r.temporaryMode != null && r.temporaryMode !== "relative") {
      ctx.addIssue({ code: "custom", path: ["temporaryMode"], message: 'the only temporaryMode is "relative"' });
    }
    if (r.temporaryAccessStartTime != null && parseIsoDateTime(r.temporaryAccessStartTime) === null) {
      ctx.addIssue({
        code: "custom",
        path: ["temporaryAccessStartTime"],
        message: "an ISO 8601 date-time with a time zone, a real date from 1970 to 9999",
      });
    }
  });
export type RoleInput = z.output<typeof roleInput>;

/**
 * `{ roles: [{ role, isTemporary?, temporaryMode?, temporaryRange?, temporaryAccessStartTime? }] }`, or the
 * older `{ role }` some clients still send (`roles` wins when both are). Yields the roles as sent; the
 * temporary ranges are read by `setProjectMembership` (422 `temporary_range_invalid`).
 */
export const membershipRolesInput = z
  .object({
    roles: z.array(roleInput).min(1).max(8).optional().describe("the identity's roles in the project"),
    role: projectRole.optional().describe("one permanent role (the older form of `roles`)"),
    isTemporary: z
      .boolean()
      .optional()
      .describe("not taken next to `role`: a temporary role is sent in `roles` (true there is a 422, never a permanent role)"),
  })
  .refine((b) => b.roles !== undefined || b.role !== undefined, { message: "send roles (or role)", path: ["roles"] })
  // Whoever asked for temporary access must not get permanent access because the older form has no window.
  .refine((b) => b.roles !== undefined || b.isTemporary !== true, {
    message: "a temporary role is sent as roles: [{ role, isTemporary: true, temporaryRange }]; role alone is permanent",
    path: ["isTemporary"],
  })
  .transform((b): RoleInput[] => b.roles ?? [{ role: b.role! }]);

/**
 * The grants `roles` ask for, with their windows computed at `now`: 422 `temporary_range_invalid` for a
 * temporary role without a usable range. Identical entries collapse into one.
 */
export function roleGrants(roles: readonly RoleInput[], now: number): RoleGrantInput[] {
  const grants = new Map<string, RoleGrantInput>();
  roles.forEach((r, i) => {
    if (r.isTemporary !== true) {
      grants.set(`${r.role}`, { role: r.role, isTemporary: false });
      return;
    }
    const range = r.temporaryRange?.trim() ?? "";
    const rangeMs = parseTemporaryRange(range);
    if (rangeMs === null) {
      throw new DomainError(Reason.temporary_range_invalid, undefined, {
        details: [
          {
            field: `roles.${i}.temporaryRange`,
            message: temporaryRangeProblem(range),
          },
        ],
      });
    }
    const startMs = r.temporaryAccessStartTime == null ? now : Date.parse(r.temporaryAccessStartTime);
    if (startMs + rangeMs > LAST_WRITABLE_MS) {
      throw new DomainError(Reason.temporary_range_invalid, "The temporary role would end after the year 9999", {
        details: [{ field: `roles.${i}.temporaryAccessStartTime`, message: "the role would end after the year 9999" }],
      });
    }
    const grant = { role: r.role, isTemporary: true as const, temporaryRange: range, startMs, endMs: startMs + rangeMs };
    grants.set(`${r.role} ${range} ${startMs}`, grant);
  });
  return [...grants.values()];
}

/** What Infisical answers for an identity in a membership (its id, name and auth methods). */
export interface MembershipIdentity {
  id: string;
  name: string;
  authMethods: string[];
}

/** A membership as the API answers it: Infisical's shape, with the identity and the project nested. */
export interface MembershipView extends IdentityMembership {
  identity: MembershipIdentity;
  project: { id: string; name: string };
}

const membershipView = (m: IdentityMembership, identity: Identity, project: Project): MembershipView => ({
  ...m,
  identity: { id: identity.id, name: identity.name, authMethods: identity.authMethods },
  project: { id: project.id, name: project.name },
});

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
  const projects = await listProjects(ctx.env.DB, orgId);
  // As for identities: an empty list from an organization that does not exist is a typo to say.
  if (projects.length === 0) await getManagedOrganization(ctx, orgId);
  return projects;
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

/** Which part of a project's memberships to list: `search` matches identity names (case-insensitive). */
export interface MembershipPage {
  offset?: number | undefined;
  limit?: number | undefined;
  search?: string | undefined;
}

/** A project's memberships (oldest first), the page asked for, and how many match in all. */
export async function listProjectMemberships(
  ctx: AdminContext,
  projectId: string,
  page: MembershipPage = {},
): Promise<{ memberships: MembershipView[]; totalCount: number }> {
  const project = await getManagedProject(ctx, projectId);
  const [memberships, identities] = await Promise.all([
    listMemberships(ctx.env.DB, { projectId: project.id }),
    listIdentities(ctx.env.DB, project.orgId),
  ]);
  const byId = new Map(identities.map((i) => [i.id, i]));
  const needle = page.search?.toLowerCase() ?? "";
  const views = memberships.flatMap((m) => {
    const identity = byId.get(m.identityId);
    return identity && identity.name.toLowerCase().includes(needle) ? [membershipView(m, identity, project)] : [];
  });
  const offset = page.offset ?? 0;
  return { memberships: views.slice(offset, page.limit === undefined ? undefined : offset + page.limit), totalCount: views.length };
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

/** The identity a membership names (it exists: its memberships go with it). */
async function identityOf(ctx: AdminContext, m: IdentityMembership): Promise<Identity> {
  const identity = await getIdentity(ctx.env.DB, m.identityId);
  if (!identity) throw notMember(); // deleted meanwhile
  return identity;
}

export async function getProjectMembership(ctx: AdminContext, projectId: string, identityId: string): Promise<MembershipView> {
  const project = await getManagedProject(ctx, projectId);
  // The identity first, as PATCH and DELETE do: an unknown one is identity_not_found with every method.
  const identity = await memberOf(ctx, project, identityId);
  const membership = await getMembership(ctx.env.DB, project.id, identity.id);
  if (!membership) throw notMember();
  return membershipView(membership, identity, project);
}

/** A membership by its own id (what Infisical's Terraform provider imports by); 404 when not visible. */
export async function getProjectMembershipById(ctx: AdminContext, membershipId: string): Promise<MembershipView> {
  const membership = await getMembershipById(ctx.env.DB, membershipId);
  if (!membership) throw notMember();
  const project = await getProject(ctx.env.DB, membership.projectId);
  if (!project) throw notMember();
  assertOrgAccess(ctx.actor, project.orgId);
  return membershipView(membership, await identityOf(ctx, membership), project);
}

export async function setProjectMembership(
  ctx: AdminContext,
  projectId: string,
  identityId: string,
  roles: readonly RoleInput[],
  mode: "create" | "update",
): Promise<MembershipView> {
  const grants = roleGrants(roles, nowMs());
  const project = await getManagedProject(ctx, projectId);
  const identity = await memberOf(ctx, project, identityId);
  const before = mode === "update" ? await getMembership(ctx.env.DB, project.id, identity.id) : null;
  if (mode === "update" && !before) throw notMember();
  const { statement, membership } = putMembershipStatement(ctx.env.DB, project.id, identity.id, grants, before);
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
  return membershipView(membership, identity, project);
}

export async function removeProjectMembership(ctx: AdminContext, projectId: string, identityId: string): Promise<MembershipView> {
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
  return membershipView(membership, identity, project);
}

/** The projects an identity (managed by the actor) is a member of, with its roles in each. */
export async function listIdentityMemberships(ctx: AdminContext, identityId: string): Promise<IdentityMembership[]> {
  const identity = await getManagedIdentity(ctx, identityId);
  return listMemberships(ctx.env.DB, { identityId: identity.id });
}
