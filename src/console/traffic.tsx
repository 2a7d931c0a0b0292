// Traffic at a glance: an organization's or an identity's logins over the last 24 hours (by hour) or 30
// days (by day), Infisical-format logins and OAuth token exchanges apart, successes and refusals stacked
// by reason, and the most frequent refusal reasons, each linking to the audit log filtered to it.
import { Hono } from "../hono";
import { raw } from "hono/html";
import type { FC } from "hono/jsx";
import { listOrganizationIdentities } from "../admin/identities";
import { getManagedOrganization } from "../admin/organizations";
import { loginTraffic, TRAFFIC_WINDOWS, type Traffic, type TrafficKind, type TrafficWindow } from "../admin/traffic";
import type { Identity, Organization } from "../storage/records";
import { CHART_CSS, StackedBars, type ChartBar, type ChartSeries } from "./chart";
import { adminCtx, href, type ConsoleContext, type ConsoleEnv } from "./context";
import { identityPage, loadIdentity } from "./identities";
import { Card, Field, Layout, render, uiOf, type PageProps } from "./layout";
import { Empty } from "./list";
import { orgPage } from "./organizations";
import { refusal } from "./refusals";
import { Reason } from "../errors";
import { canonicalId } from "../storage/ids";

/** Refusal reasons with a colour of their own; the rest share "other". */
const COLOURED_REASONS = 6;

const KINDS: { kind: TrafficKind; event: string; title: string; what: string }[] = [
  { kind: "login", event: "login", title: "Logins", what: "Infisical's login, POST /api/v1/auth/oidc-auth/login" },
  { kind: "tokenExchange", event: "token.exchange", title: "Token exchanges", what: "OAuth 2.0 token exchange, POST /oauth/token" },
];

const WINDOW_LABEL: Record<TrafficWindow, string> = { "24h": "Last 24 hours", "30d": "Last 30 days" };

const fmt = (n: number) => n.toLocaleString("en-US");
const percent = (part: number, whole: number) =>
  whole === 0 ? "—" : `${((100 * part) / whole).toFixed(part === whole || part === 0 ? 0 : 1)} %`;
/** The audit page's datetime-local filter value (UTC): "2026-11-25T14:00". */
const localTime = (ms: number) => new Date(ms).toISOString().slice(0, 16);

function readWindow(c: ConsoleContext): TrafficWindow {
  const w = c.req.query("window");
  return w && Object.hasOwn(TRAFFIC_WINDOWS, w) ? (w as TrafficWindow) : "24h";
}

/** Successes, each coloured reason, then "other refusals": the chart's series, the same on every chart of the page. */
function seriesOf(traffic: Traffic): { series: ChartSeries[]; coloured: string[] } {
  const coloured = traffic.refusalReasons.slice(0, COLOURED_REASONS).map((r) => r.reasonCode);
  const series: ChartSeries[] = [
    { key: "ok", label: "successful" },
    ...coloured.map((reason, i) => ({ key: `r${i}`, label: `refused: ${reason}` })),
  ];
  if (traffic.refusalReasons.length > COLOURED_REASONS) series.push({ key: "other", label: "refused: other reasons" });
  return { series, coloured };
}

interface View {
  org: Organization;
  identity: Identity | null;
  traffic: Traffic;
  /** the audit log, filtered to this view's identity and the given filters */
  auditLink: (filters: Record<string, string>) => string;
}

function barsOf(view: View, kind: (typeof KINDS)[number], coloured: string[], withOther: boolean): ChartBar[] {
  const { traffic } = view;
  const bucketMs = TRAFFIC_WINDOWS[traffic.window].bucketHours * 3_600_000;
  return traffic.series.map((b) => {
    const start = Date.parse(b.start);
    const counts = b[kind.kind];
    const values = [counts.successes, ...coloured.map((r) => counts.refusals[r] ?? 0)];
    if (withOther) {
      const all = Object.values(counts.refusals).reduce((a, n) => a + n, 0);
      values.push(all - values.slice(1).reduce((a, n) => a + n, 0));
    }
    const hourly = traffic.bucket === "hour";
    return {
      label: hourly ? b.start.slice(11, 16) : b.start.slice(5, 10),
      title: hourly ? `${b.start.slice(0, 10)} ${b.start.slice(11, 16)} UTC` : b.start.slice(0, 10),
      href: view.auditLink({ event: kind.event, from: localTime(start), to: localTime(start + bucketMs) }),
      values,
    };
  });
}

function summaryOf(view: View, kind: (typeof KINDS)[number]): string {
  const { traffic } = view;
  const totals = traffic.totals[kind.kind];
  const attempts = totals.successes + totals.refusals;
  const span = traffic.window === "24h" ? "the last 24 hours, by hour" : "the last 30 days, by day";
  if (attempts === 0) return `${kind.title} in ${span}: none.`;
  const top = traffic.refusalReasons.filter((r) => r[kind.kind] > 0).sort((a, b) => b[kind.kind] - a[kind.kind])[0];
  let busiest = traffic.series[0]!;
  const total = (b: (typeof traffic.series)[number]) =>
    b[kind.kind].successes + Object.values(b[kind.kind].refusals).reduce((a, n) => a + n, 0);
  for (const b of traffic.series) if (total(b) > total(busiest)) busiest = b;
  return (
    `${kind.title} in ${span}: ${fmt(attempts)} attempts, ${fmt(totals.successes)} successful, ${fmt(totals.refusals)} refused` +
    `${top ? ` (most often ${top.reasonCode}, ${fmt(top[kind.kind])})` : ""}. ` +
    `Busiest ${traffic.bucket}: ${busiest.start.slice(0, traffic.bucket === "hour" ? 13 : 10).replace("T", " ")}${traffic.bucket === "hour" ? ":00 UTC" : ""}, ${fmt(total(busiest))}.`
  );
}

const Stats: FC<{ traffic: Traffic }> = ({ traffic }) => {
  const { login, tokenExchange } = traffic.totals;
  const attempts = login.successes + login.refusals + tokenExchange.successes + tokenExchange.refusals;
  const refused = login.refusals + tokenExchange.refusals;
  return (
    <div class="stats" id="traffic-stats">
      <div class="stat">
        <div class="num">{fmt(login.successes + login.refusals)}</div>
        <div class="what">logins (Infisical API)</div>
      </div>
      <div class="stat">
        <div class="num">{fmt(tokenExchange.successes + tokenExchange.refusals)}</div>
        <div class="what">token exchanges (OAuth)</div>
      </div>
      <div class="stat">
        <div class="num">{fmt(refused)}</div>
        <div class="what">refused</div>
      </div>
      <div class="stat">
        <div class="num">{percent(refused, attempts)}</div>
        <div class="what">refusal rate</div>
      </div>
    </div>
  );
};

const TrafficBody: FC<{ view: View; base: string; identities?: Identity[] }> = ({ view, base, identities }) => {
  const { traffic } = view;
  const { series, coloured } = seriesOf(traffic);
  const withOther = series.some((s) => s.key === "other");
  const windowLink = (w: TrafficWindow) => {
    const q = new URLSearchParams({ window: w });
    if (identities && view.identity) q.set("identity", view.identity.id);
    return `${base}?${q}`;
  };
  const refusals = traffic.totals.login.refusals + traffic.totals.tokenExchange.refusals;
  return (
    <>
      <Card
        title={`${WINDOW_LABEL[traffic.window]}${view.identity ? ` · ${view.identity.name}` : ""}`}
        sub={`UTC, from ${traffic.from.slice(0, 16).replace("T", " ")} to now. Each bar links to the audit log of its ${traffic.bucket}.`}
        actions={
          <nav class="segmented" aria-label="Time window">
            {(Object.keys(TRAFFIC_WINDOWS) as TrafficWindow[]).map((w) => (
              <a
                href={windowLink(w)}
                class={w === traffic.window ? "on" : ""}
                aria-current={w === traffic.window ? "page" : undefined}
              >
                {WINDOW_LABEL[w]}
              </a>
            ))}
          </nav>
        }
      >
        {identities && (
          <form method="get" action={base} class="inline" id="traffic-filter">
            <input type="hidden" name="window" value={traffic.window} />
            <Field label="Identity" for="t-identity">
              <select id="t-identity" name="identity">
                <option value="">All identities of the organization</option>
                {identities.map((i) => (
                  <option value={i.id} selected={i.id === view.identity?.id}>
                    {i.name}
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit" class="btn">
              Show
            </button>
          </form>
        )}
        <div class={identities ? "mt" : ""}>
          <Stats traffic={traffic} />
        </div>
        {KINDS.map((kind) => (
          <section class="traffic-kind" id={`traffic-${kind.event.replace(".", "-")}`}>
            <h3>
              {kind.title} <span class="muted small">· {kind.what}</span>
            </h3>
            <StackedBars
              id={`chart-${kind.event.replace(".", "-")}`}
              title={`${kind.title}, ${WINDOW_LABEL[traffic.window].toLowerCase()}`}
              summary={summaryOf(view, kind)}
              series={series}
              bars={barsOf(view, kind, coloured, withOther)}
              labelEvery={traffic.window === "24h" ? 3 : 5}
            />
            <p class="small muted">{summaryOf(view, kind)}</p>
          </section>
        ))}
      </Card>
      <Card
        flush
        title="Top refusal reasons"
        sub={
          refusals === 0
            ? "No refusals in this window."
            : `${fmt(refusals)} refusals. A reason links to those refusals in the audit log, with the claims each was decided on.`
        }
        id="top-refusals"
      >
        {traffic.refusalReasons.length === 0 ? (
          <Empty title="Nothing was refused">Every login and token exchange of this window was admitted.</Empty>
        ) : (
          <table class="list compact" id="refusal-reasons">
            <thead>
              <tr>
                <th>Reason</th>
                <th>Refusals</th>
                <th>Share</th>
                <th>Logins</th>
                <th>Token exchanges</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {traffic.refusalReasons.slice(0, 10).map((r) => (
                <tr data-reason={r.reasonCode}>
                  <td>
                    <span class={`swatch s-${coloured.includes(r.reasonCode) ? `r${coloured.indexOf(r.reasonCode)}` : "other"}`} />{" "}
                    <code>{r.reasonCode}</code>
                  </td>
                  <td>{fmt(r.count)}</td>
                  <td>
                    <span class="nowrap">{percent(r.count, refusals)}</span>
                  </td>
                  <td>{fmt(r.login)}</td>
                  <td>{fmt(r.tokenExchange)}</td>
                  <td class="actions">
                    <a
                      class="btn sm"
                      href={view.auditLink({
                        outcome: "failure",
                        reason: r.reasonCode,
                        from: traffic.from.slice(0, 16),
                        to: traffic.to.slice(0, 16),
                      })}
                    >
                      View in audit log
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
};

function auditLinkOf(org: Organization, identity: Identity | null) {
  return (filters: Record<string, string>) => {
    const q = new URLSearchParams(identity ? { identity: identity.id } : {});
    for (const [k, v] of Object.entries(filters)) q.set(k, v);
    return href(`/orgs/${org.id}/audit?${q}`);
  };
}

function page(c: ConsoleContext, frame: Omit<PageProps, "ui">, view: View, base: string, identities?: Identity[]) {
  const ui = uiOf(c);
  return render(
    c,
    200,
    <Layout ui={ui} {...frame}>
      <style nonce={ui.nonce}>{raw(CHART_CSS)}</style>
      <TrafficBody view={view} base={base} identities={identities} />
    </Layout>,
  );
}

export const trafficRoutes = new Hono<ConsoleEnv>()
  .get("/orgs/:orgId/traffic", async (c) => {
    const ctx = adminCtx(c);
    const org = await getManagedOrganization(ctx, c.req.param("orgId"));
    const identities = await listOrganizationIdentities(ctx, org.id);
    // An identity the organization does not have is refused, as the audit page and the API refuse it, not
    // silently replaced by the organization's traffic.
    const asked = c.req.query("identity") || undefined;
    const identity = asked === undefined ? null : (identities.find((i) => i.id === canonicalId(asked)) ?? null);
    if (asked !== undefined && !identity) throw refusal(Reason.identity_not_found);
    const traffic = await loginTraffic(ctx, { orgId: org.id, identityId: identity?.id, window: readWindow(c) });
    const view = { org, identity, traffic, auditLink: auditLinkOf(org, identity) };
    return page(c, orgPage(org, "traffic"), view, href(`/orgs/${org.id}/traffic`), identities);
  })
  .get("/identities/:id/traffic", async (c) => {
    const { ctx, identity, org } = await loadIdentity(c, c.req.param("id"));
    const traffic = await loginTraffic(ctx, { orgId: org.id, identityId: identity.id, window: readWindow(c) });
    const view = { org, identity, traffic, auditLink: auditLinkOf(org, identity) };
    return page(c, identityPage(org, identity, "traffic"), view, href(`/identities/${identity.id}/traffic`));
  });
