// Admin changes and their audit rows are one D1 transaction (src/storage/audit-log.ts, auditedWrite):
// when the audit row cannot be written the change is not made either (and the answer is a 503 with
// Retry-After, never a 500); when the change fails, no audit row describes it; a change that did nothing
// (a conflict) leaves no row.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, jwtPayload, ok } from "../support/api";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";
import { useToken } from "../support/tokens";

const TRIGGER = "test_injected_write_failure";

/** Makes every insert into `table` (whose `event` is `event`, for audit_logs) abort, until afterEach. */
async function failInsertsInto(table: string, when = "1") {
  await env.DB.prepare(
    `CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON ${table} WHEN ${when} BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`,
  ).run();
}

afterEach(async () => {
  await env.DB.prepare(`DROP TRIGGER IF EXISTS ${TRIGGER}`).run();
});

async function auditRows(event: string, orgId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM audit_logs WHERE event = ? AND org_id = ?").bind(event, orgId).all();
  return results;
}

describe("admin changes and their audit rows are written together", () => {
  it("an audit row that cannot be written: the project is not created, and the answer is a 503", async () => {
    const org = await createOrg();
    await failInsertsInto("audit_logs", "NEW.event = 'project.create'");
    const res = await call("POST", "/api/v1/projects", { body: { name: "never", organizationId: org.id } });
    expectRefusal(res, 503, "unavailable");
    expect(res.headers.get("retry-after")).toBe("1");
    const { results } = await env.DB.prepare("SELECT id FROM projects WHERE org_id = ?").bind(org.id).all();
    expect(results).toEqual([]);
  });

  it("an audit row that cannot be written: the identity is neither created, changed nor deleted", async () => {
    const org = await createOrg();
    await failInsertsInto("audit_logs", "NEW.event = 'identity.create'");
    expectRefusal(await call("POST", "/api/v1/identities", { body: { name: "never", organizationId: org.id } }), 503, "unavailable");
    const count = await env.DB.prepare("SELECT count(*) AS n FROM identities WHERE org_id = ?").bind(org.id).first<{ n: number }>();
    expect(count?.n).toBe(0);
    await env.DB.prepare(`DROP TRIGGER ${TRIGGER}`).run();

    const identity = await createIdentity(org.id, "member", "kept");
    await failInsertsInto("audit_logs", "NEW.event IN ('identity.update', 'identity.delete')");
    expectRefusal(await call("PATCH", `/api/v1/identities/${identity.id}`, { body: { role: "admin" } }), 503, "unavailable");
    expectRefusal(await call("DELETE", `/api/v1/identities/${identity.id}`), 503, "unavailable");
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity).toMatchObject({ role: "member", name: "kept" });
    expect(await auditRows("identity.update", org.id)).toEqual([]);
  });

  it("a change that fails leaves no audit row describing it", async () => {
    const org = await createOrg();
    await failInsertsInto("projects");
    expectRefusal(await call("POST", "/api/v1/projects", { body: { name: "never", organizationId: org.id } }), 503, "unavailable");
    expect(await auditRows("project.create", org.id)).toEqual([]);
  });

  it("a change that did nothing (a conflict) leaves no audit row; a change that happened leaves exactly one", async () => {
    const org = await createOrg();
    const identity = await createIdentity(org.id);
    const project = (await ok("POST", "/api/v1/projects", { body: { name: "p", organizationId: org.id } })).project;
    const path = `/api/v1/projects/${project.id}/memberships/identities/${identity.id}`;
    await ok("POST", path, { body: { roles: [{ role: "viewer" }] } });
    expect((await call("POST", path, { body: { roles: [{ role: "admin" }] } })).status).toBe(400);
    const rows = await auditRows("membership.create", org.id);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.details as string).after.roles).toEqual([
      expect.objectContaining({ role: "viewer", isTemporary: false }),
    ]);
    expect(await auditRows("project.create", org.id)).toHaveLength(1);
    expect(await auditRows("identity.create", org.id)).toHaveLength(1);
  });

  it("ending every console session is audited in the same transaction, with how many were live", async () => {
    await env.DB.prepare("INSERT INTO console_sessions (id, kind, created_at, expires_at) VALUES (?, 'admin-key', 0, ?)")
      .bind(`atomic-${crypto.randomUUID()}`, Math.floor(Date.now() / 1000) + 3600)
      .run();
    const { ended } = await ok("DELETE", "/api/v1/console/sessions");
    expect(ended).toBeGreaterThanOrEqual(1);
    const row = await env.DB.prepare(
      "SELECT details FROM audit_logs WHERE event = 'console.sessions.end' ORDER BY created_at DESC, id DESC LIMIT 1",
    ).first<{ details: string }>();
    expect(JSON.parse(row!.details)).toEqual({ ended });
  });

  it("an admin revoke whose audit row cannot be written: 503, the token is refused anyway, and the retry writes both", async () => {
    const s = await scenario();
    const token = await s.login();
    const { jti } = jwtPayload(token);
    const path = `/api/v1/identities/${s.identity.id}/access-tokens/${jti}/revoke`;
    await failInsertsInto("audit_logs", "NEW.event = 'token.revoke'");
    expectRefusal(await call("POST", path), 503, "unavailable");
    // The identity's object was told first: that is the enforcement, outside D1.
    expectRefusal(await useToken(token), 401, "token_revoked");
    const ledger = () =>
      env.DB.prepare("SELECT revoked_at FROM access_tokens WHERE id = ?").bind(jti).first<{ revoked_at: number | null }>();
    expect((await ledger())?.revoked_at).toBeNull();
    expect(await auditRows("token.revoke", s.org.id)).toEqual([]);

    await env.DB.prepare(`DROP TRIGGER ${TRIGGER}`).run();
    expect((await call("POST", path)).status).toBe(200);
    expect((await ledger())?.revoked_at).toEqual(expect.any(Number));
    expect(await auditRows("token.revoke", s.org.id)).toHaveLength(1);
  });
});
