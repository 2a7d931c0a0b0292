import { endAllConsoleSessions } from "../storage/console";
import { recordAudit } from "../storage/audit-log";
import { nowSeconds } from "../time/clock";
import { actorLabel, assertAdminKey, type AdminContext } from "./actor";

/**
 * Ends every admin console session at once (a leaked cookie, a lost laptop, an admin who left): each
 * session's server-side row goes, so every console cookie sends its browser back to sign-in. The admin
 * key's only; audited as `console.sessions.end` with how many sessions were live.
 */
export async function endEveryConsoleSession(ctx: AdminContext): Promise<{ ended: number }> {
  assertAdminKey(ctx.actor);
  const ended = await endAllConsoleSessions(ctx.env.DB, nowSeconds());
  recordAudit(
    ctx.env.DB,
    { event: "console.sessions.end", outcome: "success", actor: actorLabel(ctx.actor), clientIp: ctx.clientIp, details: { ended } },
    ctx.waitUntil,
  );
  return { ended };
}
