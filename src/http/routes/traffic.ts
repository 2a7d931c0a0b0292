import { canonicalId } from "../../storage/ids";
import { Hono } from "../../hono";
import * as z from "zod";
import { loginTraffic, TRAFFIC_WINDOWS, type TrafficWindow } from "../../admin/traffic";
import { adminContext, type AppEnv } from "../../request-context";
import { requireAdmin } from "../admin-auth";
import { organizationParam, organizationParams } from "../organization-param";
import { readQuery } from "../query";
import { LOOKUP_ERRORS, documented, get, TAGS } from "../openapi/route-doc";
import { ignoredWarnings, loginTrafficSchema } from "../openapi/schemas";

const LOGIN_TRAFFIC = "/api/v1/login-traffic";

export const trafficQuery = z.object({
  ...organizationParams,
  organizationId: organizationParams.organizationId.describe(
    "the organization; without it, that of identityId, or an org-admin identity's own",
  ),
  identityId: z.string().max(64).transform(canonicalId).optional().describe("one identity's logins only"),
  window: z
    .enum(Object.keys(TRAFFIC_WINDOWS) as [TrafficWindow, ...TrafficWindow[]])
    .default("24h")
    .describe("24h: the last 24 hours by hour; 30d: the last 30 days by UTC day (the current hour or day included)"),
});

/** Logins and token exchanges over time, by outcome and refusal reason (what the console's traffic pages draw). */
export const trafficRoutes = new Hono<AppEnv>().use(LOGIN_TRAFFIC, requireAdmin).get(LOGIN_TRAFFIC, async (c) => {
  const q = readQuery(c, trafficQuery, "login traffic");
  return c.json(await loginTraffic(adminContext(c), { orgId: organizationParam(q), identityId: q.identityId, window: q.window }));
});

export const trafficDocs = documented(trafficRoutes, TAGS.audit, [
  get(LOGIN_TRAFFIC, "Logins and token exchanges over time, by outcome and refusal reason", {
    description:
      "Counted from the audit log (events `login` and `token.exchange`), kept per hour as events are written, so the cost " +
      "does not grow with the number of audit events. Retained as long as the audit log.",
    query: trafficQuery,
    response: loginTrafficSchema.extend({ warnings: ignoredWarnings }),
    errors: [...LOOKUP_ERRORS, 422],
  }),
]);
