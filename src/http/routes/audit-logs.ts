import { canonicalId } from "../../storage/ids";
import { parseIsoDateTime } from "../../time/iso-date-time";
import { Hono } from "../../hono";
import * as z from "zod";
import { queryAuditLog } from "../../admin/audit";
import { requireAdmin } from "../admin-auth";
import { adminContext, type AppEnv } from "../../request-context";
import { organizationParam, organizationParams } from "../organization-param";
import { readQuery, wholeNumberParam } from "../query";
import { ADMIN_ERRORS, documented, get, TAGS } from "../openapi/route-doc";
import { auditLogSchema, ignoredWarnings } from "../openapi/schemas";

const AUDIT_LOGS = "/api/v1/audit-logs";

const timeParam = z
  .string()
  .transform((v, ctx) => {
    // Epoch seconds (up to 10 digits) or milliseconds (up to 15), or ISO 8601 read strictly: a typo is a
    // 422, never another window (Date.parse would read "audit 2027" as 2027-01-01).
    const ms = /^\d{1,15}$/.test(v) ? Number(v) * (v.length <= 10 ? 1000 : 1) : parseIsoDateTime(v, { dateOnly: true });
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: "an ISO 8601 date or date-time with a zone, or epoch seconds/milliseconds" });
      return z.NEVER;
    }
    return ms;
  })
  .optional();

export const auditQuery = z.object({
  ...organizationParams,
  organizationId: organizationParams.organizationId.describe(
    "only this organization's events; without it, the admin key sees all and an org-admin identity its own",
  ),
  identityId: z.string().max(64).transform(canonicalId).optional().describe("only events about this identity"),
  outcome: z.enum(["success", "failure"]).optional().describe("only the successes, or only the failures"),
  event: z
    .string()
    .max(64)
    .optional()
    .describe("only this event: login, token.exchange, token.renew, token.revoke, identity.create, ..."),
  reasonCode: z
    .string()
    .max(200)
    .optional()
    .describe("only refusals with exactly this reasonCode, e.g. claim_not_allowed: ref_protected"),
  from: timeParam.describe("events at or after this time (ISO 8601, or epoch seconds or milliseconds)"),
  to: timeParam.describe("events before this time (ISO 8601, or epoch seconds or milliseconds)"),
  limit: wholeNumberParam(1, 500).default(50).describe("events per page"),
  cursor: z
    .string()
    .regex(/^\d{1,15}:[0-9a-f-]{36}$/, "a cursor from a previous page")
    .transform((c) => ({ createdAt: Number(c.split(":")[0]), id: c.slice(c.indexOf(":") + 1) }))
    .optional()
    .describe("`nextCursor` of the previous page"),
});

/** Login attempts and admin changes, newest first, paged with an opaque cursor. */
export const auditLogRoutes = new Hono<AppEnv>().use(AUDIT_LOGS, requireAdmin).get(AUDIT_LOGS, async (c) => {
  const q = readQuery(c, auditQuery, "audit log");
  const page = await queryAuditLog(adminContext(c), {
    orgId: organizationParam(q),
    identityId: q.identityId,
    outcome: q.outcome,
    event: q.event,
    reasonCode: q.reasonCode,
    fromMs: q.from,
    toMs: q.to,
    limit: q.limit,
    cursor: q.cursor,
  });
  return c.json({ auditLogs: page.records, nextCursor: page.nextCursor });
});

export const auditLogDocs = documented(auditLogRoutes, TAGS.audit, [
  get(AUDIT_LOGS, "Login attempts and admin changes, newest first", {
    description:
      "Paged: pass `nextCursor` of a page as `cursor` for the next one, until it is null. Events older than `AUDIT_HOT_DAYS` are read from the R2 archive with the same filters and order; a page that reaches its bound of archived parts may hold fewer than `limit` events and still have a `nextCursor`.",
    query: auditQuery,
    response: z.object({ auditLogs: auditLogSchema.array(), nextCursor: z.string().nullable(), warnings: ignoredWarnings }),
    errors: [...ADMIN_ERRORS, 422],
  }),
]);
