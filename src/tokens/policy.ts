import { liveRules, type LiveRules } from "../oidc/live-rules";
import { toConfig, type OidcAuthRow } from "../storage/oidc-auth-configs";
import { parseStoredRoles } from "../storage/projects";
import type { OrgRole } from "../storage/records";
import { AUTH_METHOD_OIDC } from "../storage/records";
import { rolesInForce, type RoleWindow } from "./role-grants";

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
  /** auth method -> what its current configuration admits, for tokens issued under another one */
  liveRulesByMethod: Record<string, LiveRules>;
  /** project id -> every role granted there, temporary ones with their window */
  projectRoleGrants: Record<string, RoleWindow[]>;
  /**
   * Every token of the identity first issued at or before this second (Unix seconds) is revoked (an
   * admin's revoke-all); null when that never happened.
   */
  tokensRevokedBefore: number | null;
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
  tokens_revoked_before: number | null;
  org_name: string;
  org_slug: string;
}

export async function loadIdentityPolicy(db: D1Database, identityId: string): Promise<IdentityPolicy | null> {
  const [identity, oidc, memberships] = await db.batch([
    db
      .prepare(
        `SELECT i.id, i.org_id, i.role, i.name, i.created_at, i.updated_at, i.tokens_revoked_before,
           o.name AS org_name, o.slug AS org_slug
         FROM identities i JOIN organizations o ON o.id = i.org_id WHERE i.id = ?`,
      )
      .bind(identityId),
    db.prepare("SELECT * FROM identity_oidc_auths WHERE identity_id = ?").bind(identityId),
    db.prepare("SELECT id, project_id, roles FROM project_identity_memberships WHERE identity_id = ?").bind(identityId),
  ]);
  const row = identity?.results[0] as IdentityRow | undefined;
  if (!row) return null;
  const trustedIpsByMethod: Record<string, string[]> = {};
  const authConfigIdByMethod: Record<string, string> = {};
  const liveRulesByMethod: Record<string, LiveRules> = {};
  const oidcRow = oidc?.results[0] as OidcAuthRow | undefined;
  if (oidcRow) {
    // Read as the login reads it (toConfig), so that the fingerprints of one configuration agree.
    const config = toConfig(oidcRow);
    trustedIpsByMethod[AUTH_METHOD_OIDC] = config.accessTokenTrustedIps.map((i) => i.ipAddress);
    authConfigIdByMethod[AUTH_METHOD_OIDC] = config.id;
    liveRulesByMethod[AUTH_METHOD_OIDC] = await liveRules(config);
  }
  const projectRoleGrants: Record<string, RoleWindow[]> = {};
  for (const m of (memberships?.results ?? []) as { id: string; project_id: string; roles: string }[]) {
    projectRoleGrants[m.project_id] = parseStoredRoles(m.roles, { id: m.id, createdAt: "", updatedAt: "" }).map(roleWindow);
  }
  return {
    identityId: row.id,
    orgId: row.org_id,
    orgRole: row.role,
    trustedIpsByMethod,
    authConfigIdByMethod,
    liveRulesByMethod,
    projectRoleGrants,
    tokensRevokedBefore: row.tokens_revoked_before ?? null,
    identity: {
      name: row.name,
      authMethods: Object.keys(authConfigIdByMethod),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    },
    organization: { name: row.org_name, slug: row.org_slug },
  };
}

/**
 * A stored role as a window. A temporary role whose times do not read as dates (never written so) holds
 * no window at all: it is treated as ended, never as permanent.
 */
function roleWindow(r: {
  role: string;
  isTemporary: boolean;
  temporaryAccessStartTime: string | null;
  temporaryAccessEndTime: string | null;
}): RoleWindow {
  if (!r.isTemporary) return { role: r.role };
  const fromMs = Date.parse(r.temporaryAccessStartTime ?? "");
  const untilMs = Date.parse(r.temporaryAccessEndTime ?? "");
  return Number.isFinite(fromMs) && Number.isFinite(untilMs)
    ? { role: r.role, fromMs, untilMs }
    : { role: r.role, fromMs: 0, untilMs: 0 };
}

/**
 * What a use answers of the policy: what its callers (src/http, src/rpc, src/console) show or decide by.
 * Not the rules the object judged the token by (trusted IPs, configuration ids, live rules); the roles
 * in force the caller computes at its own now (`inForceAt`): every use crosses the Durable
 * Object's RPC boundary with it, so it is kept to that.
 */
export type UsePolicy = Pick<IdentityPolicy, "identityId" | "orgId" | "orgRole" | "projectRoleGrants" | "identity" | "organization">;

/**
 * project id -> role slugs in force at the caller's now (`inForceAt`), never cached: a temporary role ends at
 * its end time whenever the policy was loaded.
 */
export interface RolesInForce {
  projectRoles: Record<string, string[]>;
}

/** The policy a caller sees: a use's `UsePolicy` with the roles in force. */
export type CallerPolicy = UsePolicy & RolesInForce;

const usePolicies = new WeakMap<IdentityPolicy, UsePolicy>();

/** The `UsePolicy` of a loaded policy, made once per loaded policy (the object keeps the policy it loaded). */
export function usePolicyOf(policy: IdentityPolicy): UsePolicy {
  let view = usePolicies.get(policy);
  if (!view) {
    const { identityId, orgId, orgRole, projectRoleGrants, identity, organization } = policy;
    view = { identityId, orgId, orgRole, projectRoleGrants, identity, organization };
    usePolicies.set(policy, view);
  }
  return view;
}

/** `policy` with `projectRoles` the roles in force at `now` (a project whose roles have all ended stays, with none). */
export function inForceAt<P extends Pick<IdentityPolicy, "projectRoleGrants">>(policy: P, now: number): P & RolesInForce {
  const projectRoles: Record<string, string[]> = {};
  for (const [projectId, grants] of Object.entries(policy.projectRoleGrants)) projectRoles[projectId] = rolesInForce(grants, now);
  return { ...policy, projectRoles };
}
