/**
 * A row the primary rewrites every minute (the maintenance cron): a read replica's copy of it says how far
 * behind the replica is, at most. docs/architecture.md, "Consistency windows".
 */

/** How often the heartbeat is written: the cron's period (wrangler.toml, `* * * * *`). */
export const HEARTBEAT_PERIOD_MS = 60_000;

/**
 * The oldest heartbeat a replica may show and still be read for a login context: the period plus 30 s.
 * A replica passing it is at most this far behind the primary; one less than 30 s behind always passes.
 */
export const MAX_REPLICA_HEARTBEAT_AGE_MS = HEARTBEAT_PERIOD_MS + 30_000;

export function writeHeartbeat(db: D1Database, now: number): Promise<unknown> {
  return db
    .prepare("INSERT INTO replica_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = MAX(at, excluded.at)")
    .bind(now)
    .run();
}

export const heartbeatStatement = (db: D1Database): D1PreparedStatement => db.prepare("SELECT at FROM replica_heartbeat WHERE id = 1");

/** Whether a replica whose heartbeat row is `row` (or none) is recent enough to be read at `now`. */
export function replicaIsRecent(row: unknown, now: number): boolean {
  const at = (row as { at?: unknown } | undefined)?.at;
  return typeof at === "number" && now - at <= MAX_REPLICA_HEARTBEAT_AGE_MS;
}
