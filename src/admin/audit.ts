import { auditRetentionDays, type Env } from "../env";
import { auditedWrite, flushAudit, type AuditRecord } from "../storage/audit-log";
import { queryAudit, type AuditQuery, type AuditTiers } from "../storage/audit-read";
import { nowMs } from "../time/clock";
import { actorLabel, assertOrgAccess, type AdminContext } from "./actor";
import { DomainError, Reason } from "../errors";
import { getOrganization } from "../storage/organizations";
import { getIdentity } from "../storage/identities";

/**
 * Every admin change the audit log records, by event name: the one list the console's audit filter offers
 * (with the login events), so that a new change cannot be written without being findable there.
 */
export const ADMIN_CHANGE_EVENTS = [
  "identity.create",
  "identity.update",
  "identity.delete",
  "identity.revoke_tokens",
  "token.revoke",
  "oidc-auth.attach",
  "oidc-auth.update",
  "oidc-auth.detach",
  "project.create",
  "project.delete",
  "membership.create",
  "membership.update",
  "membership.delete",
  "organization.create",
  "console.sessions.end",
] as const;
export type AdminChangeEvent = (typeof ADMIN_CHANGE_EVENTS)[number];

export interface AuditedChange {
  event: AdminChangeEvent;
  orgId: string | null;
  identityId?: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Writes an admin change and its audit row (who made it, the record before and after) in one D1
 * transaction: a change that happened is in the audit log, and the log holds no change that did not happen
 * (docs/security.md, "Audit log"). The row is written only when the change's last statement changed a
 * row; the batch's results are returned for the caller to tell. A failed write is a 503, nothing written.
 */
export function writeAudited(
  ctx: AdminContext,
  statements: D1PreparedStatement[],
  change: AuditedChange,
  opts: { detailsSql?: string; always?: boolean } = {},
): Promise<D1Result[]> {
  return auditedWrite(
    ctx.env.DB,
    statements,
    {
      event: change.event,
      outcome: "success",
      orgId: change.orgId,
      identityId: change.identityId ?? null,
      actor: actorLabel(ctx.actor),
      clientIp: ctx.clientIp,
      details: { before: change.before ?? null, after: change.after ?? null },
    },
    opts,
  );
}

/** Whether the batch's first statement (the change itself) changed a row. */
export const changed = (results: D1Result[]): boolean => (results[0]?.meta.changes ?? 0) > 0;

/** Both tiers of the audit log (D1, and the R2 archive when bound), read up to the retention cutoff. */
export const auditTiers = (env: Pick<Env, "DB" | "AUDIT_ARCHIVE" | "AUDIT_RETENTION_DAYS">): AuditTiers => ({
  db: env.DB,
  archive: env.AUDIT_ARCHIVE,
  retentionCutoffMs: nowMs() - auditRetentionDays(env) * 86_400_000,
});

/**
 * The audit log as an admin may read it, across both tiers: an identity actor only its own organization's events (and the
 * organization filter defaults to it). Flushes this isolate's queue first, so a reader sees its own writes.
 */
export async function queryAuditLog(
  ctx: AdminContext,
  query: Omit<AuditQuery, "orgId"> & { orgId?: string | undefined },
): Promise<{ records: AuditRecord[]; nextCursor: string | null }> {
  const orgId = query.orgId ?? (ctx.actor.kind === "identity" ? ctx.actor.orgId : undefined);
  if (orgId) assertOrgAccess(ctx.actor, orgId);
  if (query.fromMs !== undefined && query.toMs !== undefined && query.fromMs > query.toMs) {
    const message = "from is later than to";
    throw new DomainError(Reason.invalid_request, `Invalid audit log query: ${message}`, { details: [{ field: "from", message }] });
  }
  await flushAudit(ctx.env.DB);
  const page = await queryAudit(auditTiers(ctx.env), { ...query, orgId });
  if (page.records.length === 0 && !query.cursor) await explainEmpty(ctx, orgId, query.identityId);
  return page;
}

/**
 * An empty first page says nothing wrong, unless it comes from a typo or a look elsewhere: an organization
 * that does not exist is a 404, and another organization's identity is a 403 for an org admin, as the
 * traffic API answers. (An identity that no longer exists keeps its history: it is not a 404.)
 */
async function explainEmpty(ctx: AdminContext, orgId: string | undefined, identityId: string | undefined): Promise<void> {
  if (orgId && !(await getOrganization(ctx.env.DB, orgId))) throw new DomainError(Reason.organization_not_found);
  if (identityId && ctx.actor.kind === "identity") {
    const identity = await getIdentity(ctx.env.DB, identityId);
    if (identity) assertOrgAccess(ctx.actor, identity.orgId);
  }
}
