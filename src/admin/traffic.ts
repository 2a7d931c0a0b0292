import { DomainError, Reason } from "../errors";
import { flushAudit } from "../storage/audit-log";
import { HOUR_MS, queryLoginStats } from "../storage/login-stats";
import { nowMs } from "../time/clock";
import type { LoginEvent } from "../tokens/audit";
import type { AdminContext } from "./actor";
import { getManagedIdentity } from "./identities";
import { getManagedOrganization } from "./organizations";

/**
 * Login traffic at a glance, for the console's traffic pages and GET /api/v1/login-traffic: logins
 * (Infisical's format, audit event `login`) and token exchanges (OAuth, `token.exchange`) apart, each
 * bucket's successes and refusals by reason, the window's totals and its refusal reasons, most frequent
 * first. Counted from the hourly counts the audit log keeps (src/storage/login-stats.ts).
 */
export const TRAFFIC_WINDOWS = {
  /** the last 24 hours by hour, the current one included */
  "24h": { buckets: 24, bucketHours: 1 },
  /** the last 30 days by UTC day, today included */
  "30d": { buckets: 30, bucketHours: 24 },
} as const;
export type TrafficWindow = keyof typeof TRAFFIC_WINDOWS;

/** The two wire formats of a login, as the traffic counts them (their audit events). */
export const TRAFFIC_KINDS = { login: "login", tokenExchange: "token.exchange" } as const satisfies Record<string, LoginEvent>;
export type TrafficKind = keyof typeof TRAFFIC_KINDS;

export interface TrafficCounts {
  successes: number;
  /** reasonCode -> refusals */
  refusals: Record<string, number>;
}

export interface TrafficBucket {
  /** ISO 8601, the bucket's first instant */
  start: string;
  login: TrafficCounts;
  tokenExchange: TrafficCounts;
}

export interface TrafficReason {
  reasonCode: string;
  count: number;
  login: number;
  tokenExchange: number;
}

export interface Traffic {
  organizationId: string;
  identityId: string | null;
  window: TrafficWindow;
  bucket: "hour" | "day";
  /** ISO 8601: [from, to) */
  from: string;
  to: string;
  series: TrafficBucket[];
  totals: { login: { successes: number; refusals: number }; tokenExchange: { successes: number; refusals: number } };
  /** every refusal reason of the window, most frequent first */
  refusalReasons: TrafficReason[];
}

const empty = (): TrafficCounts => ({ successes: 0, refusals: {} });
const KIND_OF_EVENT = new Map<string, TrafficKind>(Object.entries(TRAFFIC_KINDS).map(([kind, event]) => [event, kind as TrafficKind]));

export async function loginTraffic(
  ctx: AdminContext,
  q: { orgId?: string | undefined; identityId?: string | undefined; window: TrafficWindow },
): Promise<Traffic> {
  let orgId = q.orgId ?? (ctx.actor.kind === "identity" ? ctx.actor.orgId : undefined);
  if (q.identityId) {
    const identity = await getManagedIdentity(ctx, q.identityId);
    if (orgId && identity.orgId !== orgId) throw new DomainError(Reason.identity_not_found);
    orgId = identity.orgId;
  }
  if (!orgId) throw new DomainError(Reason.invalid_request, "organizationId or identityId is required");
  const org = await getManagedOrganization(ctx, orgId);

  const { buckets, bucketHours } = TRAFFIC_WINDOWS[q.window];
  const lastBucket = Math.floor(nowMs() / (bucketHours * HOUR_MS)) * bucketHours; // the current hour or UTC day, in hours
  const fromHour = lastBucket - (buckets - 1) * bucketHours;
  const toHour = lastBucket + bucketHours;

  await flushAudit(ctx.env.DB); // this isolate's own recent logins are counted too
  const rows = await queryLoginStats(ctx.env.DB, { orgId: org.id, identityId: q.identityId, fromHour, toHour, bucketHours });

  const series: TrafficBucket[] = Array.from({ length: buckets }, (_, i) => ({
    start: new Date((fromHour + i * bucketHours) * HOUR_MS).toISOString(),
    login: empty(),
    tokenExchange: empty(),
  }));
  const totals = { login: { successes: 0, refusals: 0 }, tokenExchange: { successes: 0, refusals: 0 } };
  const reasons = new Map<string, TrafficReason>();
  for (const row of rows) {
    const kind = KIND_OF_EVENT.get(row.event);
    const bucket = series[row.bucket];
    if (!kind || !bucket) continue;
    const counts = bucket[kind];
    if (row.outcome === "success" || row.reasonCode === null) {
      counts.successes += row.count;
      totals[kind].successes += row.count;
      continue;
    }
    counts.refusals[row.reasonCode] = (counts.refusals[row.reasonCode] ?? 0) + row.count;
    totals[kind].refusals += row.count;
    let reason = reasons.get(row.reasonCode);
    if (!reason) {
      reason = { reasonCode: row.reasonCode, count: 0, login: 0, tokenExchange: 0 };
      reasons.set(row.reasonCode, reason);
    }
    reason.count += row.count;
    reason[kind] += row.count;
  }
  return {
    organizationId: org.id,
    identityId: q.identityId ?? null,
    window: q.window,
    bucket: bucketHours === 1 ? "hour" : "day",
    from: new Date(fromHour * HOUR_MS).toISOString(),
    to: new Date(toHour * HOUR_MS).toISOString(),
    series,
    totals,
    refusalReasons: [...reasons.values()].sort((a, b) => b.count - a.count || a.reasonCode.localeCompare(b.reasonCode)),
  };
}
