import { auditRetentionDays, type Env } from "./env";
import { pruneAudit } from "./storage/audit-log";
import { pruneExpiredTokens } from "./storage/access-tokens";
import { log } from "./observability/log";
import { nowMs } from "./time/clock";

const DAY_MS = 86_400_000;

/** The cron trigger: audit retention (AUDIT_RETENTION_DAYS, default 90) and the expired-token ledger. */
export async function runMaintenance(env: Env, now = nowMs()): Promise<{ auditDeleted: number; tokensDeleted: number }> {
  const retentionDays = auditRetentionDays(env);
  const auditDeleted = await pruneAudit(env.DB, now - retentionDays * DAY_MS);
  const tokensDeleted = await pruneExpiredTokens(env.DB, Math.floor(now / 1000));
  log("info", "maintenance", { auditDeleted, tokensDeleted, retentionDays });
  return { auditDeleted, tokensDeleted };
}
