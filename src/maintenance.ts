import { auditRetentionDays, type Env } from "./env";
import { pruneBatch } from "./storage/retention";
import { pruneLoginStats } from "./storage/login-stats";
import { writeHeartbeat } from "./storage/replica-heartbeat";
import { log } from "./observability/log";
import { nowMs } from "./time/clock";

const DAY_MS = 86_400_000;

/**
 * Rows one retention statement deletes. Each statement is its own short write transaction on D1's one
 * writer (about as costly per row as the insert was: some 75 ms for a batch), so the write-behind flushes
 * of logins interleave with retention instead of waiting behind one long delete.
 */
export const RETENTION_BATCH_ROWS = 5_000;

/**
 * Wall-clock time a run may spend deleting; the cron runs every minute (wrangler.toml), so runs do not
 * overlap and retention may use most of every minute when it has fallen behind. A run that stops here
 * with rows left logs `backlog: true`; the next one goes on. docs/architecture.md, "Retention", has the
 * figures: what this deletes per run against the most the service can ingest.
 */
export const RETENTION_RUN_BUDGET_MS = 50_000;

export interface MaintenanceResult {
  auditDeleted: number;
  tokensDeleted: number;
  /** Whether rows past retention were left for the next run (the budget ran out). */
  backlog: boolean;
}

/**
 * The cron trigger, every minute: audit retention (AUDIT_RETENTION_DAYS, default 90) and the expired-token
 * ledger, each in batches of RETENTION_BATCH_ROWS, oldest first, until nothing is left or the run's budget
 * is spent. Nothing is skipped when a run ends early: what is left is older still at the next run.
 */
export async function runMaintenance(
  env: Env,
  now = nowMs(),
  opts: { budgetMs?: number; batchRows?: number } = {},
): Promise<MaintenanceResult> {
  const retentionDays = auditRetentionDays(env);
  const batch = opts.batchRows ?? RETENTION_BATCH_ROWS;
  // Date.now(), not the service clock: this bounds elapsed time (Workers' clock advances with each D1 call).
  const deadline = Date.now() + (opts.budgetMs ?? RETENTION_RUN_BUDGET_MS);
  const drain = async (deleteBatch: () => Promise<number>): Promise<{ deleted: number; done: boolean }> => {
    let deleted = 0;
    for (;;) {
      const n = await deleteBatch();
      deleted += n;
      if (n < batch) return { deleted, done: true };
      if (Date.now() >= deadline) return { deleted, done: false };
    }
  };
  // First: read replicas measure their lag by this row (src/storage/replica-heartbeat.ts).
  await writeHeartbeat(env.DB, now);
  const audit = await drain(() => pruneBatch(env.DB, "audit", now - retentionDays * DAY_MS, batch));
  // The traffic counts go with the events they count: one hour's counts per row, a small table.
  if (audit.done) await pruneLoginStats(env.DB, now - retentionDays * DAY_MS);
  const tokens = audit.done
    ? await drain(() => pruneBatch(env.DB, "ledger", Math.floor(now / 1000), batch))
    : { deleted: 0, done: false };
  const result = { auditDeleted: audit.deleted, tokensDeleted: tokens.deleted, backlog: !(audit.done && tokens.done) };
  if (result.auditDeleted > 0 || result.tokensDeleted > 0 || result.backlog) log("info", "maintenance", { ...result, retentionDays });
  return result;
}
