import { recordAudit } from "../storage/audit-log";
import { actorLabel, type AdminContext } from "./actor";

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
