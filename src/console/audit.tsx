import { Hono } from "../hono";
import { ADMIN_CHANGE_EVENTS, queryAuditLog } from "../admin/audit";
import { listOrganizationIdentities } from "../admin/identities";
import { getManagedOrganization } from "../admin/organizations";
import type { AuditRecord } from "../storage/audit-log";
import { parseIsoDateTime } from "../time/iso-date-time";
import { LOGIN_EVENTS } from "../tokens/audit";
import { adminCtx, href, type ConsoleEnv } from "./context";
import { Card, Field, Layout, render, uiOf, whenSeconds } from "./layout";
import { Empty, ListCard } from "./list";
import { orgPage } from "./organizations";

/**
 * The events the filter offers: the login events, the token calls, and every admin change of an
 * organization (console.sessions.end belongs to none: it is in the API's log only).
 */
export const AUDIT_EVENTS: readonly string[] = [
  ...new Set([...LOGIN_EVENTS, "token.renew", "token.revoke", ...ADMIN_CHANGE_EVENTS.filter((e) => e !== "console.sessions.end")]),
];

const PAGE_SIZE = 50;
const ID = /^[A-Za-z0-9-]{1,64}$/;
const EVENT = /^[a-z0-9._:-]{1,64}$/;
const CURSOR = /^\d{1,15}:[0-9a-f-]{36}$/;
/** a reasonCode as the audit log stores it, with its qualifier: "claim_not_allowed: ref_protected" */
const REASON = /^[a-z][a-z0-9_]{0,63}(?:: [\x21-\x7e][\x20-\x7e]{0,127})?$/;
/** datetime-local inputs, read as UTC */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

export interface AuditFilters {
  identity: string;
  outcome: string;
  event: string;
  reason: string;
  from: string;
  to: string;
}

function readFilters(q: (name: string) => string | undefined) {
  const f: AuditFilters = { identity: "", outcome: "", event: "", reason: "", from: "", to: "" };
  const errors: Record<string, string> = {};
  // Filters in the address that cannot be used (a hand-edited link) are left out, and the page says which.
  const unread: string[] = [];
  const read = (key: "identity" | "outcome" | "event" | "reason", ok: (v: string) => boolean) => {
    const v = q(key) ?? "";
    if (!v) return;
    if (ok(v)) f[key] = v;
    else unread.push(key);
  };
  read("identity", (v) => ID.test(v));
  read("outcome", (v) => v === "success" || v === "failure");
  read("event", (v) => EVENT.test(v));
  read("reason", (v) => REASON.test(v));
  for (const key of ["from", "to"] as const) {
    const v = q(key) ?? "";
    if (!v) continue;
    // Read as the API reads it (src/time/iso-date-time.ts): 2026-02-30 is no date, not March 2.
    if (LOCAL_TIME.test(v) && parseIsoDateTime(`${v}Z`) !== null) f[key] = v;
    else {
      errors[key] = "a date and time (UTC)";
      unread.push(key);
    }
  }
  const cursorText = q("cursor") ?? "";
  const cursor = CURSOR.test(cursorText)
    ? { createdAt: Number(cursorText.split(":")[0]), id: cursorText.slice(cursorText.indexOf(":") + 1) }
    : undefined;
  if (cursorText && !cursor) unread.push("page (cursor)");
  return { f, errors, unread, cursor };
}

const filterQuery = (f: AuditFilters, extra: Record<string, string> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
};

/** What a login row's details hold: its token's claims, the rule that refused it, a replaced refusal. */
const loginSummary = (details: unknown) => {
  const d = details as { claims?: unknown; failedRule?: { rule?: unknown; claim?: unknown } };
  const rule = d.failedRule;
  const refusedBy = rule ? ` · refused by ${String(rule.rule)}${typeof rule.claim === "string" ? ` ${rule.claim}` : ""}` : "";
  return `${d.claims ? "claims" : "details"}${refusedBy}`;
};

function Details({ r }: { r: AuditRecord }) {
  if (r.details === null || r.details === undefined) return <span class="muted">—</span>;
  return (
    <details class="row-details">
      <summary>{r.event === "login" || r.event === "token.exchange" ? loginSummary(r.details) : "before / after"}</summary>
      <pre class="json">{JSON.stringify(r.details, null, 2)}</pre>
    </details>
  );
}

export const auditRoutes = new Hono<ConsoleEnv>().get("/orgs/:orgId/audit", async (c) => {
  const ctx = adminCtx(c);
  const org = await getManagedOrganization(ctx, c.req.param("orgId"));
  const { f, errors, unread, cursor } = readFilters((n) => c.req.query(n));
  const identities = await listOrganizationIdentities(ctx, org.id);
  const names = new Map(identities.map((i) => [i.id, i.name]));
  const page = await queryAuditLog(ctx, {
    orgId: org.id,
    identityId: f.identity || undefined,
    outcome: (f.outcome || undefined) as "success" | "failure" | undefined,
    event: f.event || undefined,
    reasonCode: f.reason || undefined,
    fromMs: f.from ? (parseIsoDateTime(`${f.from}Z`) ?? undefined) : undefined,
    toMs: f.to ? (parseIsoDateTime(`${f.to}Z`) ?? undefined) : undefined,
    limit: PAGE_SIZE,
    cursor,
  });
  const ui = uiOf(c);
  const base = href(`/orgs/${org.id}/audit`);
  const events = AUDIT_EVENTS.includes(f.event) || !f.event ? AUDIT_EVENTS : [...AUDIT_EVENTS, f.event];
  const actorLabel = (actor: string | null) => {
    if (!actor) return "—";
    if (actor === "admin-key") return "admin key";
    const id = actor.startsWith("identity:") ? actor.slice("identity:".length) : null;
    return id ? (names.get(id) ?? `identity ${id.slice(0, 8)}`) : actor;
  };
  const filtered = Object.values(f).some(Boolean);
  const misread = unread.length > 0 || Object.keys(errors).length > 0;
  return render(
    c,
    200,
    <Layout ui={ui} {...orgPage(org, "audit")}>
      <Card>
        <form method="get" action={base} class="filters" id="audit-filters">
          <Field label="Identity" for="f-identity">
            <select id="f-identity" name="identity">
              <option value="">Any identity</option>
              {identities.map((i) => (
                <option value={i.id} selected={i.id === f.identity}>
                  {i.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Event" for="f-event">
            <select id="f-event" name="event">
              <option value="">Any event</option>
              {events.map((e) => (
                <option value={e} selected={e === f.event}>
                  {e}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Outcome" for="f-outcome">
            <select id="f-outcome" name="outcome">
              <option value="">Any</option>
              <option value="success" selected={f.outcome === "success"}>
                success
              </option>
              <option value="failure" selected={f.outcome === "failure"}>
                failure
              </option>
            </select>
          </Field>
          <Field label="Reason code" for="f-reason">
            <input type="text" id="f-reason" name="reason" value={f.reason} class="mono" placeholder="any" maxlength={200} />
          </Field>
          <Field label="From (UTC)" for="f-from" errors={errors.from ? [errors.from] : undefined}>
            <input type="datetime-local" id="f-from" name="from" value={f.from} />
          </Field>
          <Field label="To (UTC)" for="f-to" errors={errors.to ? [errors.to] : undefined}>
            <input type="datetime-local" id="f-to" name="to" value={f.to} />
          </Field>
          <div class="inline nowrap">
            <button type="submit" class="btn primary">
              Apply
            </button>
            {(filtered || misread) && (
              <a class="btn" href={base}>
                Reset
              </a>
            )}
          </div>
        </form>
        {unread.length > 0 && (
          <div class="alert warn" id="audit-filters-unread">
            Left out, not understood in the address: {unread.join(", ")}. The events below are not filtered by{" "}
            {unread.length === 1 ? "it" : "them"}.
          </div>
        )}
      </Card>
      <ListCard
        title="Events"
        sub="Logins (with the claims they were decided on) and every admin change, newest first."
        items={page.records}
        empty={<Empty title={filtered ? "No events match these filters" : "No events yet"} />}
        heads={["Time (UTC)", "Event", "Outcome", "Identity", "Actor", "Client IP", "Details"]}
        tableClass="list compact top"
        tableId="audit-events"
        row={(r) => (
          <tr data-event={r.event} data-outcome={r.outcome}>
            <td class="muted nowrap">{whenSeconds(r.createdAt).replace(" UTC", "")}</td>
            <td>
              <code>{r.event}</code>
            </td>
            <td>
              {r.outcome === "success" ? <span class="badge ok">success</span> : <span class="badge bad">failure</span>}
              {r.reasonCode && (
                <div class="small">
                  <code>{r.reasonCode}</code>
                </div>
              )}
            </td>
            <td>
              {r.identityId ? (
                <a class="nowrap" href={href(`/identities/${r.identityId}`)}>
                  {names.get(r.identityId) ?? r.identityId.slice(0, 8)}
                </a>
              ) : (
                <span class="muted">—</span>
              )}
            </td>
            <td class="nowrap">{actorLabel(r.actor)}</td>
            <td>{r.clientIp ? <code>{r.clientIp}</code> : <span class="muted">—</span>}</td>
            <td>
              <Details r={r} />
            </td>
          </tr>
        )}
      >
        <div class="pager">
          <span>
            {page.records.length} event{page.records.length === 1 ? "" : "s"} on this page
          </span>
          <span class="inline">
            {cursor && (
              <a class="btn sm" href={`${base}${filterQuery(f)}`}>
                ← Newest
              </a>
            )}
            {page.nextCursor && (
              <a class="btn sm" href={`${base}${filterQuery(f, { cursor: page.nextCursor })}`} rel="next">
                Older →
              </a>
            )}
          </span>
        </div>
      </ListCard>
    </Layout>,
  );
});
