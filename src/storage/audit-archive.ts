/**
 * The audit log's cold tier (docs/architecture.md, "Audit tiers"): audit rows older than the hot window move
 * from D1 to R2, per organization and UTC day, in parts of at most ARCHIVE_PART_ROWS rows (oldest first),
 * each one gzipped NDJSON object `audit/<orgId or _>/<yyyy-mm-dd>/<first row>.ndjson.gz`, listed in the D1
 * catalog `audit_archive_parts` (migrations/0008).
 *
 * Crash safety: the object is written first; then one D1 transaction catalogs it and takes its rows out of
 * audit_logs (deleted, or kept as the ledger row of a token still live, without its details). A run that
 * stops in between leaves an object nobody lists, and the rows still in D1: the next run writes the same
 * object again (its key is its first row) and commits. A reader sees each event once: in D1 or in a
 * cataloged part.
 */
import { newId } from "./ids";

export const DAY_MS = 86_400_000;

/**
 * Rows per part: one D1 read of about 2.5 MB (a login row with its claim snapshot is about 1.2 kB), one R2
 * object of a few hundred kB, and the unit a reader decompresses at a time.
 */
export const ARCHIVE_PART_ROWS = 2_000;

/** The columns of an audit event: D1's, and the fields of each NDJSON line (`details` parsed). */
const EVENT_COLUMNS =
  "id, created_at, event, outcome, reason_code, org_id, identity_id, actor, client_ip, country, colo, token_id, details, count";

/** An audit row as D1 returns it (details: JSON text) or as a part holds it (details: the value). */
export type RawAuditRow = Record<string, unknown> & { id: string; created_at: number };

export interface ArchivePart {
  key: string;
  orgId: string;
  day: number;
  firstAt: number;
  firstId: string;
  lastAt: number;
  lastId: string;
  rows: number;
  bytes: number;
}

const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The part's object key: its organization, its UTC day and its oldest row, so a repeated run writes the same key. */
export const partKey = (orgId: string, day: number, firstAt: number, firstId: string): string =>
  `audit/${orgId || "_"}/${isoDay(day)}/${String(firstAt).padStart(13, "0")}-${firstId}.ndjson.gz`;

async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}

/** A part's rows, oldest first; null when the object is gone (retention deleted it after a reader listed it). */
export async function readPart(bucket: R2Bucket, key: string): Promise<RawAuditRow[] | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  const text = await new Response(object.body.pipeThrough(new DecompressionStream("gzip"))).text();
  const rows: RawAuditRow[] = [];
  for (const line of text.split("\n")) if (line) rows.push(JSON.parse(line) as RawAuditRow);
  return rows;
}

const HOUR_MS = 3_600_000;

/**
 * Where the archive stops (epoch ms): the rows before it are older than the hot window. A whole number of
 * days moves whole UTC days (one part or more per organization and day); a fraction moves whole hours
 * (an organization's day then has a part or more per hour).
 */
export function archiveBoundaryMs(nowMs: number, hotDays: number): number {
  const unit = Number.isInteger(hotDays) ? DAY_MS : HOUR_MS;
  return Math.floor((nowMs - hotDays * DAY_MS) / unit) * unit;
}

/**
 * Moves one part: the oldest audit rows in [fromMs, beforeMs) (beforeMs from archiveBoundaryMs; fromMs the
 * retention cutoff: older rows are deleted, not archived) of the organization and day of the oldest such row. Returns how many rows it moved (0: nothing left to move).
 */
export async function archiveBatch(
  db: D1Database,
  bucket: R2Bucket,
  opts: { fromMs: number; beforeMs: number; nowSeconds: number; limit?: number },
): Promise<{ moved: number; bytes: number }> {
  const limit = opts.limit ?? ARCHIVE_PART_ROWS;
  const oldest = await db
    .prepare(
      "SELECT org_id, created_at FROM audit_logs WHERE created_at >= ? AND created_at < ? AND ledger_only = 0 ORDER BY created_at LIMIT 1",
    )
    .bind(opts.fromMs, opts.beforeMs)
    .first<{ org_id: string | null; created_at: number }>();
  if (!oldest) return { moved: 0, bytes: 0 };
  const day = Math.floor(oldest.created_at / DAY_MS);
  const { results } = await db
    .prepare(
      `SELECT ${EVENT_COLUMNS} FROM audit_logs WHERE org_id IS ? AND created_at >= ? AND created_at < ? AND ledger_only = 0
      ORDER BY created_at, id LIMIT ?`,
    )
    .bind(oldest.org_id, Math.max(day * DAY_MS, opts.fromMs), Math.min((day + 1) * DAY_MS, opts.beforeMs), limit)
    .all<RawAuditRow>();
  const first = results[0];
  const last = results.at(-1);
  if (!first || !last) return { moved: 0, bytes: 0 };
  const orgId = oldest.org_id ?? "";
  const key = partKey(orgId, day, first.created_at, first.id);
  const ndjson = results
    .map((r) => JSON.stringify({ ...r, details: typeof r.details === "string" ? JSON.parse(r.details) : r.details }))
    .join("\n");
  const body = await gzip(`${ndjson}\n`);
  await bucket.put(key, body, {
    httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
    customMetadata: { rows: String(results.length), first: `${first.created_at}:${first.id}`, last: `${last.created_at}:${last.id}` },
  });
  const attempt = newId();
  const ids = JSON.stringify(results.map((r) => r.id));
  const cataloged = "EXISTS (SELECT 1 FROM audit_archive_parts WHERE key = ? AND attempt = ?)";
  // One transaction: the catalog row, written only if every row of the part is still in D1 as an event (so
  // no row is ever listed in two parts), then the rows out of audit_logs, only if that catalog row is this
  // run's. A token still live keeps its row as its ledger entry, without the details the part now holds.
  await db.batch([
    db
      .prepare(
        `INSERT INTO audit_archive_parts (key, org_id, day, first_at, first_id, last_at, last_id, rows, bytes, attempt)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
        WHERE (SELECT COUNT(*) FROM audit_logs WHERE id IN (SELECT value FROM json_each(?11)) AND ledger_only = 0) = ?8
        ON CONFLICT(key) DO UPDATE SET first_at = excluded.first_at, first_id = excluded.first_id, last_at = excluded.last_at,
          last_id = excluded.last_id, rows = excluded.rows, bytes = excluded.bytes, attempt = excluded.attempt`,
      )
      .bind(key, orgId, day, first.created_at, first.id, last.created_at, last.id, results.length, body.byteLength, attempt, ids),
    db
      .prepare(
        `UPDATE audit_logs SET ledger_only = 1, details = NULL
        WHERE id IN (SELECT value FROM json_each(?)) AND ledger_only = 0 AND expires_at > ? AND ${cataloged}`,
      )
      .bind(ids, opts.nowSeconds, key, attempt),
    db
      .prepare(`DELETE FROM audit_logs WHERE id IN (SELECT value FROM json_each(?)) AND ledger_only = 0 AND ${cataloged}`)
      .bind(ids, key, attempt),
  ]);
  return { moved: results.length, bytes: body.byteLength };
}

/**
 * Retention of the cold tier: deletes up to `limit` parts of days before `beforeDay` (epoch days), objects
 * first, then their catalog rows (a reader that listed a part just before finds no object and skips it:
 * its rows are past retention anyway). Returns how many parts went.
 */
export async function pruneArchiveBatch(db: D1Database, bucket: R2Bucket, beforeDay: number, limit: number): Promise<number> {
  const { results } = await db
    .prepare("SELECT key FROM audit_archive_parts WHERE day < ? ORDER BY day LIMIT ?")
    .bind(beforeDay, Math.min(limit, 1000))
    .all<{ key: string }>();
  if (results.length === 0) return 0;
  const keys = results.map((r) => r.key);
  await bucket.delete(keys);
  await db.prepare("DELETE FROM audit_archive_parts WHERE key IN (SELECT value FROM json_each(?))").bind(JSON.stringify(keys)).run();
  return keys.length;
}

/** The catalog's parts that may hold rows in [fromMs, beforeKey), newest last row first. */
export async function partsInRange(
  db: D1Database,
  q: { orgId?: string | undefined; fromMs: number; upperAt?: number | undefined; limit: number },
): Promise<ArchivePart[]> {
  const where = ["last_at >= ?"];
  const args: (string | number)[] = [q.fromMs];
  if (q.orgId !== undefined) {
    where.push("org_id = ?");
    args.push(q.orgId);
  }
  if (q.upperAt !== undefined) {
    where.push("first_at <= ?");
    args.push(q.upperAt);
  }
  const { results } = await db
    .prepare(`SELECT * FROM audit_archive_parts WHERE ${where.join(" AND ")} ORDER BY last_at DESC, last_id DESC LIMIT ?`)
    .bind(...args, q.limit)
    .all<Record<string, string | number>>();
  return results.map(toPart);
}

/** The part of an organization's archive that holds the row (createdAt, id), if any. */
export async function partHolding(db: D1Database, orgId: string, createdAt: number, id: string): Promise<ArchivePart | null> {
  const { results } = await db
    .prepare("SELECT * FROM audit_archive_parts WHERE org_id = ? AND first_at <= ?2 AND last_at >= ?2")
    .bind(orgId, createdAt)
    .all<Record<string, string | number>>();
  const holds = (p: ArchivePart) =>
    (p.firstAt < createdAt || (p.firstAt === createdAt && p.firstId <= id)) &&
    (p.lastAt > createdAt || (p.lastAt === createdAt && p.lastId >= id));
  return results.map(toPart).find(holds) ?? null;
}

const toPart = (r: Record<string, string | number>): ArchivePart => ({
  key: r.key as string,
  orgId: r.org_id as string,
  day: Number(r.day),
  firstAt: Number(r.first_at),
  firstId: r.first_id as string,
  lastAt: Number(r.last_at),
  lastId: r.last_id as string,
  rows: Number(r.rows),
  bytes: Number(r.bytes),
});
