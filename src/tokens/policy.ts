import type { OrgRole } from "../storage/records";
import { AUTH_METHOD_OIDC } from "../storage/records";

/**
 * What a token's use is checked against besides the token itself: the identity's current state.
 * The identity's Durable Object keeps it in memory, reloads it from D1 when an admin change tells it to.
 */
export interface IdentityPolicy {
  identityId: string;
  orgId: string;
  orgRole: OrgRole;
  /** auth method -> trusted IP ranges of that method's configuration */
  trustedIpsByMethod: Record<string, string[]>;
  /** auth method -> id of its current configuration (a detach and re-attach changes it) */
  authConfigIdByMethod: Record<string, string>;
  /** project id -> role slugs */
  projectRoles: Record<string, string[]>;
  /** what GET /api/v1/identities/details shows, so that a use needs no D1 read */
  identity: { name: string; authMethods: string[]; createdAt: string; updatedAt: string };
  organization: { name: string; slug: string };
}

interface IdentityRow {
  id: string;
  org_id: string;
  role: OrgRole;
  name: string;
  created_at: string;
  updated_at: string;
  org_name: string;
  org_slug: string;
}

export async function loadIdentityPolicy(db: D1Database, identityId: string): Promise<IdentityPolicy | null> {
  const [identity, oidc, memberships] = await db.batch([
    db
      .prepare(
        `SELECT i.id, i.org_id, i.role, i.name, i.created_at, i.updated_at, o.name AS org_name, o.slug AS org_slug
         FROM identities i JOIN organizations o ON o.id = i.org_id WHERE i.id = ?`,
      )
      .bind(identityId),
    db.prepare("SELECT id, access_token_trusted_ips FROM identity_oidc_auths WHERE identity_id = ?").bind(identityId),
    db.prepare("SELECT project_id, roles FROM project_identity_memberships WHERE identity_id = ?").bind(identityId),
  ]);
  const row = identity?.results[0] as IdentityRow | undefined;
  if (!row) return null;
  const trustedIpsByMethod: Record<string, string[]> = {};
  const authConfigIdByMethod: Record<string, string> = {};
  const oidcRow = oidc?.results[0] as { id: string; access_token_trusted_ips: string } | undefined;
  if (oidcRow) {
    const ips = JSON.parse(oidcRow.access_token_trusted_ips) as { ipAddress: string }[];
    trustedIpsByMethod[AUTH_METHOD_OIDC] = ips.map((i) => i.ipAddress);
    authConfigIdByMethod[AUTH_METHOD_OIDC] = oidcRow.id;
  }
  const projectRoles: Record<string, string[]> = {};
  for (const m of (memberships?.results ?? []) as { project_id: string; roles: string }[]) {
    projectRoles[m.project_id] = JSON.parse(m.roles) as string[];
  }
  return {
    identityId: row.id,
    orgId: row.org_id,
    orgRole: row.role,
    trustedIpsByMethod,
    authConfigIdByMethod,
    projectRoles,
    identity: { name: row.name, authMethods: Object.keys(authConfigIdByMethod), createdAt: row.created_at, updatedAt: row.updated_at },
    organization: { name: row.org_name, slug: row.org_slug },
  };
}
