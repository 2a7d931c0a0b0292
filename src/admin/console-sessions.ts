import { endAllConsoleSessionsStatements } from "../storage/console";
import { nowSeconds } from "../time/clock";
import { assertAdminKey, type AdminContext } from "./actor";
import { writeAudited } from "./audit";

/**
 * Ends every admin console session at once (a leaked cookie, a lost laptop, an admin who left): each
 * session's server-side row goes, so every console cookie sends its browser back to sign-in. The admin
 * key's only; audited as `console.sessions.end` with how many sessions were live, in the same transaction.
 */
export async function endEveryConsoleSession(ctx: AdminContext): Promise<{ ended: number }> {
  assertAdminKey(ctx.actor);
  const results = await writeAudited(
    ctx,
    endAllConsoleSessionsStatements(ctx.env.DB, nowSeconds()),
    { event: "console.sessions.end", orgId: null },
    { detailsSql: "json_object('ended', changes())", always: true },
  );
  return { ended: results[1]?.meta.changes ?? 0 };
}
