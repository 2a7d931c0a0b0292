// Per-organization quotas (ORG_MAX_IDENTITIES, ORG_MAX_PROJECTS): a create past one is 409
// `quota_exceeded` with the quota and its limit, nothing written and no audit row; concurrent creates do
// not pass it together (the count and the insert are one statement).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, ok } from "../support/api";
import { expectRefusal } from "../support/refusal";

const saved = { identities: env.ORG_MAX_IDENTITIES, projects: env.ORG_MAX_PROJECTS };

/** The Worker reads the quotas per request from its env, which the test shares: small limits for one test. */
function setQuotas(q: { identities?: number; projects?: number }) {
  if (q.identities !== undefined) env.ORG_MAX_IDENTITIES = String(q.identities);
  if (q.projects !== undefined) env.ORG_MAX_PROJECTS = String(q.projects);
}

afterEach(() => {
  env.ORG_MAX_IDENTITIES = saved.identities;
  env.ORG_MAX_PROJECTS = saved.projects;
});

async function count(table: string, orgId: string) {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE org_id = ?`).bind(orgId).first<{ n: number }>();
  return row?.n ?? 0;
}

describe("per-organization quotas", () => {
  it("the defaults are 1000 each (wrangler.toml)", () => {
    expect(saved).toEqual({ identities: "1000", projects: "1000" });
  });

  it("identities: the one past the quota is 409 quota_exceeded, not written, not audited", async () => {
    const org = await createOrg();
    setQuotas({ identities: 2 });
    await createIdentity(org.id, "no-access", "one");
    await createIdentity(org.id, "no-access", "two");
    const res = await call("POST", "/api/v1/identities", { body: { name: "three", organizationId: org.id } });
    expectRefusal(res, 409, "quota_exceeded");
    expect(res.body.details).toEqual({ quota: "identities", limit: 2 });
    expect(await count("identities", org.id)).toBe(2);
    const audit = await ok("GET", `/api/v1/audit-logs?organizationId=${org.id}&event=identity.create`);
    expect(audit.auditLogs).toHaveLength(2);

    // Another organization has its own quota; a deleted identity frees its place.
    await createIdentity((await createOrg()).id);
    const [first] = (await ok("GET", `/api/v1/identities?organizationId=${org.id}`)).identities;
    await ok("DELETE", `/api/v1/identities/${first.id}`);
    await createIdentity(org.id, "no-access", "three");
  });

  it("concurrent creates do not pass the quota together", async () => {
    const org = await createOrg();
    setQuotas({ identities: 3 });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call("POST", "/api/v1/identities", { body: { name: `c${i}`, organizationId: org.id } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 409, 409, 409, 409, 409]);
    expect(await count("identities", org.id)).toBe(3);
  });

  it("projects: the one past the quota is 409 quota_exceeded (a taken slug stays slug_taken)", async () => {
    const org = await createOrg();
    setQuotas({ projects: 1 });
    await ok("POST", "/api/v1/projects", { body: { name: "p", slug: "p", organizationId: org.id } });
    const res = await call("POST", "/api/v1/projects", { body: { name: "q", organizationId: org.id } });
    expectRefusal(res, 409, "quota_exceeded");
    expect(res.body.details).toEqual({ quota: "projects", limit: 1 });
    expect(await count("projects", org.id)).toBe(1);
    setQuotas({ projects: 5 });
    expectRefusal(
      await call("POST", "/api/v1/projects", { body: { name: "p", slug: "p", organizationId: org.id } }),
      409,
      "slug_taken",
    );
  });
});
