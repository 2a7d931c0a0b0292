import { newId, nowIso } from "./ids";

export interface Project {
  id: string;
  orgId: string;
  name: string;
  slug: string;
  createdAt: string;
  updatedAt: string;
}

export interface IdentityMembership {
  id: string;
  identityId: string;
  projectId: string;
  roles: { role: string }[];
  createdAt: string;
  updatedAt: string;
}

const toProject = (r: Record<string, string>): Project => ({
  id: r.id!,
  orgId: r.org_id!,
  name: r.name!,
  slug: r.slug!,
  createdAt: r.created_at!,
  updatedAt: r.updated_at!,
});

const toMembership = (r: Record<string, string>): IdentityMembership => ({
  id: r.id!,
  identityId: r.identity_id!,
  projectId: r.project_id!,
  roles: (JSON.parse(r.roles!) as string[]).map((role) => ({ role })),
  createdAt: r.created_at!,
  updatedAt: r.updated_at!,
});

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
  roles: string[],
  before: IdentityMembership | null,
): { statement: D1PreparedStatement; membership: IdentityMembership } {
  const now = nowIso();
  const asRoles = roles.map((role) => ({ role }));
  if (before) {
    const statement = db
      .prepare("UPDATE project_identity_memberships SET roles = ?, updated_at = ? WHERE project_id = ? AND identity_id = ?")
      .bind(JSON.stringify(roles), now, projectId, identityId);
    return { statement, membership: { ...before, roles: asRoles, updatedAt: now } };
  }
  const id = newId();
  const statement = db
    .prepare(
      `INSERT INTO project_identity_memberships (id, project_id, identity_id, roles, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(project_id, identity_id) DO NOTHING`,
    )
    .bind(id, projectId, identityId, JSON.stringify(roles), now, now);
  return { statement, membership: { id, identityId, projectId, roles: asRoles, createdAt: now, updatedAt: now } };
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

export function deleteMembershipStatement(db: D1Database, projectId: string, identityId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM project_identity_memberships WHERE project_id = ? AND identity_id = ?").bind(projectId, identityId);
}
