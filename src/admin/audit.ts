import { flushAudit, queryAudit, recordAudit, type AuditQuery, type AuditRecord } from "../storage/audit-log";
import { actorLabel, assertOrgAccess, type AdminContext } from "./actor";

/** Every admin change is audited with who made it and the record before and after. */
export function auditChange(
  ctx: AdminContext,
  change: { event: string; orgId: string; identityId?: string | null; before?: unknown; after?: unknown },
): void {
  recordAudit(
    ctx.env.DB,
    {
      event: change.event,
      outcome: "success",
      orgId: change.orgId,
      identityId: change.identityId ?? null,
      actor: actorLabel(ctx.actor),
      clientIp: ctx.clientIp,
      details: { before: change.before ?? null, after: change.after ?? null },
    },
    ctx.waitUntil,
  );
}

/**
 * The audit log as an admin may read it: an identity actor only its own organization's events (and the
 * organization filter defaults to it). Flushes this isolate's queue first, so a reader sees its own writes.
 */
export async function queryAuditLog(
  ctx: AdminContext,
  query: Omit<AuditQuery, "orgId"> & { orgId?: string | undefined },
): Promise<{ records: AuditRecord[]; nextCursor: string | null }> {
  const orgId = query.orgId ?? (ctx.actor.kind === "identity" ? ctx.actor.orgId : undefined);
  if (orgId) assertOrgAccess(ctx.actor, orgId);
  await flushAudit(ctx.env.DB);
  return queryAudit(ctx.env.DB, { ...query, orgId });
}
