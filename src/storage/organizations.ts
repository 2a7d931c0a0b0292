import { LOCATION_HINTS, type LocationHint, type Organization } from "./records";
import { newId, nowIso } from "./ids";

interface OrganizationRow {
  id: string;
  name: string;
  slug: string;
  location_hint: string | null;
  created_at: string;
  updated_at: string;
}

const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  locationHint: (LOCATION_HINTS as readonly string[]).includes(r.location_hint ?? "") ? (r.location_hint as LocationHint) : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The statement that inserts a new organization (a taken slug fails it: UNIQUE), and the organization. */
export function insertOrganizationStatement(
  db: D1Database,
  input: { name: string; slug: string; locationHint?: LocationHint | null | undefined },
): { statement: D1PreparedStatement; organization: Organization } {
  const now = nowIso();
  const organization: Organization = {
    id: newId(),
    name: input.name,
    slug: input.slug,
    locationHint: input.locationHint ?? null,
    createdAt: now,
    updatedAt: now,
  };
  const statement = db
    .prepare("INSERT INTO organizations (id, name, slug, location_hint, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(organization.id, organization.name, organization.slug, organization.locationHint, now, now);
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

/** The organization of an identity, by the identity's id (one statement: the login context reads it in a batch). */
export function organizationOfIdentityStatement(db: D1Database, identityId: string): D1PreparedStatement {
  return db.prepare("SELECT * FROM organizations WHERE id = (SELECT org_id FROM identities WHERE id = ?)").bind(identityId);
}

export const organizationFromRow = (row: unknown): Organization => toOrganization(row as OrganizationRow);
