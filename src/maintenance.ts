import { auditHotDays, auditRetentionDays, type Env } from "./env";
import { pruneBatch } from "./storage/retention";
import { ARCHIVE_PART_ROWS, archiveBatch, archiveBoundaryMs, pruneArchiveBatch } from "./storage/audit-archive";
import { pruneLoginStats } from "./storage/login-stats";
import { errorName, log } from "./observability/log";
import { writeHeartbeat } from "./storage/replica-heartbeat";
import { pruneDeliveryKeys } from "./storage/write-behind-parcels";
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
  /** audit rows moved to the R2 archive, and their compressed bytes */
  archived: number;
  archivedBytes: number;
  auditDeleted: number;
  tokensDeleted: number;
  /** archive parts deleted past retention */
  partsDeleted: number;
  /** Whether work was left for the next run (the budget ran out, or the archive failed). */
  backlog: boolean;
  /** The archive's step failed this run (logged as `audit_archive_failed`); the next run tries again. */
  archiveFailed: boolean;
}

/**
 * The cron trigger, every minute, in this order, each in bounded batches until nothing is left or the run's
 * budget is spent (what is left is older still at the next run):
 * 1. audit retention in D1 (AUDIT_RETENTION_DAYS, default 90), and the hourly traffic counts with it;
 * 2. the ledger rows of expired tokens;
 * 3. the archive: audit rows of whole days older than AUDIT_HOT_DAYS (default 3), and within retention,
 *    move to R2, one part of ARCHIVE_PART_ROWS rows of one organization and day at a time
 *    (src/storage/audit-archive.ts). Without the AUDIT_ARCHIVE binding nothing moves: D1 keeps every event
 *    until retention (and the reads read D1 alone);
 * 4. archive retention: the parts of days wholly past AUDIT_RETENTION_DAYS.
 * Before them, the write-behind's applied parcel keys older than an hour (a few thousand rows a minute at
 * most, usually none).
 */
export async function runMaintenance(
  env: Env,
  now = nowMs(),
  opts: { budgetMs?: number; batchRows?: number; partRows?: number } = {},
): Promise<MaintenanceResult> {
  const retentionDays = auditRetentionDays(env);
  const hotDays = auditHotDays(env);
  const batch = opts.batchRows ?? RETENTION_BATCH_ROWS;
  const nowSeconds = Math.floor(now / 1000);
  // Date.now(), not the service clock: this bounds elapsed time (Workers' clock advances with each D1 call).
  const deadline = Date.now() + (opts.budgetMs ?? RETENTION_RUN_BUDGET_MS);
  const drain = async (step: () => Promise<number>, full: number): Promise<{ n: number; done: boolean }> => {
    let total = 0;
    for (;;) {
      const n = await step();
      total += n;
      if (n < full) return { n: total, done: true };
      if (Date.now() >= deadline) return { n: total, done: false };
    }
  };
  // First: read replicas measure their lag by this row (src/storage/replica-heartbeat.ts).
  await writeHeartbeat(env.DB, now);
  // The write-behind's applied parcel keys past their hour (src/storage/write-behind-parcels.ts), by the
  // real clock their rows were stamped with.
  await drain(() => pruneDeliveryKeys(env.DB, Date.now(), batch), batch);
  const bucket = env.AUDIT_ARCHIVE;
  const cutoff = { beforeMs: now - retentionDays * DAY_MS, nowSeconds };
  const audit = await drain(() => pruneBatch(env.DB, "audit", cutoff, batch), batch);
  // The traffic counts go with the events they count: one hour's counts per row, a small table.
  if (audit.done) await pruneLoginStats(env.DB, cutoff.beforeMs);
  const tokens = audit.done ? await drain(() => pruneBatch(env.DB, "ledger", cutoff, batch), batch) : { n: 0, done: false };
  let archived = 0;
  let archivedBytes = 0;
  const partRows = opts.partRows ?? ARCHIVE_PART_ROWS;
  const archiveWindow = { fromMs: cutoff.beforeMs, beforeMs: archiveBoundaryMs(now, hotDays), nowSeconds, limit: partRows };
  // The archive's failure (R2 or D1 unavailable) is logged and left to the next run: it loses nothing (the
  // rows stay in D1 until a move commits) and must not stop the deletes above from running every minute.
  let archiveFailed = false;
  const guarded = async (step: () => Promise<{ n: number; done: boolean }>) => {
    try {
      return await step();
    } catch (err) {
      archiveFailed = true;
      log("error", "audit_archive_failed", { error: errorName(err) });
      return { n: 0, done: false };
    }
  };
  const archive =
    bucket && tokens.done
      ? await guarded(() =>
          drain(async () => {
            const r = await archiveBatch(env.DB, bucket, archiveWindow);
            archived += r.moved;
            archivedBytes += r.bytes;
            return r.moved > 0 ? partRows : 0; // a part may be short (the end of a day) and more days follow
          }, partRows),
        )
      : { n: 0, done: !bucket };
  // A day's parts go once all of the day is past retention.
  const partsBefore = Math.floor(cutoff.beforeMs / DAY_MS);
  const parts =
    bucket && archive.done
      ? await guarded(() => drain(() => pruneArchiveBatch(env.DB, bucket, partsBefore, 1000), 1000))
      : { n: 0, done: !bucket };
  const result: MaintenanceResult = {
    archived,
    archivedBytes,
    auditDeleted: audit.n,
    tokensDeleted: tokens.n,
    partsDeleted: parts.n,
    backlog: !(archive.done && audit.done && tokens.done && parts.done),
    archiveFailed,
  };
  if (Object.values(result).some((v) => v === true || (typeof v === "number" && v > 0))) {
    log("info", "maintenance", { ...result, retentionDays, hotDays });
  }
  return result;
}
