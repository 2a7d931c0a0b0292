import { Hono } from "hono";
import * as z from "zod";
import { queryAuditLog } from "../../admin/audit";
import { requireAdmin } from "../admin-auth";
import { adminContext, type AppEnv } from "../context";
import { DomainError, Reason } from "../../errors";

const timeParam = z
  .string()
  .transform((v, ctx) => {
    const ms = /^\d+$/.test(v) ? Number(v) * (v.length <= 10 ? 1000 : 1) : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: "an ISO 8601 time or epoch seconds/milliseconds" });
      return z.NEVER;
    }
    return ms;
  })
  .optional();

export const auditQuery = z.object({
  organizationId: z.string().max(64).optional(),
  identityId: z.string().max(64).optional(),
  outcome: z.enum(["success", "failure"]).optional(),
  event: z.string().max(64).optional(),
  from: timeParam,
  to: timeParam,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,15}:[0-9a-f-]{36}$/, "a cursor from a previous page")
    .transform((c) => ({ createdAt: Number(c.split(":")[0]), id: c.slice(c.indexOf(":") + 1) }))
    .optional(),
});

/** Login attempts and admin changes, newest first, paged with an opaque cursor. */
export const auditLogRoutes = new Hono<AppEnv>().use("/api/v1/audit-logs", requireAdmin).get("/api/v1/audit-logs", async (c) => {
  const parsed = auditQuery.safeParse(c.req.query());
  if (!parsed.success) {
    throw new DomainError(Reason.invalid_request, "Invalid audit log query", { details: parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })) });
  }
  const q = parsed.data;
  const page = await queryAuditLog(adminContext(c), {
    orgId: q.organizationId,
    identityId: q.identityId,
    outcome: q.outcome,
    event: q.event,
    fromMs: q.from,
    toMs: q.to,
    limit: q.limit,
    cursor: q.cursor,
  });
  return c.json({ auditLogs: page.records, nextCursor: page.nextCursor });
});
