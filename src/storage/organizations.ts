import type { Organization } from "./records";
import { newId, nowIso } from "./ids";

interface OrganizationRow {
  id: string;
  name: string;
  slug: string;
  created_at: string;
  updated_at: string;
}

const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The statement that inserts a new organization (a taken slug fails it: UNIQUE), and the organization. */
export function insertOrganizationStatement(
  db: D1Database,
  input: { name: string; slug: string },
): { statement: D1PreparedStatement; organization: Organization } {
  const now = nowIso();
  const organization: Organization = { id: newId(), name: input.name, slug: input.slug, createdAt: now, updatedAt: now };
  const statement = db
    .prepare("INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
    .bind(organization.id, organization.name, organization.slug, now, now);
  return { statement, organization };
}

export async function getOrganization(db: D1Database, id: string): Promise<Organization | null> {
  const row = await db.prepare("SELECT * FROM organizations WHERE id = ?").bind(id).first<OrganizationRow>();
  return row ? toOrganization(row) : null;
}

export async function getOrganizationBySlug(db: D1Database, slug: string): Promise<Organization | null> {
  const row = await db.prepare("SELECT * FROM organizations WHERE slug = ?").bind(slug).first<OrganizationRow>();
  return row ? toOrganization(row) : null;
}

export async function listOrganizations(db: D1Database, ids?: readonly string[]): Promise<Organization[]> {
  if (ids && ids.length === 0) return [];
  const where = ids ? `WHERE id IN (${ids.map(() => "?").join(",")})` : "";
  const { results } = await db
    .prepare(`SELECT * FROM organizations ${where} ORDER BY created_at, id`)
    .bind(...(ids ?? []))
    .all<OrganizationRow>();
  return results.map(toOrganization);
}
