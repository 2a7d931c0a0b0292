import type { Identity, OrgRole } from "./records";
import { AUTH_METHOD_OIDC } from "./records";
import { newId, nowIso } from "./ids";

interface IdentityRow {
  id: string;
  org_id: string;
  name: string;
  role: OrgRole;
  state_object: string;
  has_oidc: number;
  created_at: string;
  updated_at: string;
}

const SELECT_IDENTITY = `
  SELECT i.*, EXISTS (SELECT 1 FROM identity_oidc_auths o WHERE o.identity_id = i.id) AS has_oidc
  FROM identities i`;

const toIdentity = (r: IdentityRow): Identity => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  role: r.role,
  stateObject: r.state_object,
  authMethods: r.has_oidc ? [AUTH_METHOD_OIDC] : [],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * The statement that inserts a new identity, and the identity it writes (src/admin batches it with its
 * audit row). It changes nothing when the organization already has `maxInOrg` identities: the count and
 * the insert are one statement, so concurrent creates cannot pass the quota together.
 */
export function insertIdentityStatement(
  db: D1Database,
  input: { orgId: string; name: string; role: OrgRole; stateObject: string },
  maxInOrg: number,
): { statement: D1PreparedStatement; identity: Identity } {
  const now = nowIso();
  const id = newId();
  const statement = db
    .prepare(
      `INSERT INTO identities (id, org_id, name, role, state_object, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM identities WHERE org_id = ?) < ?`,
    )
    .bind(id, input.orgId, input.name, input.role, input.stateObject, now, now, input.orgId, maxInOrg);
  return { statement, identity: { id, ...input, authMethods: [], createdAt: now, updatedAt: now } };
}

/** The statement getIdentity runs (the login context reads it in a batch), and its row as an Identity. */
export const identityStatement = (db: D1Database, id: string): D1PreparedStatement =>
  db.prepare(`${SELECT_IDENTITY} WHERE i.id = ?`).bind(id);
export const identityFromRow = (row: unknown): Identity => toIdentity(row as IdentityRow);

export async function getIdentity(db: D1Database, id: string): Promise<Identity | null> {
  const row = await db.prepare(`${SELECT_IDENTITY} WHERE i.id = ?`).bind(id).first<IdentityRow>();
  return row ? toIdentity(row) : null;
}

export async function listIdentities(db: D1Database, orgId: string): Promise<Identity[]> {
  const { results } = await db
    .prepare(`${SELECT_IDENTITY} WHERE i.org_id = ? ORDER BY i.created_at, i.id`)
    .bind(orgId)
    .all<IdentityRow>();
  return results.map(toIdentity);
}

/** The statement that changes `before`, and the identity it leaves. */
export function updateIdentityStatement(
  db: D1Database,
  before: Identity,
  patch: { name?: string | undefined; role?: OrgRole | undefined },
): { statement: D1PreparedStatement; identity: Identity } {
  const now = nowIso();
  const statement = db
    .prepare("UPDATE identities SET name = COALESCE(?, name), role = COALESCE(?, role), updated_at = ? WHERE id = ?")
    .bind(patch.name ?? null, patch.role ?? null, now, before.id);
  return { statement, identity: { ...before, name: patch.name ?? before.name, role: patch.role ?? before.role, updatedAt: now } };
}

export function deleteIdentityStatement(db: D1Database, id: string): D1PreparedStatement {
  // The OIDC config row goes with it (ON DELETE CASCADE needs foreign keys, which D1 enforces).
  return db.prepare("DELETE FROM identities WHERE id = ?").bind(id);
}

/**
 * The statement that revokes every token of the identity first issued at or before `at` (Unix seconds):
 * its policy's `tokensRevokedBefore`, never moved back. Changes no row when the identity is gone.
 */
export function revokeAllTokensStatement(db: D1Database, id: string, at: number): D1PreparedStatement {
  return db
    .prepare("UPDATE identities SET tokens_revoked_before = MAX(COALESCE(tokens_revoked_before, 0), ?) WHERE id = ?")
    .bind(at, id);
}
