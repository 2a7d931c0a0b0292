import { newId, nowIso } from "./ids";

export interface Project {
  id: string;
  orgId: string;
  name: string;
  slug: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * A role of a membership, in Infisical's shape. Permanent: the temporary fields are null. Temporary
 * (`temporaryMode: "relative"`): held from `temporaryAccessStartTime` until `temporaryAccessEndTime`
 * (start + `temporaryRange`), and no longer after (src/tokens/role-grants.ts). Custom roles do not exist
 * here: `customRoleId` and `customRoleSlug` are always null.
 */
export interface MembershipRole {
  id: string;
  role: string;
  customRoleId: null;
  customRoleSlug: null;
  isTemporary: boolean;
  temporaryMode: "relative" | null;
  temporaryRange: string | null;
  temporaryAccessStartTime: string | null;
  temporaryAccessEndTime: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A role to grant: permanent, or temporary with its window already computed. */
export type RoleGrantInput = Pick<MembershipRole, "role"> &
  ({ isTemporary: false } | { isTemporary: true; temporaryRange: string; startMs: number; endMs: number });

export interface IdentityMembership {
  id: string;
  identityId: string;
  projectId: string;
  roles: MembershipRole[];
  createdAt: string;
  updatedAt: string;
}

/**
 * The `roles` column: a JSON array of role records (migration 0009), or of bare role slugs as rows written
 * before it were (read as permanent roles, with an id made from the membership's and the position).
 */
export function parseStoredRoles(json: string, membership: { id: string; createdAt: string; updatedAt: string }): MembershipRole[] {
  const stored = JSON.parse(json) as (string | Partial<MembershipRole>)[];
  return stored.map((r, i) => {
    const base = { id: `${membership.id}-${i}`, createdAt: membership.createdAt, updatedAt: membership.updatedAt };
    const record = typeof r === "string" ? { ...base, role: r } : { ...base, ...r };
    const temporary = record.isTemporary === true;
    return {
      id: record.id,
      role: record.role ?? "",
      customRoleId: null,
      customRoleSlug: null,
      isTemporary: temporary,
      temporaryMode: temporary ? "relative" : null,
      temporaryRange: temporary ? (record.temporaryRange ?? null) : null,
      temporaryAccessStartTime: temporary ? (record.temporaryAccessStartTime ?? null) : null,
      temporaryAccessEndTime: temporary ? (record.temporaryAccessEndTime ?? null) : null,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  });
}

/** Role records for `grants`, created at `now` (each gets a new id, as Infisical replaces a membership's roles). */
function roleRecords(grants: readonly RoleGrantInput[], now: string): MembershipRole[] {
  return grants.map((g) => ({
    id: newId(),
    role: g.role,
    customRoleId: null,
    customRoleSlug: null,
    isTemporary: g.isTemporary,
    temporaryMode: g.isTemporary ? "relative" : null,
    temporaryRange: g.isTemporary ? g.temporaryRange : null,
    temporaryAccessStartTime: g.isTemporary ? new Date(g.startMs).toISOString() : null,
    temporaryAccessEndTime: g.isTemporary ? new Date(g.endMs).toISOString() : null,
    createdAt: now,
    updatedAt: now,
  }));
}

const toProject = (r: Record<string, string>): Project => ({
  id: r.id!,
  orgId: r.org_id!,
  name: r.name!,
  slug: r.slug!,
  createdAt: r.created_at!,
  updatedAt: r.updated_at!,
});

const toMembership = (r: Record<string, string>): IdentityMembership => {
  const base = { id: r.id!, identityId: r.identity_id!, projectId: r.project_id!, createdAt: r.created_at!, updatedAt: r.updated_at! };
  return { ...base, roles: parseStoredRoles(r.roles!, base) };
};

/**
 * The statement that inserts a project; it changes nothing when the slug is taken in that organization or
 * the organization already has `maxInOrg` projects (counted in the same statement).
 */
export function insertProjectStatement(
  db: D1Database,
  input: { orgId: string; name: string; slug: string },
  maxInOrg: number,
): { statement: D1PreparedStatement; project: Project } {
  const now = nowIso();
  const project = { id: newId(), ...input, createdAt: now, updatedAt: now };
  const statement = db
    .prepare(
      `INSERT INTO projects (id, org_id, name, slug, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM projects WHERE org_id = ?) < ?
       ON CONFLICT(org_id, slug) DO NOTHING`,
    )
    .bind(project.id, project.orgId, project.name, project.slug, now, now, project.orgId, maxInOrg);
  return { statement, project };
}

export async function countProjects(db: D1Database, orgId: string): Promise<number> {
  const row = await db.prepare("SELECT count(*) AS n FROM projects WHERE org_id = ?").bind(orgId).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function getProject(db: D1Database, id: string): Promise<Project | null> {
  const row = await db.prepare("SELECT * FROM projects WHERE id = ?").bind(id).first<Record<string, string>>();
  return row ? toProject(row) : null;
}

export async function listProjects(db: D1Database, orgId: string): Promise<Project[]> {
  const { results } = await db
    .prepare("SELECT * FROM projects WHERE org_id = ? ORDER BY created_at, id")
    .bind(orgId)
    .all<Record<string, string>>();
  return results.map(toProject);
}

/** Identities that are members of a project, so their token state can be told of a change. */
export async function projectMembers(db: D1Database, id: string): Promise<{ id: string; stateObject: string }[]> {
  const { results } = await db
    .prepare(
      `SELECT i.id, i.state_object FROM project_identity_memberships m JOIN identities i ON i.id = m.identity_id
       WHERE m.project_id = ?`,
    )
    .bind(id)
    .all<{ id: string; state_object: string }>();
  return results.map((r) => ({ id: r.id, stateObject: r.state_object }));
}

/** The statement that deletes a project (its memberships go with it: ON DELETE CASCADE). */
export function deleteProjectStatement(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare("DELETE FROM projects WHERE id = ?").bind(id);
}

/**
 * The statement that adds a membership (it changes nothing when there is one), or with `before` changes
 * that one's roles (nothing when it is gone meanwhile); and the membership it leaves.
 */
export function putMembershipStatement(
  db: D1Database,
  projectId: string,
  identityId: string,
  grants: readonly RoleGrantInput[],
  before: IdentityMembership | null,
): { statement: D1PreparedStatement; membership: IdentityMembership } {
  const now = nowIso();
  const roles = roleRecords(grants, now);
  const stored = JSON.stringify(roles);
  if (before) {
    const statement = db
      .prepare("UPDATE project_identity_memberships SET roles = ?, updated_at = ? WHERE project_id = ? AND identity_id = ?")
      .bind(stored, now, projectId, identityId);
    return { statement, membership: { ...before, roles, updatedAt: now } };
  }
  const id = newId();
  const statement = db
    .prepare(
      `INSERT INTO project_identity_memberships (id, project_id, identity_id, roles, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(project_id, identity_id) DO NOTHING`,
    )
    .bind(id, projectId, identityId, stored, now, now);
  return { statement, membership: { id, identityId, projectId, roles, createdAt: now, updatedAt: now } };
}

export async function getMembership(db: D1Database, projectId: string, identityId: string): Promise<IdentityMembership | null> {
  const row = await db
    .prepare("SELECT * FROM project_identity_memberships WHERE project_id = ? AND identity_id = ?")
    .bind(projectId, identityId)
    .first<Record<string, string>>();
  return row ? toMembership(row) : null;
}

export async function listMemberships(
  db: D1Database,
  by: { projectId: string } | { identityId: string },
): Promise<IdentityMembership[]> {
  const [column, value] = "projectId" in by ? ["project_id", by.projectId] : ["identity_id", by.identityId];
  const { results } = await db
    .prepare(`SELECT * FROM project_identity_memberships WHERE ${column} = ? ORDER BY created_at, id`)
    .bind(value)
    .all<Record<string, string>>();
  return results.map(toMembership);
}

export async function getMembershipById(db: D1Database, id: string): Promise<IdentityMembership | null> {
  const row = await db.prepare("SELECT * FROM project_identity_memberships WHERE id = ?").bind(id).first<Record<string, string>>();
  return row ? toMembership(row) : null;
}

export function deleteMembershipStatement(db: D1Database, projectId: string, identityId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM project_identity_memberships WHERE project_id = ? AND identity_id = ?").bind(projectId, identityId);
}
