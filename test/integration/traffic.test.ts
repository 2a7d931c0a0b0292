// Login traffic (GET /api/v1/login-traffic, the console's traffic pages): counted per hour from the audit
// log by the trigger of migrations/0007_login_stats.sql, bucketed by hour or UTC day, logins and token
// exchanges apart, refusals by reason. The console's pages are driven in Chromium (test/browser/traffic.test.ts).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pruneLoginStats } from "../../src/storage/login-stats";
import { call, ok } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { exchange, expectExchanged } from "../support/oauth";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Audit rows as the write-behind writes them (src/storage/audit-log.ts), at chosen times. */
async function insertAudit(
  rows: { at: number; event: string; outcome: string; reason?: string; orgId: string | null; identityId: string }[],
) {
  await env.DB.batch(
    rows.map((r) =>
      env.DB.prepare(
        "INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ).bind(crypto.randomUUID(), r.at, r.event, r.outcome, r.reason ?? null, r.orgId, r.identityId, `identity:${r.identityId}`),
    ),
  );
}

/** Tests that count "this hour" or "today" start well inside the hour, so that both ends agree on it. */
async function insideAnHour(): Promise<void> {
  const left = HOUR - (Date.now() % HOUR);
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 500));
}

const traffic = (query: string, token?: string) => call("GET", `/api/v1/login-traffic?${query}`, token ? { token } : {});

describe("GET /api/v1/login-traffic", () => {
  it("counts this hour's logins and token exchanges apart, refusals by reason, for the organization and each identity", async () => {
    await insideAnHour();
    const s = await scenario();
    await s.login();
    await s.login();
    expectExchanged(await exchange(await s.idp.mint(gitlabClaims()), s.identity.id));
    await s.loginWith({ aud: "https://elsewhere.example" });
    await exchange(await s.idp.mint(gitlabClaims({ aud: "https://elsewhere.example" })), s.identity.id);
    await exchange(await s.idp.mint(gitlabClaims({ sub: "project_path:evil/project:ref_type:branch:ref:main" })), s.identity.id);
    await s.loginWith({ project_id: "99" }); // a claim the scenario does not bind: admitted

    const res = await traffic(`organizationId=${s.org.id}`);
    expect(res.status).toBe(200);
    const t = res.body;
    expect(t).toMatchObject({ organizationId: s.org.id, identityId: null, window: "24h", bucket: "hour" });
    expect(t.series).toHaveLength(24);
    const now = t.series[23];
    expect(Date.parse(now.start)).toBe(Math.floor(Date.now() / HOUR) * HOUR);
    expect(now.login).toEqual({ successes: 3, refusals: { audience_not_allowed: 1 } });
    expect(now.tokenExchange).toEqual({ successes: 1, refusals: { audience_not_allowed: 1, subject_not_allowed: 1 } });
    expect(t.totals).toEqual({ login: { successes: 3, refusals: 1 }, tokenExchange: { successes: 1, refusals: 2 } });
    expect(t.refusalReasons[0]).toEqual({ reasonCode: "audience_not_allowed", count: 2, login: 1, tokenExchange: 1 });
    expect(Date.parse(t.to) - Date.parse(t.from)).toBe(24 * HOUR);

    // One identity of the organization: the same, since it is the only one; another has none.
    const byIdentity = (await traffic(`identityId=${s.identity.id}`)).body;
    expect(byIdentity.totals).toEqual(t.totals);
    const other = (await ok("POST", "/api/v1/identities", { body: { name: "idle", organizationId: s.org.id } })).identity;
    const idle = (await traffic(`organizationId=${s.org.id}&identityId=${other.id}&window=30d`)).body;
    expect(idle.totals).toEqual({ login: { successes: 0, refusals: 0 }, tokenExchange: { successes: 0, refusals: 0 } });
    expect(idle.refusalReasons).toEqual([]);
  });

  it("buckets by hour over 24 hours and by UTC day over 30 days, and leaves out what is older", async () => {
    await insideAnHour();
    const s = await scenario();
    const now = Date.now();
    const hour = Math.floor(now / HOUR) * HOUR;
    const today = Math.floor(now / DAY) * DAY;
    const id = s.identity.id;
    const orgId = s.org.id;
    await insertAudit([
      { at: hour - 5 * HOUR + 60_000, event: "login", outcome: "success", orgId, identityId: id },
      { at: hour - 5 * HOUR + 120_000, event: "login", outcome: "failure", reason: "token_expired", orgId, identityId: id },
      { at: hour - 23 * HOUR, event: "token.exchange", outcome: "success", orgId, identityId: id },
      { at: hour - 24 * HOUR, event: "login", outcome: "success", orgId, identityId: id }, // just outside 24 h
      {
        at: today - 29 * DAY + 1000,
        event: "token.exchange",
        outcome: "failure",
        reason: "claim_not_allowed: ref",
        orgId,
        identityId: id,
      },
      { at: today - 30 * DAY, event: "login", outcome: "success", orgId, identityId: id }, // just outside 30 days
      { at: hour - HOUR, event: "token.renew", outcome: "success", orgId, identityId: id }, // not a login
      { at: hour - HOUR, event: "login", outcome: "failure", reason: "identity_not_found", orgId: null, identityId: id }, // no org
    ]);
    const day = (await traffic(`organizationId=${orgId}`)).body;
    expect(day.series[18].login).toEqual({ successes: 1, refusals: { token_expired: 1 } });
    expect(day.series[0].tokenExchange).toEqual({ successes: 1, refusals: {} });
    expect(day.totals).toEqual({ login: { successes: 1, refusals: 1 }, tokenExchange: { successes: 1, refusals: 0 } });

    const month = (await traffic(`organizationId=${orgId}&window=30d`)).body;
    expect(month.bucket).toBe("day");
    expect(month.series).toHaveLength(30);
    expect(Date.parse(month.series[29].start)).toBe(today);
    expect(month.series[0].tokenExchange.refusals).toEqual({ "claim_not_allowed: ref": 1 });
    expect(month.totals.login.successes).toBe(2); // the two inside 30 days, not the one at its edge
    expect(month.refusalReasons.map((r: { reasonCode: string }) => r.reasonCode)).toEqual(["claim_not_allowed: ref", "token_expired"]);
  });

  it("is the admin API's: an org-admin identity sees its own organization only, and the query is checked", async () => {
    const s = await scenario({}, { role: "admin" });
    const token = await s.login();
    expect((await traffic("", token)).body.organizationId).toBe(s.org.id);
    const other = await scenario();
    expectRefusal(await traffic(`organizationId=${other.org.id}`, token), 403, "organization_forbidden");
    expectRefusal(await traffic(`identityId=${other.identity.id}`, token), 403, "organization_forbidden");
    expectRefusal(await traffic(`organizationId=${s.org.id}&identityId=${other.identity.id}`), 404, "identity_not_found");
    expectRefusal(await traffic(`organizationId=${s.org.id}&window=7d`), 422, "invalid_request");
    expectRefusal(await traffic(""), 422, "invalid_request");
    expectRefusal(await traffic(`organizationId=${crypto.randomUUID()}`), 404, "organization_not_found");
  });

  it("is pruned with the audit log", async () => {
    const s = await scenario();
    const old = Date.now() - 100 * DAY;
    await insertAudit([{ at: old, event: "login", outcome: "success", orgId: s.org.id, identityId: s.identity.id }]);
    const count = () =>
      env.DB.prepare("SELECT COUNT(*) AS n FROM login_stats WHERE org_id = ? AND hour = ?")
        .bind(s.org.id, Math.floor(old / HOUR))
        .first<{ n: number }>();
    expect((await count())?.n).toBe(2); // the organization's row and the identity's
    await pruneLoginStats(env.DB, Date.now() - 90 * DAY); // what runMaintenance does with the audit retention
    expect((await count())?.n).toBe(0);
  });
});

describe("the audit log filtered by reason (where the traffic pages' reasons link)", () => {
  it("lists the refusals of exactly one reasonCode", async () => {
    const s = await scenario();
    await s.loginWith({ aud: "https://elsewhere.example" });
    await s.loginWith({ sub: "project_path:evil/project:ref_type:branch:ref:main" });
    await s.login();
    const page = await ok("GET", `/api/v1/audit-logs?organizationId=${s.org.id}&reasonCode=audience_not_allowed`);
    expect(page.auditLogs.map((e: { reasonCode: string }) => e.reasonCode)).toEqual(["audience_not_allowed"]);
  });
});
