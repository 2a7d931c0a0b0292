import type { Env } from "./env";
import { pruneAudit } from "./storage/audit-log";
import { pruneExpiredTokens } from "./storage/access-tokens";
import { pruneLoginStats } from "./storage/login-stats";
import { log } from "./observability/log";
import { nowMs } from "./time/clock";

const DAY_MS = 86_400_000;

/** The cron trigger: audit retention (AUDIT_RETENTION_DAYS, default 90) and the expired-token ledger. */
export async function runMaintenance(env: Env, now = nowMs()): Promise<{ auditDeleted: number; tokensDeleted: number }> {
  const days = Number(env.AUDIT_RETENTION_DAYS);
  const retentionDays = Number.isFinite(days) && days > 0 ? days : 90;
  const auditDeleted = await pruneAudit(env.DB, now - retentionDays * DAY_MS);
  await pruneLoginStats(env.DB, now - retentionDays * DAY_MS); // the traffic counts go with the events
  const tokensDeleted = await pruneExpiredTokens(env.DB, Math.floor(now / 1000));
  log("info", "maintenance", { auditDeleted, tokensDeleted, retentionDays });
  return { auditDeleted, tokensDeleted };
}
