// The example secrets Worker with edge-oidc-auth bound over a real service binding (AuthService): the
// queries Infisical's clients send, project roles, and every token rule enforced through the binding.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authApi, fixture, getSecrets, sdkListQuery, seedSecrets } from "./helpers";

const keys = (body: { secrets: { secretKey: string; secretPath: string }[] }) =>
  body.secrets.map((s) => `${s.secretPath}:${s.secretKey}`);

describe("reading secrets with an access token", () => {
  it("lists a folder with the query @infisical/sdk sends, in Infisical's response shape", async () => {
    const f = await fixture("viewer");
    const token = await f.login();
    const res = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId)}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(keys(res.body)).toEqual(["/:API_KEY", "/:DATABASE_URL"]);
    expect(res.body.imports).toEqual([]);
    expect(res.body.secrets[1]).toMatchObject({
      secretKey: "DATABASE_URL",
      secretValue: "postgres://prod",
      secretValueHidden: false,
      workspace: f.projectId,
      environment: "production",
      secretPath: "/",
      type: "shared",
      version: 1,
      tags: [],
    });
  });

  it("lists sub-folders with recursive=true, other environments apart", async () => {
    const f = await fixture("member");
    const token = await f.login();
    const all = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId, "production", { recursive: "true" })}`, { token });
    expect(keys(all.body)).toEqual(["/:API_KEY", "/:DATABASE_URL", "/app/api:API_TOKEN"]);
    const folder = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId, "production", { secretPath: "/app/api/" })}`, {
      token,
    });
    expect(keys(folder.body)).toEqual(["/app/api:API_TOKEN"]);
    const staging = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId, "staging")}`, { token });
    expect(staging.body.secrets.map((s: { secretValue: string }) => s.secretValue)).toEqual(["postgres://staging"]);
  });

  it("reads one secret by name, and hides values when viewSecretValue=false", async () => {
    const f = await fixture("admin");
    const token = await f.login();
    const one = await getSecrets(`/api/v3/secrets/raw/API_KEY${sdkListQuery(f.projectId)}`, { token });
    expect(one.status).toBe(200);
    expect(one.body.secret).toMatchObject({ secretKey: "API_KEY", secretValue: "prod-key" });
    const missing = await getSecrets(`/api/v3/secrets/raw/NOPE${sdkListQuery(f.projectId)}`, { token });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, reasonCode: "secret_not_found" });
    expect((await getSecrets(`/api/v3/secrets/raw/%E0%A4%A${sdkListQuery(f.projectId)}`, { token })).status).toBe(422);
    const hidden = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId, "production", { viewSecretValue: "false" })}`, {
      token,
    });
    expect(hidden.body.secrets[0]).toMatchObject({ secretValue: "<hidden-by-infisical>", secretValueHidden: true });
  });

  it("answers the v4 paths and query current `infisical run` sends (projectId, includeImports)", async () => {
    const f = await fixture("viewer");
    const token = await f.login();
    // Infisical CLI (packages/api CallGetSecretsV4): User-Agent cli, Accept application/json, Bearer token.
    const q = new URLSearchParams({
      projectId: f.projectId,
      environment: "production",
      secretPath: "/",
      includeImports: "true",
      recursive: "false",
      expandSecretReferences: "true",
      includePersonalOverrides: "false",
    });
    const list = await getSecrets(`/api/v4/secrets?${q}`, { token });
    expect(list.status).toBe(200);
    expect(keys(list.body)).toEqual(["/:API_KEY", "/:DATABASE_URL"]);
    const one = await getSecrets(`/api/v4/secrets/DATABASE_URL?${q}`, { token });
    expect(one.body.secret.secretValue).toBe("postgres://prod");
  });

  it("finds the project by slug (workspaceSlug, as Infisical's GitHub Action sends it)", async () => {
    const f = await fixture("viewer");
    const token = await f.login();
    const q = new URLSearchParams({
      secretPath: "/",
      environment: "production",
      include_imports: "true",
      recursive: "false",
      workspaceSlug: f.projectSlug,
      expandSecretReferences: "true",
    });
    const res = await getSecrets(`/api/v3/secrets/raw?${q}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(keys(res.body)).toEqual(["/:API_KEY", "/:DATABASE_URL"]);
    const unknown = await getSecrets(
      `/api/v3/secrets/raw?${new URLSearchParams({ environment: "production", workspaceSlug: "nope" })}`,
      { token },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.reasonCode).toBe("project_not_found");
  });
});

describe("project roles", () => {
  for (const role of ["admin", "member", "viewer"]) {
    it(`${role} may read`, async () => {
      const f = await fixture(role);
      expect((await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId)}`, { token: await f.login() })).status).toBe(200);
    });
  }

  it("a project id in upper case is the same project (edge-oidc-auth's ids match in any case)", async () => {
    const f = await fixture("viewer");
    const res = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId.toUpperCase())}`, { token: await f.login() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.secrets.length).toBeGreaterThan(0);
  });

  it("no-access may not (403 project_role_forbidden)", async () => {
    const f = await fixture("no-access");
    const res = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId)}`, { token: await f.login() });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, error: "Forbidden", reasonCode: "project_role_forbidden" });
  });

  it("an identity that is not a member may not (403 not_a_project_member), nor read another project", async () => {
    const outsider = await fixture(null);
    const res = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(outsider.projectId)}`, { token: await outsider.login() });
    expect(res.status).toBe(403);
    expect(res.body.reasonCode).toBe("not_a_project_member");

    const other = await fixture("viewer");
    const member = await fixture("admin");
    const cross = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(other.projectId)}`, { token: await member.login() });
    expect(cross.status).toBe(403);
  });

  it("a membership removed takes effect on the very next read of a live token", async () => {
    const f = await fixture("viewer");
    const token = await f.login();
    const url = `/api/v3/secrets/raw${sdkListQuery(f.projectId)}`;
    expect((await getSecrets(url, { token })).status).toBe(200);
    const removed = await authApi("DELETE", `/api/v1/projects/${f.projectId}/memberships/identities/${f.identityId}`);
    expect(removed.status).toBe(200);
    expect((await getSecrets(url, { token })).status).toBe(403);
  });

  it("a temporary role grants only while in force: one whose end time has passed does not", async () => {
    const f = await fixture(null);
    const token = await f.login();
    const url = `/api/v3/secrets/raw${sdkListQuery(f.projectId)}`;
    // As Infisical's Terraform provider grants it, at Infisical's older path.
    const path = `/api/v2/workspace/${f.projectId}/identity-memberships/${f.identityId}`;
    const viewerFor1h = (startMs: number) => ({
      role: "viewer",
      isTemporary: true,
      temporaryMode: "relative",
      temporaryRange: "1h",
      temporaryAccessStartTime: new Date(startMs).toISOString(),
    });
    const ended = await authApi("POST", path, { roles: [{ role: "no-access" }, viewerFor1h(Date.now() - 2 * 3_600_000)] });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    const refused = await getSecrets(url, { token });
    expect(refused.status).toBe(403);
    expect(refused.body.reasonCode).toBe("project_role_forbidden");

    expect((await authApi("PATCH", path, { roles: [{ role: "no-access" }, viewerFor1h(Date.now())] })).status).toBe(200);
    expect((await getSecrets(url, { token })).status).toBe(200);
  });
});

describe("token rules, enforced through the AuthService binding", () => {
  it("refuses a request without a token (401, with a challenge) and a forged one", async () => {
    const f = await fixture("viewer");
    const none = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId)}`);
    expect(none.status).toBe(401);
    expect(none.body.reasonCode).toBe("credentials_missing");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const token = await f.login();
    const forged = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId)}`, { token: `${token.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
  });

  it("refuses a revoked token at once", async () => {
    const f = await fixture("viewer");
    const token = await f.login();
    const url = `/api/v3/secrets/raw${sdkListQuery(f.projectId)}`;
    expect((await getSecrets(url, { token })).status).toBe(200);
    expect((await authApi("POST", "/api/v1/auth/token/revoke", { accessToken: token }, null)).status).toBe(200);
    const res = await getSecrets(url, { token });
    expect(res.status).toBe(401);
  });

  it("counts each read as a use; a malformed request consumes none", async () => {
    const f = await fixture("viewer", { accessTokenNumUsesLimit: 2 });
    const token = await f.login();
    const url = `/api/v3/secrets/raw${sdkListQuery(f.projectId)}`;
    const malformed = await getSecrets("/api/v3/secrets/raw?environment=production", { token });
    expect(malformed.status).toBe(422);
    expect((await getSecrets(url, { token })).status).toBe(200);
    expect((await getSecrets(url, { token })).status).toBe(200);
    const third = await getSecrets(url, { token });
    expect(third.status).toBe(401);
  });

  it("checks the trusted IPs against the address Cloudflare saw (CF-Connecting-IP)", async () => {
    const f = await fixture("viewer", { accessTokenTrustedIps: [{ ipAddress: "10.0.0.0/8" }] });
    const token = await f.login();
    const url = `/api/v3/secrets/raw${sdkListQuery(f.projectId)}`;
    expect((await getSecrets(url, { token, ip: "10.1.2.3" })).status).toBe(200);
    const outside = await getSecrets(url, { token, ip: "203.0.113.9" });
    expect(outside.status).toBe(403);
    expect(outside.body.reasonCode).toBe("ip_not_trusted");
    // A header that is no address (only a local client can send one) is an unknown address: refused here...
    for (const ip of ["not-an-ip", "999.1.1.1", "fe80::1%eth0", "10.1.2.3, 10.1.2.4"]) {
      const unknown = await getSecrets(url, { token, ip });
      expect([unknown.status, unknown.body.reasonCode], ip).toEqual([403, "ip_not_trusted"]);
    }
    // ... and admitted by an identity that trusts every address, never a 500.
    const open = await fixture("viewer");
    const openToken = await open.login();
    const read = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(open.projectId)}`, { token: openToken, ip: "not-an-ip" });
    expect(read.status).toBe(200);
  });

  it("refuses a project id longer than AuthService takes with 422, before the token is used", async () => {
    const f = await fixture("viewer", { accessTokenNumUsesLimit: 1 });
    const token = await f.login();
    for (const path of [
      "/api/v3/secrets/raw?environment=production&workspaceId=",
      "/api/v4/secrets?environment=production&projectId=",
    ]) {
      const long = await getSecrets(`${path}${"a".repeat(129)}`, { token });
      expect([long.status, long.body.reasonCode]).toEqual([422, "invalid_request"]);
    }
    const member = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId)}`, { token });
    expect(member.status).toBe(200); // the one use was still there
  });
});

describe("methods", () => {
  it("answers a served path under another method with 405 and Allow, an unknown path with 404", async () => {
    const call = (method: string, path: string) => exports.default.fetch(new Request(`http://secrets.test${path}`, { method }));
    for (const [method, path, allow] of [
      ["POST", "/api/v3/secrets/raw", "GET"],
      ["DELETE", "/api/v4/secrets/DATABASE_URL", "GET"],
      ["GET", "/admin/secrets", "PUT"],
    ] as const) {
      const res = await call(method, path);
      expect([res.status, res.headers.get("allow")]).toEqual([405, allow]);
      expect(await res.json()).toMatchObject({ statusCode: 405, error: "Method Not Allowed", reasonCode: "method_not_allowed" });
    }
    expect((await call("GET", "/api/v5/nothing")).status).toBe(404);
  });
});

describe("seeding (PUT /admin/secrets)", () => {
  it("needs the Worker's own admin key, not edge-oidc-auth's", async () => {
    const body = { projectId: crypto.randomUUID(), environment: "dev", secrets: { A: "1" } };
    expect((await seedSecrets(body, null)).status).toBe(401);
    expect((await seedSecrets(body, "test-admin-key-0123456789abcdef-0123456789")).status).toBe(401);
    expect((await seedSecrets(body)).status).toBe(200);
  });

  it("validates the body and versions changed values", async () => {
    expect((await seedSecrets({ environment: "dev", secrets: {} })).status).toBe(422);
    expect((await seedSecrets({ projectId: "p", environment: "dev", secrets: { "bad name": "x" } })).status).toBe(422);
    expect((await seedSecrets({ projectId: "p", environment: "dev", secretPath: "../etc", secrets: {} })).status).toBe(422);

    const f = await fixture("viewer");
    await seedSecrets({
      projectId: f.projectId,
      environment: "production",
      secrets: { API_KEY: "rotated", DATABASE_URL: "postgres://prod" },
    });
    const res = await getSecrets(`/api/v3/secrets/raw${sdkListQuery(f.projectId)}`, { token: await f.login() });
    const byKey = Object.fromEntries(res.body.secrets.map((s: { secretKey: string }) => [s.secretKey, s]));
    expect(byKey.API_KEY).toMatchObject({ secretValue: "rotated", version: 2 });
    expect(byKey.DATABASE_URL).toMatchObject({ secretValue: "postgres://prod", version: 1 });
  });
});
