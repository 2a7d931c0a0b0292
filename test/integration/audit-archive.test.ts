// The audit log's two tiers (docs/architecture.md, "Audit tiers"): one D1 row per login (its audit event and
// its token's ledger entry), the move of days older than AUDIT_HOT_DAYS to the R2 archive by the cron
// (src/storage/audit-archive.ts), and reads across both (src/storage/audit-read.ts).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { runMaintenance } from "../../src/maintenance";
import { recordRenewedToken } from "../../src/storage/access-tokens";
import { flushAudit, recordLogin } from "../../src/storage/audit-log";
import { call, jwtPayload, ok } from "../support/api";
import { advanceClock, nowMs, nowSeconds } from "../support/clock";
import { fetchConsole, signIn } from "../support/console";
import { expectRefusal } from "../support/refusal";
import { GITLAB_SUBJECT, scenario } from "../support/scenario";
import { renew, useToken } from "../support/tokens";

const DAY = 86_400;
const LOOSE_SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:*";
const TRIGGER = "test_fail_archive_catalog";

afterEach(async () => {
  await env.DB.prepare(`DROP TRIGGER IF EXISTS ${TRIGGER}`).run();
});

/** Every page of a query, `limit` at a time, following nextCursor. */
async function readAll(query: string, limit = 2): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 200; pages++) {
    const page = await ok("GET", `/api/v1/audit-logs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    out.push(...page.auditLogs);
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
  throw new Error("more than 200 pages");
}

const eventRows = async (orgId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs WHERE org_id = ? AND ledger_only = 0")
    .bind(orgId)
    .first<{ n: number }>())!.n;

const archivedObjects = async (orgId: string) => (await env.AUDIT_ARCHIVE!.list({ prefix: `audit/${orgId}/` })).objects;

/** An organization with logins admitted and refused, some admin changes, and two access tokens. */
async function history() {
  const s = await scenario({ boundSubject: LOOSE_SUBJECT });
  const tokens = [await s.login(), await s.login()];
  for (let i = 0; i < 3; i++) expect((await s.loginWith({ sub: `other-${i}` })).status).toBe(401);
  expect((await s.loginWith({ sub: LOOSE_SUBJECT.replace("*", "dev"), ref: "dev" })).status).toBe(200);
  await ok("PATCH", `/api/v1/identities/${s.identity.id}`, { body: { name: "renamed" } });
  await flushAudit(env.DB);
  return { s, tokens };
}

/** The reads the API offers over one organization's log, each paged 2 at a time. */
const reads = (orgId: string, identityId: string) =>
  Promise.all([
    readAll(`organizationId=${orgId}`),
    readAll(`organizationId=${orgId}&identityId=${identityId}&outcome=failure`),
    readAll(`organizationId=${orgId}&event=login&outcome=success`, 1),
    readAll(`organizationId=${orgId}&reasonCode=subject_not_allowed`, 5),
  ]);

describe("one row per login", () => {
  it("a login writes one D1 row, the audit event and the ledger entry; renew and revoke update it", async () => {
    const s = await scenario({ accessTokenTTL: 600, accessTokenMaxTTL: 3600 });
    const token = await s.login();
    const { jti, exp } = jwtPayload(token);
    await flushAudit(env.DB);
    const rows = await env.DB.prepare("SELECT * FROM audit_logs WHERE identity_id = ? AND event = 'login'")
      .bind(s.identity.id)
      .all<any>();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]).toMatchObject({ id: jti, token_id: jti, expires_at: exp, revoked_at: null, ledger_only: 0 });

    const [event] = (await ok("GET", `/api/v1/audit-logs?identityId=${s.identity.id}&event=login`)).auditLogs;
    expect(event).toMatchObject({ id: jti, tokenId: jti, outcome: "success" });
    expect(event.details.snapshot).toBe(1);
    const { accessTokens } = await ok("GET", `/api/v1/identities/${s.identity.id}/access-tokens`);
    expect(accessTokens).toEqual([expect.objectContaining({ id: jti, expiresAt: exp, revokedAt: null })]);

    advanceClock(5);
    const renewed = await renew(token);
    expect(renewed.status).toBe(200);
    await flushAudit(env.DB);
    const listed = (await ok("GET", `/api/v1/identities/${s.identity.id}/access-tokens`)).accessTokens;
    expect(listed).toEqual([expect.objectContaining({ id: jti, expiresAt: jwtPayload(renewed.body.accessToken).exp })]);
    expect(listed[0].expiresAt).toBeGreaterThan(exp);

    await ok("POST", `/api/v1/identities/${s.identity.id}/access-tokens/${jti}/revoke`);
    expectRefusal(await useToken(token), 401, "token_revoked");
    const ledger = await env.DB.prepare("SELECT COUNT(*) AS n, MAX(revoked_at) AS r FROM audit_logs WHERE id = ?")
      .bind(jti)
      .first<any>();
    expect(ledger).toMatchObject({ n: 1, r: expect.any(Number) });
    // The login's traffic count came from that one row.
    const traffic = await env.DB.prepare("SELECT SUM(n) AS n FROM login_stats WHERE identity_id = ? AND event = 'login'")
      .bind(s.identity.id)
      .first<{ n: number }>();
    expect(traffic!.n).toBe(1);
  });

  it("a renewal that reaches D1 before its login row: a stand-in the login row completes, counted once", async () => {
    const s = await scenario();
    const now = nowSeconds();
    const jti = crypto.randomUUID();
    const claims = {
      sub: s.identity.id,
      jti,
      iat: now,
      exp: now + 600,
      org: s.org.id,
      auth_method: "oidc-auth",
      auth_id: "x",
      sob: "x",
      first_iat: now - 60,
      max_exp: now + 3600,
      ttl: 600,
      uses: 0,
    };
    const queued: Promise<unknown>[] = [];
    recordRenewedToken(env.DB, claims, "203.0.113.1", (p) => queued.push(p));
    await flushAudit(env.DB);
    expect((await ok("GET", `/api/v1/identities/${s.identity.id}/access-tokens`)).accessTokens).toEqual([
      expect.objectContaining({ id: jti, expiresAt: now + 600 }),
    ]);
    expect((await ok("GET", `/api/v1/audit-logs?identityId=${s.identity.id}&event=login`)).auditLogs).toEqual([]);

    const login = { event: "login", outcome: "success" as const, orgId: s.org.id, identityId: s.identity.id, details: { claims: {} } };
    const token = {
      jti,
      firstIssuedAt: now - 60,
      expiresAt: now - 60 + 300,
      maxExpiresAt: now + 3600,
      numUsesLimit: 0,
      authMethod: "oidc-auth",
    };
    recordLogin(env.DB, login, token, (p) => queued.push(p));
    await flushAudit(env.DB);
    recordLogin(env.DB, login, token, (p) => queued.push(p)); // a flush retried: changes nothing
    await flushAudit(env.DB);
    await Promise.all(queued);
    const rows = await env.DB.prepare("SELECT * FROM audit_logs WHERE id = ?").bind(jti).all<any>();
    expect(rows.results).toEqual([expect.objectContaining({ event: "login", ledger_only: 0, expires_at: now + 600 })]);
    const [event] = (await ok("GET", `/api/v1/audit-logs?identityId=${s.identity.id}&event=login`)).auditLogs;
    expect(event).toMatchObject({ id: jti, details: { claims: {} } });
    const traffic = await env.DB.prepare("SELECT SUM(n) AS n FROM login_stats WHERE identity_id = ? AND event = 'login'")
      .bind(s.identity.id)
      .first<{ n: number }>();
    expect(traffic!.n).toBe(1);
  });
});

describe("the R2 archive", () => {
  it("moves days older than AUDIT_HOT_DAYS to R2; every read, filter and cursor answers as before", async () => {
    const { s, tokens } = await history();
    for (let i = 0; i < 4; i++) expect((await s.loginWith({ sub: `more-${i}` })).status).toBe(401);
    await flushAudit(env.DB);
    advanceClock(9 * DAY); // the logins' day is now older than the 7-day hot window
    await ok("PATCH", `/api/v1/identities/${s.identity.id}`, { body: { name: "renamed-again" } }); // a hot event
    const before = await reads(s.org.id, s.identity.id);
    expect(before[0].length).toBe(15);

    // One row per part: more parts than a page reads (MAX_PARTS_PER_PAGE), so sparse filters page on short pages.
    const run = await runMaintenance(env, nowMs(), { partRows: 1 });
    expect(run.archived).toBeGreaterThanOrEqual(9);
    expect(await eventRows(s.org.id)).toBe(1); // only today's change is left in D1
    const objects = await archivedObjects(s.org.id);
    expect(objects.length).toBe(before[0].length - 1); // each event of the day a part of its own
    for (const o of objects)
      expect(o.key).toMatch(new RegExp(`^audit/${s.org.id}/\\d{4}-\\d{2}-\\d{2}/\\d{13}-[0-9a-f-]{36}\\.ndjson\\.gz$`));

    expect(await reads(s.org.id, s.identity.id)).toEqual(before);

    // The tokens are still live (30 days): their rows stay in D1 as ledger entries, without the details.
    const ledger = await env.DB.prepare("SELECT details, ledger_only FROM audit_logs WHERE id = ?")
      .bind(jwtPayload(tokens[0]!).jti)
      .first<any>();
    expect(ledger).toEqual({ details: null, ledger_only: 1 });
    const { accessTokens } = await ok("GET", `/api/v1/identities/${s.identity.id}/access-tokens`);
    expect(accessTokens).toHaveLength(3);
    await ok("POST", `/api/v1/identities/${s.identity.id}/access-tokens/${jwtPayload(tokens[0]!).jti}/revoke`);
    expectRefusal(await useToken(tokens[0]!), 401, "token_revoked");
    expect((await useToken(tokens[1]!)).status).toBe(200);

    // The console's audit page reads the archive too.
    const { cookie } = await signIn("http://localhost:8787");
    const html = await (
      await fetchConsole(`http://localhost:8787/admin/orgs/${s.org.id}/audit?outcome=failure`, { headers: { cookie } })
    ).text();
    expect(html.match(/subject_not_allowed/g)?.length).toBeGreaterThanOrEqual(before[3].length);

    // A second run finds nothing more to move.
    expect((await runMaintenance(env, nowMs(), { partRows: 1 })).archived).toBe(0);
    expect(await archivedObjects(s.org.id)).toHaveLength(objects.length);
  });

  it("what-if replays archived logins and judges live tokens by their archived claims", async () => {
    const { s } = await history();
    const proposal = { boundSubject: GITLAB_SUBJECT };
    const whatIf = async () => await ok("POST", `/api/v1/auth/oidc-auth/identities/${s.identity.id}/what-if`, { body: proposal });
    const hot = await whatIf();
    expect(hot).toMatchObject({ evaluated: 6, lostCount: 1, liveTokensEnded: 1 });
    advanceClock(9 * DAY);
    await runMaintenance(env, nowMs(), { partRows: 2 });
    expect(await eventRows(s.org.id)).toBe(0);
    const cold = await whatIf();
    expect({ ...cold, from: 0, to: 0 }).toEqual({ ...hot, from: 0, to: 0 });
  });

  it("what-if reads at most 100 archived parts, and says truncated past them", { timeout: 60_000 }, async () => {
    const s = await scenario();
    for (let i = 0; i < 105; i++) await s.login();
    await flushAudit(env.DB);
    advanceClock(9 * DAY);
    await runMaintenance(env, nowMs(), { partRows: 1 });
    const res = await ok("POST", `/api/v1/auth/oidc-auth/identities/${s.identity.id}/what-if`, { body: { boundSubject: "nobody" } });
    expect(res.truncated).toBe(true);
    expect(res.evaluated).toBeLessThanOrEqual(100);
    expect(res.evaluated).toBeGreaterThanOrEqual(90);
  });

  it("an interrupted archive (R2 written, D1 not) neither loses nor duplicates an event when repeated", async () => {
    await runMaintenance(env, nowMs() + 9 * DAY * 1000); // earlier tests' events first: this test's are the oldest left
    const { s } = await history();
    advanceClock(9 * DAY);
    const before = await reads(s.org.id, s.identity.id);
    await env.DB.prepare(
      `CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON audit_archive_parts BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`,
    ).run();
    expect(await runMaintenance(env, nowMs(), { partRows: 4 })).toMatchObject({ archiveFailed: true, backlog: true });
    // The object was written, its rows were not taken out of D1: nobody reads the object.
    expect((await archivedObjects(s.org.id)).length).toBeGreaterThanOrEqual(1);
    expect(await eventRows(s.org.id)).toBe(before[0].length);
    expect(await reads(s.org.id, s.identity.id)).toEqual(before);

    await env.DB.prepare(`DROP TRIGGER ${TRIGGER}`).run();
    await runMaintenance(env, nowMs(), { partRows: 4 });
    await runMaintenance(env, nowMs(), { partRows: 4 });
    expect(await eventRows(s.org.id)).toBe(0);
    const objects = await archivedObjects(s.org.id);
    const { results } = await env.DB.prepare("SELECT key, rows FROM audit_archive_parts WHERE org_id = ?").bind(s.org.id).all<any>();
    expect(results.map((r) => r.key).sort()).toEqual(objects.map((o) => o.key).sort()); // the repeat rewrote the same object
    expect(results.reduce((n, r) => n + r.rows, 0)).toBe(before[0].length);
    expect(await reads(s.org.id, s.identity.id)).toEqual(before);
  });

  it("retention deletes in both tiers: archived days and the ledger of expired tokens", async () => {
    const { s } = await history();
    advanceClock(9 * DAY);
    await runMaintenance(env, nowMs());
    expect((await archivedObjects(s.org.id)).length).toBeGreaterThan(0);
    advanceClock(80 * DAY); // 89 days: still kept
    await runMaintenance(env, nowMs());
    expect((await readAll(`organizationId=${s.org.id}`, 50)).length).toBeGreaterThan(0);
    advanceClock(2 * DAY); // 91 days: past AUDIT_RETENTION_DAYS
    const run = await runMaintenance(env, nowMs());
    expect(run.partsDeleted).toBeGreaterThan(0);
    expect(await archivedObjects(s.org.id)).toEqual([]);
    expect(await readAll(`organizationId=${s.org.id}`, 50)).toEqual([]);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs WHERE org_id = ?").bind(s.org.id).first<{ n: number }>();
    expect(left!.n).toBe(0); // the tokens' ledger rows went when they expired
    expect((await call("GET", `/api/v1/identities/${s.identity.id}/access-tokens`)).body.accessTokens).toEqual([]);
  });
});

describe("retention shorter than a token's life", () => {
  it("a live token's row past AUDIT_RETENTION_DAYS loses its event and stays as the token's ledger entry", async () => {
    const s = await scenario();
    const token = await s.login();
    await flushAudit(env.DB);
    const { jti } = jwtPayload(token);
    const short = { ...env, AUDIT_RETENTION_DAYS: "2", AUDIT_HOT_DAYS: "1" };
    advanceClock(3 * DAY);
    await runMaintenance(short, nowMs());
    expect(await env.DB.prepare("SELECT details, ledger_only FROM audit_logs WHERE id = ?").bind(jti).first()).toEqual({
      details: null,
      ledger_only: 1,
    });
    expect((await ok("GET", `/api/v1/audit-logs?identityId=${s.identity.id}&event=login`)).auditLogs).toEqual([]);
    const { accessTokens } = await ok("GET", `/api/v1/identities/${s.identity.id}/access-tokens`);
    expect(accessTokens.map((t: any) => t.id)).toEqual([jti]);
    expect((await useToken(token)).status).toBe(200);
  });
});
