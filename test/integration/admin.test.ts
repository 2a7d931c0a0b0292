// The admin API: who may call it, organizations, identities.
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { answer, attachOidc, call, createIdentity, createOrg, login, ok, postLoginRaw } from "../support/api";
import { createIdp, gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario } from "../support/scenario";

const uniqueSlug = () => `acme-${crypto.randomUUID().slice(0, 8)}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** An identity with the given org role that has logged in; returns its access token. */
async function loggedInIdentity(role: "admin" | "member" | "no-access") {
  const idp = createIdp();
  const org = await createOrg();
  const identity = await createIdentity(org.id, role);
  await attachOidc(identity.id, {
    oidcDiscoveryUrl: idp.issuer,
    boundIssuer: idp.issuer,
    boundSubject: "project_path:mygroup/myproject:*",
  });
  const accessToken = expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));
  return { org, identity, accessToken };
}

describe("admin authentication", () => {
  const adminEndpoints: [string, string][] = [
    ["GET", "/api/v1/organizations"],
    ["POST", "/api/v1/organizations"],
    ["GET", `/api/v1/organizations/${crypto.randomUUID()}`],
    ["GET", `/api/v1/identities?organizationId=${crypto.randomUUID()}`],
    ["POST", "/api/v1/identities"],
    ["GET", `/api/v1/identities/${crypto.randomUUID()}`],
    ["PATCH", `/api/v1/identities/${crypto.randomUUID()}`],
    ["DELETE", `/api/v1/identities/${crypto.randomUUID()}`],
    ["POST", `/api/v1/auth/oidc-auth/identities/${crypto.randomUUID()}`],
    ["PATCH", `/api/v1/auth/oidc-auth/identities/${crypto.randomUUID()}`],
    ["GET", `/api/v1/auth/oidc-auth/identities/${crypto.randomUUID()}`],
    ["DELETE", `/api/v1/auth/oidc-auth/identities/${crypto.randomUUID()}`],
  ];

  it.each(adminEndpoints)("%s %s without Authorization is 401 with a Bearer challenge", async (method, path) => {
    const res = await call(method, path, { token: null, body: method === "GET" || method === "DELETE" ? undefined : { name: "x" } });
    expectRefusal(res, 401, "credentials_missing");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="edge-oidc-auth"');
  });

  it.each(adminEndpoints)("%s %s with a wrong key is 401", async (method, path) => {
    const res = await call(method, path, {
      token: "not-the-admin-key",
      body: method === "GET" || method === "DELETE" ? undefined : { name: "x" },
    });
    expectRefusal(res, 401, "credentials_invalid", { secrets: ["not-the-admin-key"] });
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="edge-oidc-auth", error="invalid_token"$/);
  });

  it("refuses the admin key with one character changed", async () => {
    const key = env.ADMIN_API_KEY!;
    const wrong = key.slice(0, -1) + (key.endsWith("a") ? "b" : "a");
    expectRefusal(await call("GET", "/api/v1/organizations", { token: wrong }), 401, "credentials_invalid", { secrets: [wrong] });
  });

  it("refuses a prefix of the admin key and the key with a suffix", async () => {
    const key = env.ADMIN_API_KEY!;
    for (const wrong of [key.slice(0, 8), `${key}x`]) {
      expectRefusal(await call("GET", "/api/v1/organizations", { token: wrong }), 401, "credentials_invalid");
    }
  });

  it("refuses a non-Bearer scheme", async () => {
    const res = await call("GET", "/api/v1/organizations", { token: null, headers: { authorization: `Basic ${env.ADMIN_API_KEY}` } });
    expectRefusal(res, 401, "credentials_missing", { secrets: [env.ADMIN_API_KEY!] });
  });

  it("refuses a JWT-shaped credential that is not one of our access tokens", async () => {
    const forged = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl";
    const res = await call("GET", "/api/v1/organizations", { token: forged });
    expectRefusal(res, 401, "access_token_invalid", { secrets: [forged] });
  });

  it("refuses an access token of another issuer's identity (an IdP ID token)", async () => {
    const idToken = await createIdp().mint(gitlabClaims());
    expectRefusal(await call("GET", "/api/v1/organizations", { token: idToken }), 401, "access_token_invalid", { secrets: [idToken] });
  });

  it("admits the admin key, with the scheme in any case", async () => {
    expect((await call("GET", "/api/v1/organizations")).status).toBe(200);
    const res = await call("GET", "/api/v1/organizations", { token: null, headers: { authorization: `bearer ${env.ADMIN_API_KEY}` } });
    expect(res.status).toBe(200);
  });

  it("does not guard the public endpoints", async () => {
    expect((await call("GET", "/.well-known/jwks.json", { token: null })).status).toBe(200);
    expectRefusal(await call("POST", "/api/v1/auth/oidc-auth/login", { token: null, body: {} }), 422, "invalid_request");
  });
});

describe("admin API with an identity's access token", () => {
  it("admits an org-admin identity within its own organization", async () => {
    const { org, accessToken } = await loggedInIdentity("admin");
    const res = await call("GET", "/api/v1/organizations", { token: accessToken });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.organizations.map((o: { id: string }) => o.id)).toEqual([org.id]);
    const created = await call("POST", "/api/v1/identities", {
      token: accessToken,
      body: { name: "made-by-admin", organizationId: org.id },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
  });

  it("refuses an org-admin identity in another organization (403)", async () => {
    const { accessToken } = await loggedInIdentity("admin");
    const other = await createOrg();
    expectRefusal(await call("GET", `/api/v1/organizations/${other.id}`, { token: accessToken }), 403, "organization_forbidden", {
      secrets: [accessToken],
    });
    const res = await call("POST", "/api/v1/identities", { token: accessToken, body: { name: "intruder", organizationId: other.id } });
    expectRefusal(res, 403, "organization_forbidden", { secrets: [accessToken] });
  });

  it("refuses organization creation to anything but the admin key", async () => {
    const { accessToken } = await loggedInIdentity("admin");
    const res = await call("POST", "/api/v1/organizations", { token: accessToken, body: { name: "new" } });
    expectRefusal(res, 403, "admin_key_required", { secrets: [accessToken] });
    // The body is read first (requireAdminKey is checked where the handler takes its admin context).
    expectRefusal(await call("POST", "/api/v1/organizations", { token: accessToken, body: {} }), 422, "invalid_request", {
      secrets: [accessToken],
    });
  });

  it.each(["member", "no-access"] as const)("refuses an identity whose org role is %s (403)", async (role) => {
    const { accessToken } = await loggedInIdentity(role);
    expectRefusal(await call("GET", "/api/v1/organizations", { token: accessToken }), 403, "insufficient_role", {
      secrets: [accessToken],
    });
  });
});

describe("organizations", () => {
  it("creates an organization with a slug derived from its name", async () => {
    const res = await ok("POST", "/api/v1/organizations", { body: { name: "Acme Platform Team" } });
    expect(res.organization).toEqual({
      id: expect.stringMatching(UUID),
      name: "Acme Platform Team",
      slug: expect.stringMatching(/^acme-platform-team(-[0-9a-f]{6})?$/),
      locationHint: null,
      createdAt: expect.stringMatching(ISO_TIME),
      updatedAt: expect.stringMatching(ISO_TIME),
    });
  });

  it("keeps an explicit slug", async () => {
    const slug = uniqueSlug();
    expect((await ok("POST", "/api/v1/organizations", { body: { name: "Acme", slug } })).organization.slug).toBe(slug);
  });

  it("answers 409 slug_taken for an explicit slug already in use", async () => {
    const slug = uniqueSlug();
    await ok("POST", "/api/v1/organizations", { body: { name: "First", slug } });
    const res = await call("POST", "/api/v1/organizations", { body: { name: "Second", slug } });
    expectRefusal(res, 409, "slug_taken");
  });

  it("makes a derived slug unique instead of failing", async () => {
    const name = `Dup ${crypto.randomUUID().slice(0, 6)}`;
    const a = (await ok("POST", "/api/v1/organizations", { body: { name } })).organization;
    const b = (await ok("POST", "/api/v1/organizations", { body: { name } })).organization;
    expect(a.slug).not.toBe(b.slug);
    expect(b.slug.startsWith(a.slug)).toBe(true);
  });

  it.each<[string, unknown]>([
    ["no name", {}],
    ["an empty name", { name: "  " }],
    ["a numeric name", { name: 42 }],
    ["an uppercase slug", { name: "x", slug: "Acme" }],
    ["a slug with a double dash", { name: "x", slug: "a--b" }],
    ["a slug with a space", { name: "x", slug: "a b" }],
  ])("refuses %s (422)", async (_name, body) => {
    expectRefusal(await call("POST", "/api/v1/organizations", { body }), 422, "invalid_request");
  });

  it("lists organizations", async () => {
    const a = await createOrg();
    const b = await createOrg();
    const { organizations } = await ok("GET", "/api/v1/organizations");
    const ids = organizations.map((o: { id: string }) => o.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(organizations.find((o: { id: string }) => o.id === a.id)).toMatchObject({ name: a.name, slug: a.slug });
  });

  it("gets one organization by id", async () => {
    const org = await createOrg();
    expect((await ok("GET", `/api/v1/organizations/${org.id}`)).organization).toMatchObject(org);
  });

  it("answers 404 organization_not_found for an unknown id", async () => {
    expectRefusal(await call("GET", `/api/v1/organizations/${crypto.randomUUID()}`), 404, "organization_not_found");
  });
});

describe("identities", () => {
  it("creates an identity in Infisical's shape, role no-access by default", async () => {
    const org = await createOrg();
    const res = await ok("POST", "/api/v1/identities", { body: { name: "gitlab-deployer", organizationId: org.id } });
    expect(res.identity).toEqual({
      id: expect.stringMatching(UUID),
      name: "gitlab-deployer",
      orgId: org.id,
      role: "no-access",
      authMethods: [],
      createdAt: expect.stringMatching(ISO_TIME),
      updatedAt: expect.stringMatching(ISO_TIME),
    });
  });

  it.each(["admin", "member", "no-access"])("accepts org role %s", async (role) => {
    const org = await createOrg();
    expect((await createIdentity(org.id, role)).role).toBe(role);
  });

  it.each<[string, (orgId: string) => unknown]>([
    ["an unknown role", (orgId) => ({ name: "x", organizationId: orgId, role: "owner" })],
    ["no name", (orgId) => ({ organizationId: orgId })],
    ["no organizationId", () => ({ name: "x" })],
    ["a name over 64 characters", (orgId) => ({ name: "x".repeat(65), organizationId: orgId })],
  ])("refuses %s (422)", async (_name, body) => {
    const org = await createOrg();
    expectRefusal(await call("POST", "/api/v1/identities", { body: body(org.id) }), 422, "invalid_request");
  });

  it("answers 404 organization_not_found for an unknown organization", async () => {
    const res = await call("POST", "/api/v1/identities", { body: { name: "x", organizationId: crypto.randomUUID() } });
    expectRefusal(res, 404, "organization_not_found");
  });

  it("gets an identity, with oidc-auth among its auth methods once attached", async () => {
    const org = await createOrg();
    const identity = await createIdentity(org.id, "member", "getter");
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity).toMatchObject({
      id: identity.id,
      name: "getter",
      authMethods: [],
    });
    await attachOidc(identity.id, {
      oidcDiscoveryUrl: "https://gitlab.com",
      boundIssuer: "https://gitlab.com",
      boundClaims: { project_id: "20" },
    });
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity.authMethods).toEqual(["oidc-auth"]);
  });

  it("finds an identity, its OIDC Auth and its organization by ids written in upper case, as Infisical does", async () => {
    const org = await createOrg();
    const identity = await createIdentity(org.id, "member", "shouted");
    await attachOidc(identity.id, { oidcDiscoveryUrl: "https://gitlab.com", boundIssuer: "https://gitlab.com", boundSubject: "x" });
    const upper = identity.id.toUpperCase();
    expect((await ok("GET", `/api/v1/identities/${upper}`)).identity).toMatchObject({ id: identity.id, name: "shouted" });
    expect((await ok("GET", `/api/v1/organizations/${org.id.toUpperCase()}`)).organization.id).toBe(org.id);
    const patched = await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${upper}`, { body: { boundSubject: "y" } });
    expect(patched.identityOidcAuth).toMatchObject({ identityId: identity.id, boundSubject: "y" });
    // Not an id: a path that differs only in case is another path.
    expectRefusal(await call("GET", "/API/V1/ORGANIZATIONS"), 404, "route_not_found");
  });

  it("never exposes the internal Durable Object id", async () => {
    const org = await createOrg();
    const identity = await createIdentity(org.id);
    const got = await ok("GET", `/api/v1/identities/${identity.id}`);
    expect(Object.keys(got.identity).sort()).toEqual([
      "authMethods",
      "createdAt",
      "id",
      "identity",
      "identityId",
      "name",
      "orgId",
      "role",
      "roleId",
      "updatedAt",
    ]);
    expect(Object.keys(got.identity.identity).sort()).toEqual(["authMethods", "id", "name"]);
  });

  it("patches name and role independently", async () => {
    const org = await createOrg();
    const identity = await createIdentity(org.id, "no-access", "before");
    const renamed = (await ok("PATCH", `/api/v1/identities/${identity.id}`, { body: { name: "after" } })).identity;
    expect(renamed).toMatchObject({ name: "after", role: "no-access" });
    const promoted = (await ok("PATCH", `/api/v1/identities/${identity.id}`, { body: { role: "member" } })).identity;
    expect(promoted).toMatchObject({ name: "after", role: "member" });
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity).toMatchObject({ name: "after", role: "member" });
  });

  it("refuses an empty PATCH and an unknown role (422)", async () => {
    const org = await createOrg();
    const identity = await createIdentity(org.id);
    expectRefusal(await call("PATCH", `/api/v1/identities/${identity.id}`, { body: {} }), 422, "invalid_request");
    expectRefusal(await call("PATCH", `/api/v1/identities/${identity.id}`, { body: { role: "root" } }), 422, "invalid_request");
  });

  it("lists the identities of one organization only", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const a = await createIdentity(org.id, "member", "a");
    const b = await createIdentity(org.id, "admin", "b");
    await createIdentity(other.id, "member", "elsewhere");
    const { identities } = await ok("GET", `/api/v1/identities?organizationId=${org.id}`);
    expect(identities.map((i: { id: string }) => i.id).sort()).toEqual([a.id, b.id].sort());
    expect(identities.every((i: { orgId: string }) => i.orgId === org.id)).toBe(true);
  });

  it("requires organizationId to list with the admin key (422)", async () => {
    expectRefusal(await call("GET", "/api/v1/identities"), 422, "invalid_request");
  });

  it("deletes an identity: it is gone, its OIDC Auth with it, and it can no longer log in", async () => {
    const idp = createIdp();
    const org = await createOrg();
    const identity = await createIdentity(org.id);
    await attachOidc(identity.id, {
      oidcDiscoveryUrl: idp.issuer,
      boundIssuer: idp.issuer,
      boundSubject: "project_path:mygroup/*:**",
    });
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));

    const deleted = await ok("DELETE", `/api/v1/identities/${identity.id}`);
    expect(deleted.identity.id).toBe(identity.id);
    expectRefusal(await call("GET", `/api/v1/identities/${identity.id}`), 404, "identity_not_found");
    expectRefusal(await call("GET", `/api/v1/auth/oidc-auth/identities/${identity.id}`), 404, "identity_not_found");
    const jwt = await idp.mint(gitlabClaims());
    expectRefusal(await login(identity.id, jwt), 404, "identity_not_found", { secrets: [jwt] });
    expect((await ok("GET", `/api/v1/identities?organizationId=${org.id}`)).identities).toEqual([]);
    const orphans = await env.DB.prepare("SELECT count(*) AS n FROM identity_oidc_auths WHERE identity_id = ?")
      .bind(identity.id)
      .first<{ n: number }>();
    expect(orphans?.n).toBe(0);
  });

  it.each(["GET", "PATCH", "DELETE"])("%s of an unknown identity is 404 identity_not_found", async (method) => {
    const res = await call(method, `/api/v1/identities/${crypto.randomUUID()}`, {
      body: method === "PATCH" ? { name: "x" } : undefined,
    });
    expectRefusal(res, 404, "identity_not_found");
  });
});

describe("admin bodies are read as strictly as ID tokens", () => {
  /** An admin request with exactly this body text and Content-Type (or none). */
  const raw = async (method: string, path: string, text: string, contentType: string | null) => {
    const headers: Record<string, string> = { authorization: `Bearer ${env.ADMIN_API_KEY}` };
    if (contentType !== null) headers["content-type"] = contentType;
    return answer(await exports.default.fetch(new Request(`http://edge-oidc-auth.test${path}`, { method, headers, body: text })), []);
  };

  it("refuses a member named twice instead of keeping the last one (422)", async () => {
    const org = await createOrg();
    const dup = `{"name":"dup","organizationId":"${org.id}","role":"member","role":"admin"}`;
    expectRefusal(await call("POST", "/api/v1/identities", { body: dup }), 422, "invalid_request");
    expect((await ok("GET", `/api/v1/identities?organizationId=${org.id}`)).identities).toEqual([]);

    const identity = await createIdentity(org.id, "member");
    const patch = await call("PATCH", `/api/v1/identities/${identity.id}`, { body: '{"role":"member","\\u0072ole":"admin"}' });
    expectRefusal(patch, 422, "invalid_request");
    expect(patch.body.message).toContain("duplicate member name");
    expect((await ok("GET", `/api/v1/identities/${identity.id}`)).identity.role).toBe("member");

    const nested = `{"oidcDiscoveryUrl":"https://gitlab.com","boundIssuer":"https://gitlab.com","boundSubject":"x","boundClaims":{"ref":"main","ref":"*"}}`;
    expectRefusal(await call("POST", `/api/v1/auth/oidc-auth/identities/${identity.id}`, { body: nested }), 422, "invalid_request");
  });

  it.each([
    ["a NUL", "a\u0000b"],
    ["a terminal escape", "a\u001b[31mred"],
    ["a C1 control", "a\u0085b"],
    ["a right-to-left override", "\u202egnp.exe"],
    ["a directional isolate", "a\u2066b"],
    ["only a zero-width space", "\u200b"],
    ["only spaces", "   "],
  ])("refuses a display name with %s, for organizations, identities and projects alike", async (_what, name) => {
    expectRefusal(await call("POST", "/api/v1/organizations", { body: { name } }), 422, "invalid_request");
    const org = await createOrg();
    expectRefusal(await call("POST", "/api/v1/identities", { body: { name, organizationId: org.id } }), 422, "invalid_request");
    expectRefusal(await call("POST", "/api/v1/projects", { body: { name, organizationId: org.id } }), 422, "invalid_request");
  });

  it("answers 404 organization_not_found when listing the identities of an organization that does not exist", async () => {
    expectRefusal(await call("GET", `/api/v1/identities?orgId=${crypto.randomUUID()}`), 404, "organization_not_found");
    const org = await createOrg();
    expect(await ok("GET", `/api/v1/identities?orgId=${org.id}`)).toEqual({ identities: [], totalCount: 0 });
  });

  it("keeps names in any script, with emoji and joiners", async () => {
    for (const name of ["Ünïcödé 名前", "deploy 🚀", "👩‍💻 team", "Ελληνικά-ci"]) {
      expect((await ok("POST", "/api/v1/organizations", { body: { name } })).organization.name).toBe(name);
    }
  });

  it("refuses a string that is not Unicode text (a lone surrogate) instead of storing it altered (422)", async () => {
    const org = await createOrg();
    const body = `{"name":"lone\\ud800","organizationId":"${org.id}","role":"member"}`;
    const res = await call("POST", "/api/v1/identities", { body });
    expectRefusal(res, 422, "invalid_request");
    expect(res.body.message).toContain("lone surrogate");
    expect((await ok("GET", `/api/v1/identities?organizationId=${org.id}`)).identities).toEqual([]);
  });

  it("takes application/json only: text/plain, no Content-Type or a form are 415", async () => {
    const org = await createOrg();
    const body = JSON.stringify({ name: "typed", organizationId: org.id, role: "admin" });
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonx",
      null,
    ]) {
      const res = await raw("POST", "/api/v1/identities", body, type);
      expectRefusal(res, 415, "unsupported_media_type");
    }
    expect((await ok("GET", `/api/v1/identities?organizationId=${org.id}`)).identities).toEqual([]);
    expect((await raw("POST", "/api/v1/identities", body, "application/json; charset=utf-8")).status).toBe(200);
    expect((await raw("POST", "/api/v1/identities", body, "Application/JSON")).status).toBe(200);
  });

  it("keeps login and renew open to JSON (with a charset, or without a type) and forms, JSON read strictly", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const json = JSON.stringify({ identityId: s.identity.id, jwt });
    expectIssued(await postLoginRaw(json, "application/json; charset=utf-8"));
    expectIssued(await postLoginRaw(json, null));
    const token = expectIssued(
      await postLoginRaw(new URLSearchParams({ identityId: s.identity.id, jwt }).toString(), "application/x-www-form-urlencoded"),
    );
    const twice = `{"identityId":"${s.identity.id}","jwt":"x","jwt":"${jwt}"}`;
    expectRefusal(await postLoginRaw(twice, "application/json"), 422, "invalid_request", { secrets: [jwt] });
    const renew = await call("POST", "/api/v1/auth/token/renew", { token: null, form: { accessToken: token } });
    expect(renew.status).toBe(200);
  });
});

describe("a weak admin key closes the admin API and the console, nothing else", () => {
  const WEAK = "short-admin-key-0123456789abcde"; // 31 characters
  /** The Worker with another ADMIN_API_KEY (the env is per call). */
  async function withKey(key: string, path: string, init: RequestInit = {}) {
    const { default: worker } = await import("../../src/index");
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`https://edge-oidc-auth.test${path}`, { redirect: "manual", ...init }),
      { ...env, ADMIN_API_KEY: key },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return answer(res, [key]);
  }

  it("answers the admin API 503 admin_key_too_weak with how to make a strong one, whatever the credential", async () => {
    expect(WEAK).toHaveLength(31);
    const { accessToken } = await loggedInIdentity("admin");
    for (const token of [WEAK, accessToken, "wrong"]) {
      const res = await withKey(WEAK, "/api/v1/organizations", { headers: { authorization: `Bearer ${token}` } });
      expectRefusal(res, 503, "admin_key_too_weak", { secrets: [WEAK] });
      expect(res.body.message).toContain("openssl rand -base64 32");
    }
    expectRefusal(await withKey(WEAK, "/api/v1/organizations"), 503, "admin_key_too_weak");
    // 32 characters are enough.
    const strong = `${WEAK}x`;
    expect((await withKey(strong, "/api/v1/organizations", { headers: { authorization: `Bearer ${strong}` } })).status).toBe(200);
  });

  it("closes the console with the same explanation, and keeps logins and token use working", async () => {
    const page = await withKey(WEAK, "/admin/sign-in");
    expect(page.status).toBe(503);
    expect(page.body).toContain("admin_key_too_weak");
    expect(page.body).toContain("openssl rand -base64 32");
    expect(page.body).not.toContain('name="credential"');
    const post = await withKey(WEAK, "/admin/sign-in", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ credential: WEAK }),
    });
    expect(post.status).toBe(503);

    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const login = await withKey(WEAK, "/api/v1/auth/oidc-auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identityId: s.identity.id, jwt }),
    });
    expect(login.status).toBe(200);
    const details = await withKey(WEAK, "/api/v1/identities/details", {
      headers: { authorization: `Bearer ${login.body.accessToken}` },
    });
    expect(details.status).toBe(200);
  });
});
