import { Hono } from "../../hono";
import * as z from "zod";
import { endEveryConsoleSession } from "../../admin/console-sessions";
import { requireAdmin, requireAdminKey } from "../admin-auth";
import { adminContext, type AppEnv } from "../../request-context";
import { ADMIN_ERRORS, del, documented, TAGS } from "../openapi/route-doc";

const SESSIONS = "/api/v1/console/sessions";

export const consoleSessionRoutes = new Hono<AppEnv>()
  .use(SESSIONS, requireAdmin)
  .delete(SESSIONS, requireAdminKey, async (c) => c.json(await endEveryConsoleSession(adminContext(c))));

export const consoleSessionDocs = documented(consoleSessionRoutes, TAGS.console, [
  del(SESSIONS, "End every admin console session", {
    description:
      "Every console session ends at once, whoever started it (the admin key or an org admin): its next page view goes to sign-in. " +
      "Audited as `console.sessions.end`.",
    response: z.object({ ended: z.number().int().describe("how many sessions were live") }),
    errors: [...ADMIN_ERRORS, 503],
  }),
]);
