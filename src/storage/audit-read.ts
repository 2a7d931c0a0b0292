/**
 * Reads of the audit log across its two tiers (docs/architecture.md, "Audit tiers"): the hot rows in D1
 * (`ledger_only` = 0) and the parts of the R2 archive listed in the catalog. Every event is in exactly one
 * of them (src/storage/audit-archive.ts), so a page is the newest rows of their union, in (created_at, id)
 * order, with the same filters and cursor on both. Archived rows older than the retention cutoff are not
 * read (the archive deletes whole days, up to a day after their rows pass retention).
 *
 * A page reads at most MAX_PARTS_PER_PAGE parts. When a filter matches few archived rows and that bound is
 * reached, the page holds what is certain (the rows newer than every part not read) and its cursor goes on
 * from there: it may be shorter than `limit` and still have a next page.
 */
import type { AuditOutcome, AuditRecord } from "./audit-log";
import { partHolding, partsInRange, readPart, type RawAuditRow } from "./audit-archive";

/** Parts one page may decompress: about 20,000 rows of JSON. */
export const MAX_PARTS_PER_PAGE = 10;

export interface AuditTiers {
  db: D1Database;
  /** the R2 archive; absent, only D1 is read (nothing is archived without it: src/maintenance.ts) */
  archive?: R2Bucket | undefined;
  /** epoch ms: rows created before it are past retention */
  retentionCutoffMs: number;
}

/** A position in the log: a page holds the rows strictly before it. */
export interface AuditKey {
  createdAt: number;
  id: string;
}

export interface AuditFilter {
  orgId?: string | undefined;
  identityId?: string | undefined;
  outcome?: AuditOutcome | undefined;
  event?: string | undefined;
  /** any of these events */
  events?: readonly string[] | undefined;
  /** the exact reason_code */
  reasonCode?: string | undefined;
  /** successes, and refusals whose reason (before any `: qualifier`) is one of these (the what-if's replay) */
  successOrReasons?: readonly string[] | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

export interface AuditQuery extends AuditFilter {
  limit: number;
  /** opaque cursor from a previous page: "<created_at>:<id>" */
  cursor?: AuditKey | undefined;
}

const newer = (a: AuditKey, b: AuditKey): boolean => a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
const keyOf = (r: RawAuditRow): AuditKey => ({ createdAt: Number(r.created_at), id: r.id });
const reasonOf = (code: string): string => code.slice(0, code.includes(":") ? code.indexOf(":") : code.length);

/** The filter as SQL over D1's audit events. */
function sqlWhere(f: AuditFilter, cursor: AuditKey | undefined): { where: string; args: (string | number)[] } {
  const where = ["ledger_only = 0"];
  const args: (string | number)[] = [];
  const add = (sql: string, v: string | number | undefined) => {
    if (v === undefined) return;
    where.push(sql);
    args.push(v);
  };
  add("org_id = ?", f.orgId);
  add("identity_id = ?", f.identityId);
  add("outcome = ?", f.outcome);
  add("event = ?", f.event);
  add("event IN (SELECT value FROM json_each(?))", f.events ? JSON.stringify(f.events) : undefined);
  add("reason_code = ?", f.reasonCode);
  add("created_at >= ?", f.fromMs);
  add("created_at < ?", f.toMs);
  add(
    "(outcome = 'success' OR substr(reason_code, 1, instr(reason_code || ':', ':') - 1) IN (SELECT value FROM json_each(?)))",
    f.successOrReasons ? JSON.stringify(f.successOrReasons) : undefined,
  );
  if (cursor) {
    where.push("(created_at < ? OR (created_at = ? AND id < ?))");
    args.push(cursor.createdAt, cursor.createdAt, cursor.id);
  }
  return { where: where.join(" AND "), args };
}

/** The same filter over an archived row. */
function matches(f: AuditFilter, r: RawAuditRow): boolean {
  const at = Number(r.created_at);
  if (f.orgId !== undefined && r.org_id !== f.orgId) return false;
  if (f.identityId !== undefined && r.identity_id !== f.identityId) return false;
  if (f.outcome !== undefined && r.outcome !== f.outcome) return false;
  if (f.event !== undefined && r.event !== f.event) return false;
  if (f.events !== undefined && !f.events.includes(r.event as string)) return false;
  if (f.reasonCode !== undefined && r.reason_code !== f.reasonCode) return false;
  if (f.fromMs !== undefined && at < f.fromMs) return false;
  if (f.toMs !== undefined && at >= f.toMs) return false;
  if (f.successOrReasons && r.outcome !== "success") {
    if (typeof r.reason_code !== "string" || !f.successOrReasons.includes(reasonOf(r.reason_code))) return false;
  }
  return true;
}

/**
 * The newest `limit` rows matching the query, across both tiers, and the cursor of the next page (null: no
 * more rows).
 */
export async function readAuditRows(
  tiers: AuditTiers,
  q: AuditQuery,
): Promise<{ rows: RawAuditRow[]; next: AuditKey | null; partsRead: number }> {
  const need = q.limit + 1;
  const { where, args } = sqlWhere(q, q.cursor);
  const { results } = await tiers.db
    .prepare(`SELECT * FROM audit_logs WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .bind(...args, need)
    .all<RawAuditRow>();
  const candidates: RawAuditRow[] = results.map((r) => ({ ...r, created_at: Number(r.created_at) }));
  const upper: AuditKey | undefined = q.cursor ?? (q.toMs !== undefined ? { createdAt: q.toMs, id: "" } : undefined);
  const lowerMs = Math.max(q.fromMs ?? 0, tiers.retentionCutoffMs);
  let boundary: AuditKey | null = null;
  let read = 0;
  if (tiers.archive) {
    const parts = await partsInRange(tiers.db, {
      orgId: q.orgId,
      fromMs: lowerMs,
      upperAt: upper?.createdAt,
      limit: MAX_PARTS_PER_PAGE + 4,
    });
    let done = false;
    // A bound may only fall below the page's upper end by a millisecond or more (each page makes progress).
    const mayStopAt = (lastAt: number) => !upper || lastAt + 1 < upper.createdAt;
    for (const part of parts) {
      const partLast = { createdAt: part.lastAt, id: part.lastId };
      sortNewestFirst(candidates, need);
      const nth = candidates[need - 1];
      if (nth && !newer(partLast, keyOf(nth))) {
        done = true; // this part and all after it hold only older rows
        break;
      }
      if (read >= MAX_PARTS_PER_PAGE && mayStopAt(part.lastAt)) {
        boundary = partLast;
        break;
      }
      read++;
      for (const row of (await readPart(tiers.archive, part.key)) ?? []) {
        const key = keyOf(row);
        if (key.createdAt < lowerMs || (upper && !newer(upper, key)) || !matches(q, row)) continue;
        candidates.push(row);
      }
    }
    const last = parts.at(-1);
    if (!done && !boundary && last && parts.length === MAX_PARTS_PER_PAGE + 4 && mayStopAt(last.lastAt)) {
      // More parts than listed may exist: only rows newer than the last listed part's are certain.
      boundary = { createdAt: last.lastAt, id: last.lastId };
    }
  }
  sortNewestFirst(candidates, need);
  if (boundary) {
    // Certain: the rows of a later millisecond than every part not read. The next page starts at that millisecond.
    const edge = boundary.createdAt;
    const eligible = candidates.filter((r) => Number(r.created_at) > edge);
    const rows = eligible.slice(0, q.limit);
    const last = rows.at(-1);
    const next = eligible.length > q.limit && last ? keyOf(last) : { createdAt: edge + 1, id: LOWEST_ID };
    return { rows, next, partsRead: read };
  }
  const rows = candidates.slice(0, q.limit);
  const last = rows.at(-1);
  return { rows, next: candidates.length > q.limit && last ? keyOf(last) : null, partsRead: read };
}

/** Sorts rows newest first and keeps the first `keep` (no page needs more). */
function sortNewestFirst(rows: RawAuditRow[], keep: number): void {
  rows.sort((a, b) => (newer(keyOf(a), keyOf(b)) ? -1 : 1));
  if (rows.length > keep) rows.length = keep;
}

/** Below every id (a UUID): a cursor (ms, LOWEST_ID) pages on from the rows at ms - 1 and before. */
const LOWEST_ID = "00000000-0000-0000-0000-000000000000";

/** The API's view of a row of either tier. */
export function toRecord(r: RawAuditRow): AuditRecord {
  const details = typeof r.details === "string" ? (JSON.parse(r.details) as unknown) : (r.details ?? null);
  return {
    id: r.id,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    event: r.event as string,
    outcome: r.outcome as AuditOutcome,
    reasonCode: (r.reason_code as string | null) ?? null,
    orgId: (r.org_id as string | null) ?? null,
    identityId: (r.identity_id as string | null) ?? null,
    actor: (r.actor as string | null) ?? null,
    clientIp: (r.client_ip as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    colo: (r.colo as string | null) ?? null,
    tokenId: (r.token_id as string | null) ?? null,
    details,
    count: typeof r.count === "number" ? r.count : 1,
  };
}

export async function queryAudit(tiers: AuditTiers, q: AuditQuery): Promise<{ records: AuditRecord[]; nextCursor: string | null }> {
  const { rows, next } = await readAuditRows(tiers, q);
  return { records: rows.map(toRecord), nextCursor: next ? `${next.createdAt}:${next.id}` : null };
}

/** A login attempt as a what-if replays it: when, how it ended, and what its row recorded. */
export interface LoginAttemptRow {
  id: string;
  /** the event it was recorded as (a login's wire format: Infisical's login or an OAuth token exchange) */
  event: string;
  createdAt: number;
  outcome: AuditOutcome;
  reasonCode: string | null;
  tokenId: string | null;
  details: unknown;
}

/**
 * One page of an identity's login attempts (rows of one of `events`) in [fromMs, toMs), newest first, across
 * both tiers: the successes and the refusals for one of `reasons` (a reason matches its own code and
 * `reason: qualifier`).
 */
export async function loginAttemptsPage(
  tiers: AuditTiers,
  q: {
    orgId: string;
    identityId: string;
    events: readonly string[];
    fromMs: number;
    toMs: number;
    reasons: readonly string[];
    limit: number;
    after?: AuditKey | undefined;
  },
): Promise<{ rows: LoginAttemptRow[]; next: AuditKey | null; partsRead: number }> {
  const { rows, next, partsRead } = await readAuditRows(tiers, {
    orgId: q.orgId,
    identityId: q.identityId,
    events: q.events,
    successOrReasons: q.reasons,
    fromMs: q.fromMs,
    toMs: q.toMs,
    limit: q.limit,
    cursor: q.after,
  });
  return {
    rows: rows.map((r) => {
      const record = toRecord(r);
      return {
        id: r.id,
        event: record.event,
        createdAt: Number(r.created_at),
        outcome: record.outcome,
        reasonCode: record.reasonCode,
        tokenId: record.tokenId,
        details: record.details,
      };
    }),
    next,
    partsRead,
  };
}

/** A live token of the ledger with the `details` of the login that issued it (null when that row has none). */
export interface LiveTokenLogin {
  tokenId: string;
  expiresAt: number;
  details: unknown;
}

/**
 * One page of an identity's live tokens (not expired at `nowSeconds`, not revoked, first issued at
 * `issuedSince` or later) in expiry order, after `after`, each with its login's details: from its row in
 * D1, or, when that row's event was archived (the row is the ledger entry alone), from its archived part.
 */
export async function liveTokenLoginsPage(
  tiers: AuditTiers,
  q: {
    orgId: string;
    identityId: string;
    nowSeconds: number;
    issuedSince: number;
    limit: number;
    after?: LiveTokenLogin | undefined;
  },
  parts: PartCache = new PartCache(),
): Promise<LiveTokenLogin[]> {
  const from = q.after ?? { expiresAt: q.nowSeconds, tokenId: "" };
  const { results } = await tiers.db
    .prepare(
      `SELECT id, created_at, expires_at, ledger_only, details FROM audit_logs
      WHERE identity_id = ? AND expires_at IS NOT NULL AND expires_at >= ? AND (expires_at > ? OR id > ?)
        AND expires_at > ? AND revoked_at IS NULL AND first_issued_at >= ?
      ORDER BY expires_at, id LIMIT ?`,
    )
    .bind(q.identityId, from.expiresAt, from.expiresAt, from.tokenId, q.nowSeconds, q.issuedSince, q.limit)
    .all<{ id: string; created_at: number; expires_at: number; ledger_only: number; details: string | null }>();
  const out: LiveTokenLogin[] = [];
  for (const r of results) {
    let details: unknown = r.details ? (JSON.parse(r.details) as unknown) : null;
    if (r.ledger_only === 1 && tiers.archive) details = await parts.details(tiers, q.orgId, Number(r.created_at), r.id);
    out.push({ tokenId: r.id, expiresAt: r.expires_at, details });
  }
  return out;
}

/** The archived rows' details a what-if looked up, by part; it keeps the last few parts read. */
export class PartCache {
  private parts = new Map<string, Map<string, unknown>>();

  async details(tiers: AuditTiers, orgId: string, createdAt: number, id: string): Promise<unknown> {
    if (!tiers.archive) return null;
    const part = await partHolding(tiers.db, orgId, createdAt, id);
    if (!part) return null;
    let rows = this.parts.get(part.key);
    if (!rows) {
      rows = new Map((await readPart(tiers.archive, part.key))?.map((r) => [r.id, r.details ?? null]) ?? []);
      if (this.parts.size >= 8) this.parts.clear();
      this.parts.set(part.key, rows);
    }
    return rows.get(id) ?? null;
  }
}
