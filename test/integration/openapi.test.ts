// The OpenAPI document (GET /openapi.json) against the app itself: every route the app registers is
// documented with its method and path, nothing documented is missing from the app, and real responses of
// the running Worker (successes and refusals) validate against the schemas the document gives for them.
// Validation uses @cfworker/json-schema (JSON Schema 2020-12, OpenAPI 3.1's dialect) on the served JSON,
// so what is checked is the document clients read, not the zod schemas it was generated from.
import { Validator, type Schema } from "@cfworker/json-schema";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { openApiPath, type OpenApiDocument } from "../../src/http/openapi/document";
import { call } from "../support/api";
import { createIdp, gitlabClaims, type TestIdp } from "../support/idp";
import { scenario } from "../support/scenario";

/** Routes the document leaves out on purpose: the admin console's HTML pages and forms (src/console/). */
const UNDOCUMENTED = (path: string) => path === "/admin" || path.startsWith("/admin/");

let doc: OpenApiDocument;
beforeAll(async () => {
  const res = await call("GET", "/openapi.json", { token: null });
  expect(res.status).toBe(200);
  doc = res.body as OpenApiDocument;
});

/** `METHOD /openapi/{path}` of every handler the app registers (middleware, registered as ALL, excluded). */
function registeredRoutes(): Set<string> {
  const out = new Set<string>();
  for (const r of createApp().routes) {
    if (r.method === "ALL" || UNDOCUMENTED(r.path)) continue;
    out.add(`${r.method} ${openApiPath(r.path)}`);
  }
  return out;
}

const documentedRoutes = () =>
  new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)));

describe("the document covers the app", () => {
  it("is OpenAPI 3.1 with both security schemes", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["accessToken", "adminKey"]);
    expect(doc.components.securitySchemes.adminKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.accessToken).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  });

  it("documents every route the app registers, with the same method and path, and nothing else", () => {
    const registered = registeredRoutes();
    expect(registered.size).toBeGreaterThan(30);
    expect(
      [...registered].filter((r) => !documentedRoutes().has(r)),
      "registered but not documented",
    ).toEqual([]);
    expect(
      [...documentedRoutes()].filter((r) => !registered.has(r)),
      "documented but not registered",
    ).toEqual([]);
  });

  it("turns Hono parameters into OpenAPI path parameters", () => {
    const op = doc.paths["/api/v1/projects/{projectId}/memberships/identities/{identityId}"]?.patch;
    expect(op?.parameters?.map((p) => [p.name, p.in, p.required])).toEqual([
      ["projectId", "path", true],
      ["identityId", "path", true],
    ]);
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).not.toContain(":");
      for (const op of Object.values(item)) {
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(op.parameters?.filter((p) => p.in === "path").map((p) => p.name) ?? []).toEqual(inPath);
      }
    }
  });

  it("gives every operation a response schema, errors the Error schema (OAuthError under /oauth/), and secures the admin API", () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        ids.add(op.operationId);
        expect(op.responses["200"]?.content, `${method} ${path}`).toBeDefined();
        const errorSchema = path.startsWith("/oauth/") ? "OAuthError" : "Error";
        for (const [status, r] of Object.entries(op.responses)) {
          if (status !== "200")
            expect(r.content?.["application/json"]?.schema).toEqual({ $ref: `#/components/schemas/${errorSchema}` });
        }
        const admin = path.startsWith("/api/v1/") && !path.startsWith("/api/v1/auth/token") && path !== "/api/v1/auth/oidc-auth/login";
        if (admin) expect(op.security.length, `${method} ${path} must be secured`).toBeGreaterThan(0);
      }
    }
    expect(ids.size).toBe(Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0));
    expect(doc.paths["/api/v1/auth/oidc-auth/login"]!.post!.security).toEqual([]);
    expect(doc.paths["/api/v1/identities/details"]!.get!.security).toEqual([{ accessToken: [] }]);
    expect(doc.paths["/api/v1/organizations"]!.post!.security).toEqual([{ adminKey: [] }]);
    expect(doc.paths["/oauth/token"]!.post!.security).toEqual([]);
    expect(doc.paths["/oauth/introspect"]!.post!.security).toEqual([{ adminKey: [] }, { accessToken: [] }]);
  });

  it("documents request bodies from the routes' own schemas, form encoding where the clients use it", () => {
    const login = doc.paths["/api/v1/auth/oidc-auth/login"]!.post!.requestBody!;
    expect(Object.keys(login.content).sort()).toEqual(["application/json", "application/x-www-form-urlencoded"]);
    expect(login.content["application/json"]!.schema).toMatchObject({
      type: "object",
      required: ["identityId", "jwt"],
      properties: { identityId: { type: "string" }, jwt: { type: "string", maxLength: 16384 }, organizationSlug: { type: "string" } },
    });
    const attach = doc.paths["/api/v1/auth/oidc-auth/identities/{identityId}"]!.post!.requestBody!.content["application/json"]!.schema;
    // Unknown members are ignored (and said in `warnings`), as Infisical's schemas strip them: not refused.
    expect(attach).toMatchObject({ required: ["oidcDiscoveryUrl", "boundIssuer"] });
    expect(attach.additionalProperties).not.toBe(false);
    expect(Object.keys(attach.properties as object)).toContain("accessTokenTrustedIps");
    // The OAuth endpoints take forms only (RFC 6749 §3.2).
    const exchange = doc.paths["/oauth/token"]!.post!.requestBody!;
    expect(Object.keys(exchange.content)).toEqual(["application/x-www-form-urlencoded"]);
    expect(exchange.content["application/x-www-form-urlencoded"]!.schema).toMatchObject({
      required: ["grant_type", "subject_token", "subject_token_type", "audience"],
    });
    const patch = doc.paths["/api/v1/auth/oidc-auth/identities/{identityId}"]!.patch!.requestBody!.content["application/json"]!.schema;
    expect(patch.required).toBeUndefined();
    // A whole number the API also takes as a string of digits ("3600", as Infisical's dashboard sends it) says both.
    const digitsToo = { anyOf: [{ type: "integer" }, { type: "string", pattern: expect.any(String) }] };
    const ttl = (attach.properties as Record<string, unknown>).accessTokenTTL;
    expect(ttl).toMatchObject({ description: expect.any(String), ...digitsToo });
    const whatIf =
      doc.paths["/api/v1/auth/oidc-auth/identities/{identityId}/what-if"]!.post!.requestBody!.content["application/json"]!.schema;
    expect((whatIf.properties as Record<string, unknown>).days).toMatchObject(digitsToo);
    expect(JSON.stringify(doc)).not.toContain("x-digit-string-too");
    // The condition: a described request field, a response field, and the warnings beside the configuration.
    const condition = (attach.properties as Record<string, { type?: string; maxLength?: number; description?: string }>).condition;
    expect(condition).toMatchObject({ type: "string", maxLength: 4096, description: expect.stringContaining("CEL") });
    expect(doc.components.schemas.IdentityOidcAuth).toMatchObject({ properties: { condition: { type: "string" } } });
    const get =
      doc.paths["/api/v1/auth/oidc-auth/identities/{identityId}"]!.get!.responses["200"]!.content!["application/json"]!.schema;
    expect(get).toMatchObject({
      required: ["identityOidcAuth", "warnings"],
      properties: {
        warnings: {
          items: { anyOf: [{ $ref: "#/components/schemas/ConfigWarning" }, { $ref: "#/components/schemas/IgnoredKeysWarning" }] },
        },
      },
    });
    expect(doc.paths["/api/v1/auth/oidc-auth/identities/{identityId}"]!.post!.description).toMatch(
      /condition_invalid.*binding_too_broad/,
    );
    const audit = doc.paths["/api/v1/audit-logs"]!.get!.parameters!.map((p) => p.name);
    expect(audit).toEqual(expect.arrayContaining(["organizationId", "identityId", "outcome", "from", "to", "limit", "cursor"]));
  });

  it("describes every request field, from the description on the zod schema the route parses with", () => {
    const undescribed: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const p of op.parameters ?? []) if (p.in === "query" && !p.description) undescribed.push(`${method} ${path} ?${p.name}`);
        const content = op.requestBody?.content;
        const body = (content?.["application/json"] ?? content?.["application/x-www-form-urlencoded"])?.schema as
          | { properties?: object; anyOf?: { properties?: object }[] }
          | undefined;
        for (const shape of body ? [body, ...(body.anyOf ?? [])] : []) {
          for (const [name, field] of Object.entries(shape.properties ?? {})) {
            if (!(field as { description?: string }).description) undescribed.push(`${method} ${path} ${name}`);
          }
        }
      }
    }
    expect(undescribed).toEqual([]);
    // Response schemas keep theirs too (src/http/openapi/schemas.ts).
    expect(doc.components.schemas.Identity).toMatchObject({ properties: { id: { description: "UUID" } } });
  });

  it("has no dangling $ref", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(doc.components.schemas, name).toHaveProperty(name);
  });
});

// Who may call each operation, as the document says it (read from the routes' guards), against what the
// running Worker does: nothing documented as public asks for credentials, and every documented guard is
// there, neither weaker nor stronger than documented.
describe("the documented security of every operation is what the guards enforce", () => {
  const GUARD_REFUSALS = ["credentials_missing", "credentials_invalid", "insufficient_role", "admin_key_required"];
  /** The security requirement of each kind of caller (src/http/openapi/document.ts). */
  const AUTH_OF: Record<string, string> = {
    "[]": "none",
    '[{"accessToken":[]}]': "accessToken",
    '[{"adminKey":[]},{"accessToken":[]}]': "admin",
    '[{"adminKey":[]}]': "adminKey",
  };
  /**
   * A body that passes validation, for operations whose guard answers after the body is read (the admin
   * key check of POST /api/v1/organizations comes after its 422, as it always did).
   */
  const VALID_BODY: Record<string, unknown> = { "POST /api/v1/organizations": { name: "never-created" } };

  it("for each operation: without credentials, with a non-admin identity's token, with an org-admin's token", async () => {
    const member = { token: await (await scenario({}, { role: "no-access" })).login() };
    const orgAdmin = { token: await (await scenario({}, { role: "admin" })).login() };
    const seen: Record<string, number> = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${path}`;
        const auth = AUTH_OF[JSON.stringify(op.security)];
        expect(auth, `${key}: security ${JSON.stringify(op.security)}`).toBeDefined();
        seen[auth!] = (seen[auth!] ?? 0) + 1;
        const url = path.replace(/\{\w+\}/g, () => crypto.randomUUID());
        const as = (token: string | null) =>
          call(method.toUpperCase(), url, {
            token,
            body: method === "get" || method === "delete" ? undefined : (VALID_BODY[key] ?? {}),
          });
        const [anonymous, asMember, asOrgAdmin] = await Promise.all([as(null), as(member.token), as(orgAdmin.token)]);
        const what = (res: { status: number; body: any }) => `${key} answered ${res.status} ${JSON.stringify(res.body)}`;

        if (auth === "none") {
          expect([401, 403], what(anonymous)).not.toContain(anonymous.status);
          continue;
        }
        expect([anonymous.status, anonymous.body?.reasonCode], what(anonymous)).toEqual([401, "credentials_missing"]);
        if (auth === "accessToken") {
          // The admin key is not an access token; the identity's own token is all it takes.
          const asAdminKey = await call(method.toUpperCase(), url);
          expect(asAdminKey.status, what(asAdminKey)).toBe(401);
          expect(asMember.status, what(asMember)).toBe(200);
          continue;
        }
        expect([asMember.status, asMember.body?.reasonCode], what(asMember)).toEqual([403, "insufficient_role"]);
        if (auth === "adminKey") {
          expect([asOrgAdmin.status, asOrgAdmin.body?.reasonCode], what(asOrgAdmin)).toEqual([403, "admin_key_required"]);
        } else {
          // Past the guard: whatever the route answers (404 for the random ids, 422 for the empty body,
          // 403 organization_forbidden), it is not the guard's refusal.
          expect(asOrgAdmin.status, what(asOrgAdmin)).not.toBe(401);
          expect(GUARD_REFUSALS, what(asOrgAdmin)).not.toContain(asOrgAdmin.body?.reasonCode);
        }
      }
    }
    // Every kind of caller is exercised, so the loop above is not vacuous.
    expect(seen).toEqual({ none: expect.any(Number), accessToken: 1, admin: expect.any(Number), adminKey: 2 });
    expect(seen.none).toBeGreaterThanOrEqual(8);
    expect(seen.admin).toBeGreaterThanOrEqual(20);
  });
});

describe("real responses validate against the document", () => {
  const validated = new Set<string>();
  const validators = new Map<string, Validator>();

  /** Validates a response body against what the document says `METHOD path` answers with this status. */
  function expectDocumented(method: string, template: string, res: { status: number; body: unknown }) {
    const path = openApiPath(template);
    const op = doc.paths[path]?.[method.toLowerCase()];
    expect(op, `${method} ${path} is documented`).toBeDefined();
    const documented = op!.responses[String(res.status)];
    expect(documented, `${method} ${path} documents status ${res.status}: ${JSON.stringify(res.body)}`).toBeDefined();
    const schema = documented!.content?.["application/json"]?.schema;
    if (!schema) {
      expect(Object.keys(documented!.content ?? {})).toEqual(["text/html"]);
      expect(typeof res.body).toBe("string");
      if (res.status === 200) validated.add(`${method} ${path}`);
      return;
    }
    const key = `${method} ${path} ${res.status}`;
    let validator = validators.get(key);
    if (!validator) {
      // A copy per validator: the library annotates the schema objects it indexes.
      const root = JSON.parse(JSON.stringify({ ...schema, components: doc.components })) as Schema;
      validator = new Validator(root, "2020-12", false);
      validators.set(key, validator);
    }
    const result = validator.validate(res.body);
    expect(
      result.errors.map((e) => `${e.instanceLocation} ${e.error}`),
      `${key}: ${JSON.stringify(res.body)}`,
    ).toEqual([]);
    expect(result.valid).toBe(true);
    if (res.status === 200) validated.add(`${method} ${path}`);
  }

  /** Calls the Worker and validates the answer; `template` is the documented path, `params` fill it in. */
  async function api(
    method: string,
    template: string,
    opts: Parameters<typeof call>[2] & { params?: Record<string, string>; query?: string; status?: number } = {},
  ) {
    const path = template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(opts.params?.[name] ?? `missing-${name}`));
    const res = await call(method, `${path}${opts.query ?? ""}`, opts);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(opts.status ?? 200);
    expectDocumented(method, template, res);
    return res.body as any;
  }

  let idp: TestIdp;
  beforeAll(() => {
    idp = createIdp();
  });

  it("for a whole lifecycle: every documented operation, once at least", async () => {
    // Service
    await api("GET", "/", { token: null });
    await api("GET", "/api/status", { token: null });
    await api("GET", "/openapi.json", { token: null });
    await api("GET", "/.well-known/jwks.json", { token: null });
    await api("GET", "/.well-known/oauth-authorization-server", { token: null });
    await api("GET", "/.well-known/openid-configuration", { token: null });
    const page = await call("GET", "/docs", { token: null });
    expect(page.status).toBe(200);
    expectDocumented("GET", "/docs", page);

    // Organization, identity, OIDC Auth
    const org = (await api("POST", "/api/v1/organizations", { body: { name: "OpenAPI Org" } })).organization;
    await api("GET", "/api/v1/organizations");
    await api("GET", "/api/v1/organizations/:id", { params: { id: org.id } });
    const identity = (await api("POST", "/api/v1/identities", { body: { name: "ci", organizationId: org.id, role: "member" } }))
      .identity;
    await api("GET", "/api/v1/identities", { query: `?organizationId=${org.id}` });
    expect((await api("GET", "/api/v1/identities", { query: `?orgId=${org.id}` })).totalCount).toBe(1);
    await api("GET", "/api/v1/identities/:id", { params: { id: identity.id } });
    // An ignored member is named in `warnings`, which the document allows on every resource answer.
    const patched = await api("PATCH", "/api/v1/identities/:id", {
      params: { id: identity.id },
      body: { name: "ci-deployer", hasDeleteProtection: false },
    });
    expect(patched.warnings[0].keys).toEqual(["hasDeleteProtection"]);
    const oidcPath = "/api/v1/auth/oidc-auth/identities/:identityId";
    await api("POST", oidcPath, {
      params: { identityId: identity.id },
      body: {
        oidcDiscoveryUrl: idp.issuer,
        boundIssuer: idp.issuer,
        boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
        boundAudiences: "https://edge-oidc-auth.example",
        claimMetadataMapping: { pipeline: "pipeline_id" },
        accessTokenNumUsesLimit: 50,
      },
    });
    await api("GET", oidcPath, { params: { identityId: identity.id } });
    const oidcPatched = await api("PATCH", oidcPath, {
      params: { identityId: identity.id },
      body: { identityId: identity.id, boundClaims: { ref_protected: "true" } },
    });
    expect(oidcPatched.warnings).toContainEqual(expect.objectContaining({ code: "unknown_keys_ignored", keys: ["identityId"] }));

    // Login (JSON and form), details, renew
    const jwt = await idp.mint(gitlabClaims());
    const login = "/api/v1/auth/oidc-auth/login";
    const token = (await api("POST", login, { token: null, body: { identityId: identity.id, jwt } })).accessToken as string;
    await api("POST", login, { token: null, form: { identityId: identity.id, jwt } });
    const details = await api("GET", "/api/v1/identities/details", { token });
    expect(details.identityDetails.token.usesLeft).toBe(49);
    const renewed = (await api("POST", "/api/v1/auth/token/renew", { token: null, body: { accessToken: token } })).accessToken;
    // What-if: a subject no login had; both logins are listed as lost, with their live tokens.
    const whatIf = await api("POST", `${oidcPath}/what-if`, {
      params: { identityId: identity.id },
      body: { boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:release", days: 7 },
    });
    expect(whatIf).toMatchObject({ evaluated: 2, lostCount: 2, liveTokensEnded: 2 });

    // OAuth: token exchange, introspection (active and not), revocation
    const exchanged = (
      await api("POST", "/oauth/token", {
        token: null,
        form: {
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          subject_token: await idp.mint(gitlabClaims()),
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          audience: identity.id,
        },
      })
    ).access_token as string;
    expect((await api("POST", "/oauth/introspect", { form: { token: exchanged } })).active).toBe(true);
    expect(await api("POST", "/oauth/introspect", { form: { token: "not-a-token" } })).toEqual({ active: false });
    await api("POST", "/oauth/revoke", { token: null, form: { token: exchanged } });

    // Projects and memberships
    const project = (await api("POST", "/api/v1/projects", { body: { name: "Web", organizationId: org.id } })).project;
    await api("GET", "/api/v1/projects", { query: `?organizationId=${org.id}` });
    await api("GET", "/api/v1/projects/:projectId", { params: { projectId: project.id } });
    const member = "/api/v1/projects/:projectId/memberships/identities/:identityId";
    const ids = { projectId: project.id, identityId: identity.id };
    await api("POST", member, { params: ids, body: { roles: [{ role: "viewer" }] } });
    await api("GET", "/api/v1/projects/:projectId/memberships/identities", { params: ids });
    await api("GET", member, { params: ids });
    await api("PATCH", member, { params: ids, body: { role: "member" } });
    expect((await api("GET", "/api/v1/identities/details", { token: renewed })).identityDetails.projectMemberships).toEqual([
      { projectId: project.id, roles: [{ role: "member" }] },
    ]);
    // ... and at Infisical's older paths, with a temporary role (its window in the answers)
    const terraformed = (await api("POST", "/api/v1/identities", { body: { name: "tf", organizationId: org.id } })).identity;
    const v2member = "/api/v2/workspace/:projectId/identity-memberships/:identityId";
    const v2ids = { projectId: project.id, identityId: terraformed.id };
    const temporary = { role: "admin", isTemporary: true, temporaryMode: "relative", temporaryRange: "1h" };
    await api("POST", v2member, { params: v2ids, body: { roles: [{ role: "viewer", isTemporary: false }, temporary] } });
    await api("GET", "/api/v2/workspace/:projectId/identity-memberships", { params: v2ids });
    const v2read = (await api("GET", v2member, { params: v2ids })).identityMembership;
    await api("PATCH", v2member, { params: v2ids, body: { roles: [{ role: "member" }, temporary] } });
    await api("GET", "/api/v2/workspace/identity-memberships/:membershipId", { params: { membershipId: v2read.id } });
    await api("DELETE", v2member, { params: v2ids });

    // Tokens: list, revoke one by id, revoke by possession
    const tokens = (await api("GET", "/api/v1/identities/:id/access-tokens", { params: { id: identity.id } })).accessTokens;
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    await api("POST", "/api/v1/identities/:id/access-tokens/:tokenId/revoke", {
      params: { id: identity.id, tokenId: tokens[0].id },
    });
    await api("POST", "/api/v1/auth/token/revoke", { token: null, body: { accessToken: renewed } });
    expect(await api("POST", "/api/v1/identities/:id/access-tokens/revoke-all", { params: { id: identity.id } })).toEqual({
      revokedBefore: expect.any(Number),
    });

    // Console sessions (none are live here: D1 is per test file)
    expect(await api("DELETE", "/api/v1/console/sessions")).toEqual({ ended: 0 });

    // Audit, then tear everything down
    const audit = await api("GET", "/api/v1/audit-logs", { query: `?organizationId=${org.id}&limit=5` });
    expect(audit.auditLogs.length).toBe(5);
    const traffic = await api("GET", "/api/v1/login-traffic", { query: `?organizationId=${org.id}&window=30d` });
    expect(traffic.totals.login.successes).toBeGreaterThanOrEqual(2);
    await api("DELETE", member, { params: ids });
    await api("DELETE", "/api/v1/projects/:projectId", { params: { projectId: project.id } });
    await api("DELETE", oidcPath, { params: { identityId: identity.id } });
    await api("DELETE", "/api/v1/identities/:id", { params: { id: identity.id } });

    const undocumented = [...documentedRoutes()].filter((r) => !validated.has(r));
    expect(undocumented, "operations whose 200 response was not validated").toEqual([]);
  });

  it("for refusals: the Error body, with a status the operation documents", async () => {
    const bogusJwt = await idp.mint(gitlabClaims({ aud: "https://elsewhere.example" }));
    const org = (await api("POST", "/api/v1/organizations", { body: { name: "Refusals" } })).organization;
    const identity = (await api("POST", "/api/v1/identities", { body: { name: "r", organizationId: org.id } })).identity;
    await api("POST", "/api/v1/auth/oidc-auth/identities/:identityId", {
      params: { identityId: identity.id },
      body: {
        oidcDiscoveryUrl: idp.issuer,
        boundIssuer: idp.issuer,
        boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main",
        boundAudiences: "https://edge-oidc-auth.example",
      },
    });
    const login = "/api/v1/auth/oidc-auth/login";
    const refused = await api("POST", login, {
      token: null,
      body: { identityId: identity.id, jwt: bogusJwt },
      status: 401,
    });
    expect(refused.reasonCode).toBe("audience_not_allowed");
    await api("POST", login, { token: null, body: { identityId: "" }, status: 422 });
    await api("POST", login, { token: null, body: { identityId: crypto.randomUUID(), jwt: bogusJwt }, status: 404 });
    await api("GET", "/api/v1/identities/:id", { params: { id: crypto.randomUUID() }, status: 404 });
    await api("GET", "/api/v1/identities", { token: null, status: 401 });
    await api("GET", "/api/v1/identities/details", { token: "not-a-token", status: 401 });
    await api("POST", "/api/v1/auth/token/renew", { token: null, body: {}, status: 422 });
    await api("POST", "/api/v1/auth/oidc-auth/identities/:identityId", {
      params: { identityId: identity.id },
      body: { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundSubject: "x" },
      status: 400,
    });
    await api("PATCH", "/api/v1/auth/oidc-auth/identities/:identityId", {
      params: { identityId: identity.id },
      body: { accessTokenTTL: -1 },
      status: 422,
    });
    await api("POST", "/api/v1/organizations", { body: { name: "Refusals", slug: org.slug }, status: 409 });

    // The OAuth endpoints answer the OAuthError body.
    const exchange = (form: Record<string, string>) => ({
      token: null,
      form: {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        subject_token: bogusJwt,
        audience: identity.id,
        ...form,
      },
    });
    expect((await api("POST", "/oauth/token", { ...exchange({}), status: 400 })).error).toBe("invalid_grant");
    expect((await api("POST", "/oauth/token", { ...exchange({ audience: crypto.randomUUID() }), status: 400 })).error).toBe(
      "invalid_target",
    );
    expect((await api("POST", "/oauth/token", { ...exchange({ grant_type: "password" }), status: 400 })).error).toBe(
      "unsupported_grant_type",
    );
    expect((await api("POST", "/oauth/introspect", { token: null, form: { token: "x" }, status: 401 })).error).toBe("invalid_token");
    expect((await api("POST", "/oauth/revoke", { token: null, form: {}, status: 400 })).error).toBe("invalid_request");
  });
});

describe("GET /docs", () => {
  it("is one self-contained HTML page listing every operation and schema", async () => {
    const res = await call("GET", "/docs", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = res.body as string;
    expect(html.startsWith("<!doctype html>")).toBe(true);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) expect(html).toContain(`${method.toUpperCase()} ${path}`);
    }
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name.toLowerCase()}"`);
    // Works offline: nothing is loaded from anywhere, not even from this origin.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });
});
