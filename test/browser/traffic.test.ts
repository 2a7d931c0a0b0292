// The console's traffic pages in Chromium: an organization's and an identity's logins over 24 hours and 30
// days, Infisical logins and OAuth token exchanges apart, refusals stacked by reason, the top reasons
// linking to the filtered audit log; readable without JavaScript. Real logins and token exchanges of this
// hour, plus audit events of past hours and days written into D1 as the Worker writes them. Screenshots
// go to docs/screenshots/ with `npm run screenshots`.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, clickAndLoad, gitlabClaims, mint, RUNNER_IP, screenshot, signIn, startStack, ADMIN_KEY, type Stack } from "./harness";

let stack: Stack;
let context: BrowserContext;
let page: Page;
const HOUR = 3_600_000;

const state = {} as { orgId: string; deployer: string; release: string };

beforeAll(async () => {
  // The test counts this hour's logins: start it well inside an hour.
  const left = HOUR - (Date.now() % HOUR);
  if (left < 90_000) await new Promise((resolve) => setTimeout(resolve, left + 1000));
  stack = await startStack("traffic");
  context = await stack.newContext();
  page = await context.newPage();

  const admin = (method: string, path: string, body?: unknown) => api(stack, method, path, { body, token: ADMIN_KEY });
  const org = (await admin("POST", "/api/v1/organizations", { name: "Acme Corp" })).body.organization;
  state.orgId = org.id;
  const issuer = `${stack.idp.url}/t/traffic`;
  const identity = async (name: string) => {
    const id = (await admin("POST", "/api/v1/identities", { name, organizationId: org.id })).body.identity.id as string;
    await admin("POST", `/api/v1/auth/oidc-auth/identities/${id}`, {
      oidcDiscoveryUrl: issuer,
      boundIssuer: issuer,
      boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
      boundAudiences: "https://edge-oidc-auth.example",
      boundClaims: { ref_protected: "true" },
    });
    return id;
  };
  state.deployer = await identity("gitlab-deployer");
  state.release = await identity("github-release");

  // This hour: real logins and token exchanges, admitted and refused.
  const login = async (identityId: string, claims: Record<string, unknown>) =>
    api(stack, "POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId, jwt: await mint(stack.idp, "traffic", gitlabClaims(claims)) },
    });
  const exchange = async (identityId: string, claims: Record<string, unknown>) =>
    fetch(`${stack.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": RUNNER_IP },
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        subject_token: await mint(stack.idp, "traffic", gitlabClaims(claims)),
        audience: identityId,
      }),
    });
  for (let i = 0; i < 3; i++) expect((await login(state.deployer, {})).status).toBe(200);
  expect((await login(state.deployer, { ref_protected: "false" })).status).toBe(401);
  for (let i = 0; i < 2; i++) expect((await exchange(state.release, {})).status).toBe(200);
  expect((await exchange(state.release, { aud: "https://elsewhere.example" })).status).toBe(400);

  // Past hours and days: what a month of pipelines leaves in the audit log.
  const reasons = [
    "claim_not_allowed: ref_protected",
    "audience_not_allowed",
    "token_expired",
    "subject_not_allowed",
    "signature_invalid",
  ];
  const now = Date.now();
  const rows: unknown[][] = [];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let h = 1; h < 30 * 24; h++) {
    const busy = h < 24 ? 1 : 0.4;
    const logins = Math.round(random() * 6 * busy);
    const exchanges = Math.round(random() * 4 * busy);
    for (const [event, n, identityId] of [
      ["login", logins, state.deployer],
      ["token.exchange", exchanges, state.release],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const refused = random() < 0.18;
        const reason = refused ? reasons[Math.floor(random() ** 2 * reasons.length)]! : null;
        rows.push([
          crypto.randomUUID(),
          now - h * HOUR - i * 1000,
          event,
          refused ? "failure" : "success",
          reason,
          org.id,
          identityId,
        ]);
      }
    }
  }
  const insert = stack.db.prepare(
    "INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'identity:' || ?7)",
  );
  for (let i = 0; i < rows.length; i += 200) await stack.db.batch(rows.slice(i, i + 200).map((r) => insert.bind(...r)));

  await signIn(page);
});

afterAll(async () => {
  await context?.close();
  await stack?.close();
});

/** The numbers of the traffic page's stat boxes, by their caption. */
async function stats(p: Page): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const box of await p.locator("#traffic-stats .stat").all()) {
    out[(await box.locator(".what").textContent())!.trim()] = (await box.locator(".num").textContent())!.trim();
  }
  return out;
}

describe("the organization's traffic page", () => {
  it("shows the last 24 hours by hour, logins and token exchanges apart, with an accessible summary", async () => {
    await page.goto(`/admin/orgs/${state.orgId}/identities`);
    await clickAndLoad(page, page.getByRole("link", { name: "Traffic" }));
    expect(new URL(page.url()).pathname).toBe(`/admin/orgs/${state.orgId}/traffic`);
    expect(await page.locator(".tabs a.on").textContent()).toBe("Traffic");

    const charts = page.getByRole("img");
    expect(await charts.count()).toBe(2);
    const logins = page.getByRole("img", { name: /^Logins, last 24 hours/ });
    const exchanges = page.getByRole("img", { name: /^Token exchanges, last 24 hours/ });
    expect(await logins.locator("g.bar").count()).toBe(24);
    expect(await exchanges.locator("g.bar").count()).toBe(24);
    // The current hour's bar holds this hour's real attempts: 3 + 1 logins, 2 + 1 exchanges.
    expect(await logins.locator("g.bar").last().getAttribute("data-total")).toBe("4");
    expect(await exchanges.locator("g.bar").last().getAttribute("data-total")).toBe("3");
    const refused = logins.locator("g.bar").last().locator('rect[data-series^="r"], rect[data-series="other"]');
    expect(await refused.count()).toBe(1);
    expect(await refused.locator("title").textContent()).toMatch(/refused: claim_not_allowed: ref_protected: 1$/);

    // The text alternative: the summary says what the chart shows.
    const description = await page.locator("#chart-login desc").textContent();
    expect(description).toMatch(/^Logins in the last 24 hours, by hour: \d+ attempts, \d+ successful, \d+ refused/);
    const s = await stats(page);
    expect(Number(s["logins (Infisical API)"]!.replace(/,/g, ""))).toBeGreaterThanOrEqual(4);
    expect(Number(s["token exchanges (OAuth)"]!.replace(/,/g, ""))).toBeGreaterThanOrEqual(3);
    expect(s["refusal rate"]).toMatch(/ %$/);
    await screenshot(page, "traffic");
  });

  it("lists the top refusal reasons, most frequent first, each linking to the audit log filtered to it", async () => {
    const rows = page.locator("#refusal-reasons tbody tr");
    expect(await rows.count()).toBeGreaterThanOrEqual(3);
    const counts = await rows.locator("td:nth-child(2)").allTextContents();
    const numbers = counts.map((n) => Number(n.replace(/,/g, "")));
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    const reason = (await rows.first().getAttribute("data-reason"))!;

    await clickAndLoad(page, rows.first().getByRole("link", { name: "View in audit log" }));
    const url = new URL(page.url());
    expect(url.pathname).toBe(`/admin/orgs/${state.orgId}/audit`);
    expect(url.searchParams.get("reason")).toBe(reason);
    expect(url.searchParams.get("outcome")).toBe("failure");
    expect(await page.getByLabel("Reason code").inputValue()).toBe(reason);
    const events = page.locator("#audit-events tbody tr");
    expect(await events.count()).toBeGreaterThan(0);
    for (const text of await events.locator("td:nth-child(3)").allTextContents()) expect(text).toContain(reason);
    await screenshot(page, "audit-log-by-reason");
  });

  it("switches to the last 30 days by day, and a bar leads to the audit log of its day", async () => {
    await page.goto(`/admin/orgs/${state.orgId}/traffic`);
    await clickAndLoad(page, page.getByRole("link", { name: "Last 30 days" }));
    expect(new URL(page.url()).searchParams.get("window")).toBe("30d");
    const logins = page.getByRole("img", { name: /^Logins, last 30 days/ });
    expect(await logins.locator("g.bar").count()).toBe(30);
    await screenshot(page, "traffic-30d");

    const bar = logins.locator("a").nth(27);
    const label = (await bar.getAttribute("aria-label"))!; // "2026-11-28: 61"
    await clickAndLoad(page, bar);
    const url = new URL(page.url());
    expect(url.searchParams.get("event")).toBe("login");
    expect(url.searchParams.get("from")).toBe(`${label.slice(0, 10)}T00:00`);
    expect(await page.locator("#audit-events tbody tr").count()).toBe(Math.min(50, Number(label.split(": ")[1])));
  });

  it("narrows to one identity of the organization with a plain form", async () => {
    await page.goto(`/admin/orgs/${state.orgId}/traffic`);
    await page.getByLabel("Identity").selectOption({ label: "github-release" });
    await clickAndLoad(page, page.getByRole("button", { name: "Show" }));
    expect(new URL(page.url()).searchParams.get("identity")).toBe(state.release);
    expect(await stats(page).then((s) => s["logins (Infisical API)"])).toBe("0");
  });
});

describe("an identity's traffic tab", () => {
  it("shows that identity's logins only", async () => {
    await page.goto(`/admin/identities/${state.deployer}`);
    await clickAndLoad(page, page.getByRole("link", { name: "Traffic" }));
    expect(new URL(page.url()).pathname).toBe(`/admin/identities/${state.deployer}/traffic`);
    expect(await page.locator("h1").textContent()).toBe("gitlab-deployer");
    expect(await stats(page).then((s) => s["token exchanges (OAuth)"])).toBe("0");
    const logins = page.getByRole("img", { name: /^Logins, last 24 hours/ });
    expect(await logins.locator("g.bar").last().getAttribute("data-total")).toBe("4");
    await screenshot(page, "identity-traffic");
  });
});

describe("without JavaScript", () => {
  it("renders the same charts, and the numbers open as a table", async () => {
    const noJs = await stack.newContext({ javaScriptEnabled: false });
    const p = await noJs.newPage();
    await signIn(p);
    await p.goto(`/admin/orgs/${state.orgId}/traffic?window=30d`);
    expect(await p.getByRole("img").count()).toBe(2);
    const table = p.locator("#chart-login details.data table");
    expect(await table.isVisible()).toBe(false);
    await p.locator("#chart-login details.data summary").click();
    expect(await table.isVisible()).toBe(true);
    expect(await table.locator("tbody tr").count()).toBe(30);
    await noJs.close();
  });
});
