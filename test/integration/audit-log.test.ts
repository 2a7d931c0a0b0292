import { env } from "cloudflare:workers";
import { createScheduledController, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { runMaintenance } from "../../src/maintenance";
import { AUDIT_COUNT_WINDOW_MS, flushAudit, recordAudit, recordCountedAudit } from "../../src/storage/audit-log";
import { advanceClock, advanceClockTo, nowSeconds } from "../support/clock";
import { call, jwtPayload, login, ok, setupIdentity } from "../support/api";
import { createIdp, gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { GITLAB_SUBJECT, scenario } from "../support/scenario";

/** Two organizations, each with an identity that logged in once: a log with events of both. */
async function twoOrganizationsWithALogin() {
  const both = [await scenario(), await scenario()] as const;
  for (const s of both) await s.login();
  return both;
}

async function auditFor(orgId: string, query = "") {
  return (await ok("GET", `/api/v1/audit-logs?organizationId=${orgId}${query}`)).auditLogs as any[];
}

describe("audit trail", () => {
  it("stores details as their JSON text, whatever their type, through the write-behind rows", async () => {
    const event = `test.details.${crypto.randomUUID()}`;
    const cases: unknown[] = [
      {
        claims: { sub: 'a "quoted" \\ path\nline', "é€😀": "\u2028", n: 1.5, big: 12345678901234567000, t: true, x: null },
        leftOut: [],
      },
      [1, "two", { three: [3] }],
      "a string",
      42,
      false,
      undefined,
    ];
    const noWait = () => {};
    for (const [i, details] of cases.entries())
      recordAudit(env.DB, { event, outcome: "success", tokenId: String(i), details }, noWait);
    await flushAudit(env.DB);
    const { results } = await env.DB.prepare(
      "SELECT token_id, details FROM audit_logs WHERE event = ? ORDER BY CAST(token_id AS INTEGER)",
    )
      .bind(event)
      .all<{ token_id: string; details: string | null }>();
    expect(results.map((r) => r.details)).toEqual(cases.map((d) => (d === undefined ? null : JSON.stringify(d))));
  });

  it("records a successful login with its claim snapshot and the issued token id", async () => {
    const idp = createIdp();
    const { org, identity } = await setupIdentity(idp.issuer, { boundClaims: { ref_protected: "true" } });
    const jwt = await idp.mint(gitlabClaims());
    const res = await login(identity.id, jwt, { ip: "203.0.113.9" });
    expect(res.status).toBe(200);
    const jti = JSON.parse(atob(res.body.accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).jti;

    const [event] = await auditFor(org.id, "&event=login");
    expect(event).toMatchObject({
      event: "login",
      outcome: "success",
      identityId: identity.id,
      orgId: org.id,
      clientIp: "203.0.113.9",
      tokenId: jti,
    });
    expect(event.details.claims).toMatchObject({
      iss: idp.issuer,
      sub: "project_path:mygroup/myproject:ref_type:branch:ref:main",
      ref_protected: "true",
    });
    expect(event.details).toEqual({ claims: jwtPayload(jwt), snapshot: 1, leftOut: [] });
    expect(JSON.stringify(event)).not.toContain(res.body.accessToken);
  });

  it("records a refused login with its reasonCode, and never the token", async () => {
    const idp = createIdp();
    const { org, identity } = await setupIdentity(idp.issuer);
    const jwt = await idp.mint(gitlabClaims({ aud: "https://someone-else.example" }));
    expectRefusal(await login(identity.id, jwt), 401, "audience_not_allowed", { secrets: [jwt] });

    const [event] = await auditFor(org.id, "&outcome=failure");
    expect(event).toMatchObject({ event: "login", outcome: "failure", reasonCode: "audience_not_allowed", tokenId: null });
    expect(JSON.stringify(event)).not.toContain(jwt.split(".")[1]);
  });

  it("names the rule that refused a login, its pattern and the token's value (cut); the caller gets only the reasonCode", async () => {
    const s = await scenario({ boundClaims: { ref_protected: "true" } });
    const longSubject = `project_path:someone-else/${"x".repeat(400)}`;
    const cases = [
      {
        claims: { sub: longSubject },
        reasonCode: "subject_not_allowed" as const,
        failedRule: { rule: "subject", expected: GITLAB_SUBJECT, actual: longSubject.slice(0, 256) },
      },
      {
        claims: { ref_protected: "false" },
        reasonCode: "claim_not_allowed: ref_protected" as const,
        failedRule: { rule: "claim", claim: "ref_protected", expected: "true", actual: "false" },
      },
      {
        claims: { aud: ["a", "b"] },
        reasonCode: "audience_not_allowed" as const,
        failedRule: { rule: "audience", expected: "https://edge-oidc-auth.example", actual: ["a", "b"] },
      },
      {
        claims: { iss: "https://gitlab.example" },
        reasonCode: "issuer_mismatch" as const,
        failedRule: { rule: "issuer", expected: s.idp.issuer, actual: "https://gitlab.example" },
      },
    ];
    for (const c of cases) {
      const res = await s.loginWith(c.claims);
      expectRefusal(res, 401, c.reasonCode, { secrets: [res.jwt] });
      expect(res.body.details).toBeUndefined();
      const [event] = await auditFor(s.org.id, "&outcome=failure&limit=1");
      expect(event.reasonCode).toBe(c.reasonCode);
      expect(event.details).toEqual({ claims: jwtPayload(res.jwt), snapshot: 1, leftOut: [], failedRule: c.failedRule });
      for (const part of res.jwt.split(".")) expect(JSON.stringify(event)).not.toContain(part);
    }
  });

  it("keeps the claims of an expired token (its signature verified) but nothing of a forged one", async () => {
    const s = await scenario();
    const expired = await s.loginWith({}, { expiresIn: -3600 });
    expectRefusal(expired, 401, "token_expired");
    const [late] = await auditFor(s.org.id, "&outcome=failure&limit=1");
    expect(late.details).toEqual({ claims: jwtPayload(expired.jwt), snapshot: 1, leftOut: [] });

    const [head, body, sig] = (await s.idp.mint(gitlabClaims())).split(".");
    const forged = `${head}.${body}.${sig!.slice(0, 10)}${sig![10] === "A" ? "B" : "A"}${sig!.slice(11)}`;
    expectRefusal(await s.loginJwt(forged), 401, "signature_invalid");
    const [bad] = await auditFor(s.org.id, "&outcome=failure&limit=1");
    expect(bad).toMatchObject({ reasonCode: "signature_invalid", details: null });
  });

  it("records admin changes with who made them and before/after", async () => {
    const idp = createIdp();
    const { org, identity } = await setupIdentity(idp.issuer);
    await ok("PATCH", `/api/v1/identities/${identity.id}`, { body: { role: "member" } });

    const [change] = await auditFor(org.id, "&event=identity.update");
    expect(change).toMatchObject({ actor: "admin-key", identityId: identity.id, outcome: "success" });
    expect(change.details.before.role).toBe("no-access");
    expect(change.details.after.role).toBe("member");
    const events = (await auditFor(org.id)).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(["identity.create", "oidc-auth.attach", "identity.update"]));
  });

  it("filters by identity, outcome and time, and pages with a cursor", async () => {
    const idp = createIdp();
    const { org, identity } = await setupIdentity(idp.issuer);
    const before = Date.now();
    for (let i = 0; i < 5; i++) await login(identity.id, await idp.mint(gitlabClaims({ sub: `wrong-${i}` })));
    const page1 = await ok("GET", `/api/v1/audit-logs?organizationId=${org.id}&identityId=${identity.id}&outcome=failure&limit=2`);
    expect(page1.auditLogs).toHaveLength(2);
    const page2 = await ok(
      "GET",
      `/api/v1/audit-logs?organizationId=${org.id}&identityId=${identity.id}&outcome=failure&limit=2&cursor=${page1.nextCursor}`,
    );
    const page3 = await ok(
      "GET",
      `/api/v1/audit-logs?organizationId=${org.id}&identityId=${identity.id}&outcome=failure&limit=2&cursor=${page2.nextCursor}`,
    );
    const ids = [...page1.auditLogs, ...page2.auditLogs, ...page3.auditLogs].map((e: any) => e.id);
    expect(new Set(ids).size).toBe(5);
    expect(page3.nextCursor).toBeNull();
    const future = await auditFor(org.id, `&from=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future).toHaveLength(0);
    const since = await auditFor(org.id, `&outcome=failure&from=${before}`);
    expect(since).toHaveLength(5);
  });

  it("refuses bad filters with 422 and another organization's log to an org-admin token with 403", async () => {
    expectRefusal(await call("GET", "/api/v1/audit-logs?outcome=maybe"), 422, "invalid_request");
    expectRefusal(await call("GET", "/api/v1/audit-logs", { token: null }), 401, "credentials_missing");
    // Times are read strictly: a typo is a 422, never another window (Date.parse reads "audit 2027" as 2027).
    for (const time of ["audit 2027", "2026-02-30", "2026-11-31T00:00:00Z", "Dec 2 2026", "1.5", "-1", "2026-12-01T10:00:00"]) {
      const res = await call("GET", `/api/v1/audit-logs?from=${encodeURIComponent(time)}`);
      expectRefusal(res, 422, "invalid_request");
      expect(res.body.details, time).toEqual([{ field: "from", message: expect.any(String) }]);
    }
    expectRefusal(await call("GET", "/api/v1/audit-logs?from=2026-12-02&to=2026-12-01"), 422, "invalid_request");
    expect((await ok("GET", "/api/v1/audit-logs?from=2026-12-01&to=2026-12-01T00:00:00.000Z&limit=1")).auditLogs).toEqual([]);
    // A parameter sent twice is refused; one sent empty is not sent.
    expectRefusal(await call("GET", "/api/v1/audit-logs?outcome=failure&outcome=success"), 422, "invalid_request");
    expect((await ok("GET", "/api/v1/audit-logs?event=&identityId=&limit=1")).auditLogs).toHaveLength(1);
    // An organization that does not exist is a 404, as for the traffic API; an org admin asking about
    // another organization's identity is a 403, not an empty page.
    expectRefusal(await call("GET", `/api/v1/audit-logs?organizationId=${crypto.randomUUID()}`), 404, "organization_not_found");
    const mine = await scenario({}, { role: "admin" });
    const theirs = await scenario();
    const adminToken = await mine.login();
    expectRefusal(
      await call("GET", `/api/v1/audit-logs?organizationId=${theirs.org.id}`, { token: adminToken }),
      403,
      "organization_forbidden",
    );
    expectRefusal(
      await call("GET", `/api/v1/audit-logs?identityId=${theirs.identity.id}`, { token: adminToken }),
      403,
      "organization_forbidden",
    );
    expect(
      (await ok("GET", `/api/v1/audit-logs?identityId=${mine.identity.id}`, { token: adminToken })).auditLogs.length,
    ).toBeGreaterThan(0);
  });

  it("says which query parameters an admin read ignored, so a misspelt filter does not pass for a filtered answer", async () => {
    const [s, other] = await twoOrganizationsWithALogin();
    // `organization` is not a filter: the whole log is answered, and the answer says so.
    const misspelt = await ok("GET", `/api/v1/audit-logs?organization=${s.org.id}&limit=500`);
    expect(misspelt.auditLogs.some((e: { orgId: string }) => e.orgId === other.org.id)).toBe(true);
    expect(misspelt.warnings).toEqual([
      {
        code: "unknown_keys_ignored",
        field: "organization",
        keys: ["organization"],
        message: "Ignored, not query parameters this request takes: organization.",
      },
    ]);
    // Spelt right, the same read is filtered and has nothing to say.
    const filtered = await ok("GET", `/api/v1/audit-logs?organizationId=${s.org.id}&limit=500`);
    expect(filtered.auditLogs.every((e: { orgId: string }) => e.orgId === s.org.id)).toBe(true);
    expect(filtered).not.toHaveProperty("warnings");
    // The other admin reads that take a query say the same.
    const traffic = await ok("GET", `/api/v1/login-traffic?organizationId=${s.org.id}&windw=30d`);
    expect(traffic.window).toBe("24h");
    expect(traffic.warnings.map((w: { keys: string[] }) => w.keys)).toEqual([["windw"]]);
    const identities = await ok("GET", `/api/v1/identities?orgId=${s.org.id}&identity=${s.identity.id}&x=1`);
    expect(identities.identities.map((i: { identity: { id: string } }) => i.identity.id)).toEqual([s.identity.id]);
    expect(identities.warnings.map((w: { keys: string[] }) => w.keys)).toEqual([["identity", "x"]]);
    expect(await ok("GET", `/api/v1/identities?orgId=${s.org.id}`)).not.toHaveProperty("warnings");
    // A read refused for a missing parameter names the ones it ignored: the likelier cause.
    const required = await call("GET", `/api/v1/identities?orgID=${s.org.id}`);
    expectRefusal(required, 422, "invalid_request");
    expect(required.body.message).toBe(
      "organizationId (or orgId) query parameter is required. Ignored, not query parameters this request takes: orgID.",
    );
  });

  it("takes orgId for organizationId on every admin read that takes one, as Infisical's identity list names it", async () => {
    const [s, other] = await twoOrganizationsWithALogin();
    const byOrgId = await ok("GET", `/api/v1/audit-logs?orgId=${s.org.id}&limit=500`);
    expect(byOrgId.auditLogs.length).toBeGreaterThan(0);
    expect(byOrgId.auditLogs.every((e: { orgId: string }) => e.orgId === s.org.id)).toBe(true);
    expect(byOrgId).not.toHaveProperty("warnings");
    const traffic = await ok("GET", `/api/v1/login-traffic?orgId=${s.org.id}`);
    expect(traffic.totals.login.successes).toBe(1);
    expect((await ok("GET", `/api/v1/projects?orgId=${s.org.id}`)).projects).toEqual([]);
    for (const path of ["/api/v1/audit-logs", "/api/v1/login-traffic", "/api/v1/identities", "/api/v1/projects"]) {
      const both = await call("GET", `${path}?organizationId=${s.org.id}&orgId=${other.org.id}`);
      expectRefusal(both, 422, "invalid_request");
      expect(both.body.message, path).toBe("organizationId and orgId name different organizations");
    }
  });

  it("never says back a token sent where a name goes, whole or cut", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const [header, payload] = jwt.split(".") as [string, string];
    const answers = [
      await call("GET", `/api/v1/audit-logs?${jwt}=1`),
      await call("GET", `/api/v1/audit-logs?${jwt}=1&${jwt}=2`), // named twice: a 422 naming the parameter
      await call("POST", "/api/v1/organizations", { body: { name: `org-${crypto.randomUUID()}`, [jwt]: 1 } }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 422, 200]);
    for (const answer of answers) {
      const text = JSON.stringify(answer.body);
      expect(text).toContain("[redacted-jwt]");
      expect(text).not.toContain(header);
      expect(text).not.toContain(payload.slice(0, 16));
    }
  });

  it("the cron trigger drops events older than AUDIT_RETENTION_DAYS and keeps the rest (archived past AUDIT_HOT_DAYS)", async () => {
    const old = Date.now() - 91 * 86_400_000;
    await env.DB.prepare(
      "INSERT INTO audit_logs (id, created_at, event, outcome, org_id) VALUES (?, ?, 'login', 'success', 'retention-org')",
    )
      .bind(crypto.randomUUID(), old)
      .run();
    await env.DB.prepare(
      "INSERT INTO audit_logs (id, created_at, event, outcome, org_id) VALUES (?, ?, 'login', 'success', 'retention-org')",
    )
      .bind(crypto.randomUUID(), Date.now() - 89 * 86_400_000)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const { results } = await env.DB.prepare("SELECT created_at FROM audit_logs WHERE org_id = 'retention-org'").all();
    expect(results).toHaveLength(0); // the 89-day-old event moved to the archive, the 91-day-old one is gone
    const kept = await auditFor("retention-org");
    expect(kept.map((e) => Math.round((Date.now() - Date.parse(e.createdAt)) / 86_400_000))).toEqual([89]);
  });
});

describe("retention in bounded batches (src/maintenance.ts)", () => {
  it("deletes the oldest rows first, a batch at a time, and leaves what its budget did not reach to the next run", async () => {
    const DAY = 86_400_000;
    const oldest = Date.now() - 400 * DAY; // older than anything else in the table: deleted first
    const insert = env.DB.prepare(
      "INSERT INTO audit_logs (id, created_at, event, outcome) VALUES (?, ?, 'test.retention', 'success')",
    );
    await env.DB.batch(Array.from({ length: 12 }, (_, i) => insert.bind(crypto.randomUUID(), oldest + i)));
    const expired = Math.floor(Date.now() / 1000) - 10;
    // Ledger rows alone (a token whose login event is archived): deleted once expired.
    const ledger = env.DB.prepare(
      `INSERT INTO audit_logs (id, created_at, event, outcome, org_id, identity_id, auth_method, first_issued_at, expires_at,
         max_expires_at, num_uses_limit, ledger_only)
       VALUES (?, ?, 'login', 'success', 'retention-org', 'retention-identity', 'oidc-auth', ?, ?, ?, 0, 1)`,
    );
    await env.DB.batch(
      Array.from({ length: 3 }, () => ledger.bind(crypto.randomUUID(), (expired - 60) * 1000, expired - 60, expired, expired)),
    );
    const left = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs WHERE event = 'test.retention'").first<{ n: number }>())!.n;

    // A budget spent after one batch: one batch per run.
    const tight = { batchRows: 5, budgetMs: 0 };
    expect(await runMaintenance(env, Date.now(), tight)).toMatchObject({ auditDeleted: 5, tokensDeleted: 0, backlog: true });
    expect(await left()).toBe(7);
    expect(await runMaintenance(env, Date.now(), tight)).toMatchObject({ auditDeleted: 5, backlog: true });
    expect(await left()).toBe(2);
    // With time left, a run goes on until nothing past retention is left, the ledger's expired rows included.
    const done = await runMaintenance(env, Date.now(), { batchRows: 5 });
    expect(done.backlog).toBe(false);
    expect(await left()).toBe(0);
    const ledgerLeft = await env.DB.prepare("SELECT COUNT(*) AS n FROM access_tokens WHERE identity_id = 'retention-identity'").first<{
      n: number;
    }>();
    expect(ledgerLeft!.n).toBe(0);
  });
});

describe("counted audit rows (logins naming no identity)", () => {
  it("one row per client address and minute, whose count every flush (every isolate) adds to", async () => {
    const ip = `192.0.2.${1 + Math.floor(Math.random() * 250)}`;
    const event = { event: "test.counted", outcome: "failure" as const, reasonCode: "identity_not_found", clientIp: ip };
    const queued: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => queued.push(p);
    advanceClockTo(Math.ceil(nowSeconds() / 60) * 60 + 1); // early in a minute: the first five share it
    for (let i = 0; i < 3; i++) recordCountedAudit(env.DB, event, waitUntil);
    await flushAudit(env.DB); // one isolate's flush
    for (let i = 0; i < 2; i++) recordCountedAudit(env.DB, event, waitUntil);
    await flushAudit(env.DB); // another's, for the same minute
    recordCountedAudit(env.DB, { ...event, clientIp: "2001:db8:77:1::5" }, waitUntil);
    recordCountedAudit(env.DB, { ...event, clientIp: "2001:db8:77:1::6" }, waitUntil); // the same /64
    advanceClock(AUDIT_COUNT_WINDOW_MS / 1000); // the next minute is a row of its own
    recordCountedAudit(env.DB, event, waitUntil);
    await flushAudit(env.DB);
    await Promise.all(queued);

    const rows = (await ok("GET", "/api/v1/audit-logs?event=test.counted&limit=500")).auditLogs as any[];
    const mine = rows.filter((r) => r.clientIp === ip || r.clientIp === "2001:0db8:0077:0001::/64");
    expect(mine.map((r) => [r.clientIp, r.count]).sort()).toEqual(
      [
        [ip, 5],
        [ip, 1],
        ["2001:0db8:0077:0001::/64", 2],
      ].sort(),
    );
    for (const r of mine) {
      expect(r).toMatchObject({ outcome: "failure", reasonCode: "identity_not_found", identityId: null });
      expect(Date.parse(r.createdAt) % AUDIT_COUNT_WINDOW_MS).toBe(0); // the start of its minute
    }
  });
});

describe("an identity's live tokens", () => {
  it("lists them and revokes one: its next use fails", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer);
    const res = await login(identity.id, await idp.mint(gitlabClaims()));
    const token = res.body.accessToken;
    const { accessTokens } = await ok("GET", `/api/v1/identities/${identity.id}/access-tokens`);
    expect(accessTokens).toHaveLength(1);
    expect(accessTokens[0].revokedAt).toBeNull();
    await ok("POST", `/api/v1/identities/${identity.id}/access-tokens/${accessTokens[0].id}/revoke`);
    expectRefusal(await call("GET", "/api/v1/identities/details", { token }), 401, "token_revoked");
    const after = await ok("GET", `/api/v1/identities/${identity.id}/access-tokens`);
    expect(after.accessTokens[0].revokedAt).toBeGreaterThan(0);
    expectRefusal(await call("POST", `/api/v1/identities/${identity.id}/access-tokens/nope/revoke`), 404, "token_not_found");
  });
});

describe("write-behind batches (src/storage/write-behind.ts)", () => {
  it("writes a flush of about 2.4 MB of rows completely and in order", async () => {
    const orgId = `org-wb-${crypto.randomUUID()}`;
    const queued: Promise<unknown>[] = [];
    const big = "x".repeat(2_000); // about 2 KiB of details per event: 1,200 events are about 2.4 MB
    for (let i = 0; i < 1_200; i++) {
      recordAudit(env.DB, { event: "test.write-behind", outcome: "success", orgId, details: { i, big } }, (p) => queued.push(p));
    }
    await flushAudit(env.DB);
    const { results } = await env.DB.prepare("SELECT details FROM audit_logs WHERE org_id = ? ORDER BY rowid")
      .bind(orgId)
      .all<{ details: string }>();
    expect(results).toHaveLength(1_200);
    expect(results.map((r) => JSON.parse(r.details).i)).toEqual([...Array(1_200).keys()]);
    await Promise.all(queued); // the scheduled flush finds nothing left to write
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_logs WHERE org_id = ?").bind(orgId).first<{ n: number }>())?.n).toBe(
      1_200,
    );
  });
});
