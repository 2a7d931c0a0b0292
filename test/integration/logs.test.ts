// Logs policy (src/observability/log.ts, docs/security.md "Hostile callers"): every line is structured
// JSON with the request id; no line ever holds an ID token, an access token, the admin key or any
// sizeable piece of one, whatever the caller sent; one access log line per request with the route
// pattern and never the query string.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call, createIdentity, login, ok } from "../support/api";
import { fetchConsole, postSignIn, signIn } from "../support/console";
import { gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario } from "../support/scenario";

declare global {
  interface ImportMeta {
    glob(pattern: string, opts: { query: "?raw"; import: "default"; eager: true }): Record<string, string>;
  }
}

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
let lines: { method: string; text: string }[] = [];

beforeEach(() => {
  lines = [];
  for (const m of METHODS) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push({ method: m, text: args.map((a) => (typeof a === "string" ? a : safeString(a))).join(" ") });
    });
  }
});
afterEach(() => vi.restoreAllMocks());

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const jwtOf = (header: object, payload: object, sig: string) =>
  `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${sig}`;

/** Each secret whole, and every segment of a JWT long enough to be recognisable. */
function fragments(secrets: string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    out.add(s);
    for (const part of s.split(".")) if (part.length >= 16) out.add(part);
  }
  return [...out];
}

function expectNoSecretsLogged(secrets: string[]) {
  const all = lines.map((l) => l.text).join("\n");
  for (const f of fragments(secrets)) expect(all.includes(f), `a log line contains ${f.slice(0, 24)}...`).toBe(false);
}

function parsedLines(): Record<string, unknown>[] {
  return lines.map((l) => {
    const parsed = JSON.parse(l.text) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: expect.stringMatching(/^(info|warn|error)$/), event: expect.any(String) });
    // Within a request every line carries its id.
    expect(parsed.reqId, l.text).toMatch(/^(req|rpc)-/);
    const expectedMethod = parsed.level === "error" ? "error" : parsed.level === "warn" ? "warn" : "log";
    expect(l.method).toBe(expectedMethod);
    return parsed;
  });
}

describe("logs", () => {
  it("never contain an ID token, an access token or the admin key, through logins good and hostile", async () => {
    const s = await scenario({ claimMetadataMapping: { project: "project_path" } });
    const adminKey = env.ADMIN_API_KEY!;
    const secretClaim = `secret-marker-${crypto.randomUUID()}`;
    const idToken = await s.idp.mint(gitlabClaims({ note: secretClaim }));
    const accessToken = expectIssued(await login(s.identity.id, idToken, { ip: "203.0.113.50" }));

    const hostile: string[] = [
      // Wrong subject, another tenant's key (signature), expired.
      await s.idp.mint(gitlabClaims({ sub: `wrong-${secretClaim}` })),
      await (await scenario()).idp.mint(gitlabClaims({ note: secretClaim })),
      await s.idp.mint(
        gitlabClaims({
          exp: Math.floor(Date.now() / 1000) - 3600,
          iat: Math.floor(Date.now() / 1000) - 7200,
          nbf: Math.floor(Date.now() / 1000) - 7200,
        }),
      ),
      // alg none, HMAC, an embedded jwk, a jku, an unknown kid, garbage, oversized.
      jwtOf({ alg: "none", typ: "JWT" }, { iss: s.idp.issuer, sub: secretClaim }, ""),
      jwtOf({ alg: "HS256", typ: "JWT" }, { iss: s.idp.issuer, sub: secretClaim }, b64url("hmac-signature-over-something")),
      jwtOf(
        { alg: "RS256", jwk: { kty: "RSA", n: "AQAB", e: "AQAB" } },
        { iss: s.idp.issuer, sub: secretClaim },
        b64url("x".repeat(64)),
      ),
      jwtOf({ alg: "RS256", jku: "https://attacker.example/jwks" }, { iss: s.idp.issuer, sub: secretClaim }, b64url("y".repeat(64))),
      jwtOf({ alg: "RS256", kid: "../../../etc/passwd" }, { iss: s.idp.issuer, sub: secretClaim }, b64url("z".repeat(64))),
      `${b64url(secretClaim)}.${b64url(secretClaim)}`,
      jwtOf({ alg: "RS256" }, { iss: s.idp.issuer, pad: "p".repeat(20_000), sub: secretClaim }, b64url("s".repeat(64))),
    ];
    for (const jwt of hostile) {
      const res = await login(s.identity.id, jwt, { ip: "203.0.113.50" });
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const form = await login(s.identity.id, jwt, { ip: "203.0.113.51", form: true });
      expect(form.status).toBeLessThan(500);
    }

    // Token lifecycle and uses, with the token in bodies and headers.
    expect((await call("GET", "/api/v1/identities/details", { token: accessToken })).status).toBe(200);
    const renewed = await call("POST", "/api/v1/auth/token/renew", { body: { accessToken }, token: null });
    expect(renewed.status).toBe(200);
    const renewedToken = renewed.body.accessToken as string;
    expect((await call("POST", "/api/v1/auth/token/revoke", { body: { accessToken: renewedToken }, token: null })).status).toBe(200);
    expectRefusal(await call("GET", "/api/v1/identities/details", { token: renewedToken }), 401, "token_revoked");

    // Admin calls: the admin key, a wrong key, a JWT-shaped credential that is not ours, a query string
    // with a secret-looking value, and an org-admin identity's token.
    await ok("GET", `/api/v1/identities/${s.identity.id}`);
    expectRefusal(await call("GET", "/api/v1/organizations", { token: `${adminKey}x` }), 401, "credentials_invalid");
    expectRefusal(await call("GET", "/api/v1/organizations", { token: hostile[4] }), 401, "access_token_invalid");
    const querySecret = `q-${crypto.randomUUID()}`;
    expect((await call("GET", `/api/v1/audit-logs?organizationId=${s.org.id}&event=${querySecret}`)).status).toBe(200);
    const orgAdmin = await createIdentity(s.org.id, "admin", "org-admin");
    await ok("POST", `/api/v1/auth/oidc-auth/identities/${orgAdmin.id}`, {
      body: {
        oidcDiscoveryUrl: s.idp.issuer,
        boundIssuer: s.idp.issuer,
        boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
        boundAudiences: "https://edge-oidc-auth.example",
      },
    });
    const orgAdminToken = expectIssued(await login(orgAdmin.id, await s.idp.mint(gitlabClaims())));
    expect((await call("GET", `/api/v1/identities?organizationId=${s.org.id}`, { token: orgAdminToken })).status).toBe(200);
    expect(
      (await call("GET", "/api/v1/organizations", { token: orgAdminToken, headers: { "x-forwarded-for": adminKey } })).status,
    ).toBe(200);

    await new Promise((r) => setTimeout(r, 120)); // let write-behind flushes (and any log they write) run
    expectNoSecretsLogged([idToken, accessToken, renewedToken, orgAdminToken, adminKey, secretClaim, querySecret, ...hostile]);

    const parsed = parsedLines();
    const access = parsed.filter((p) => p.event === "request");
    // One access line per request made above (at least: setup calls are requests too).
    expect(access.length).toBeGreaterThanOrEqual(hostile.length * 2 + 10);
    for (const a of access) {
      expect(a).toMatchObject({
        method: expect.any(String),
        route: expect.any(String),
        status: expect.any(Number),
        durationMs: expect.any(Number),
      });
      expect(String(a.route)).not.toContain("?");
      if ((a.status as number) >= 400) expect(a.reasonCode).toEqual(expect.any(String));
      else expect(a).not.toHaveProperty("reasonCode");
    }
    const routes = new Set(access.map((a) => `${a.method} ${a.route}`));
    for (const r of [
      "POST /api/v1/auth/oidc-auth/login",
      "GET /api/v1/identities/details",
      "POST /api/v1/auth/token/renew",
      "POST /api/v1/auth/token/revoke",
      "GET /api/v1/audit-logs",
      "GET /api/v1/identities/:id",
      "GET /api/v1/organizations",
    ])
      expect(routes, r).toContain(r);
    // A path id is never logged: the route is the pattern.
    expect(access.some((a) => String(a.route).includes(s.identity.id))).toBe(false);
    expect(access.some((a) => a.route === "/api/v1/identities/details" && a.status === 401 && a.reasonCode === "token_revoked")).toBe(
      true,
    );
  });

  it("name unmatched routes, and log an unknown route's refusal with its reasonCode", async () => {
    const res = await call("GET", `/api/v1/nope/${"eyJhbGciOiJub25lIn0"}.${"eyJzdWIiOiJzZWNyZXQtc3ViamVjdCJ9"}.`, { token: null });
    expectRefusal(res, 404, "route_not_found", { secrets: ["eyJzdWIiOiJzZWNyZXQtc3ViamVjdCJ9"] });
    const [line] = parsedLines().filter((p) => p.event === "request");
    expect(line).toMatchObject({ method: "GET", route: "(unmatched)", status: 404, reasonCode: "route_not_found" });
    expectNoSecretsLogged(["eyJzdWIiOiJzZWNyZXQtc3ViamVjdCJ9"]);
  });

  it("log an OAuth endpoint's refusal with its reasonCode, though the route answers it rather than throwing", async () => {
    const s = await scenario();
    lines = []; // the setup's own requests
    const form = { grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", subject_token: "garbage" };
    const res = await call("POST", "/oauth/token", {
      form: { ...form, subject_token_type: "urn:ietf:params:oauth:token-type:jwt", audience: s.identity.id },
      token: null,
    });
    expect([res.status, res.body.reasonCode]).toEqual([400, "token_malformed"]);
    const revoke = await call("POST", "/oauth/revoke", { form: {}, token: null });
    expect(revoke.status).toBe(400);
    const access = parsedLines().filter((p) => p.event === "request");
    expect(access).toEqual([
      expect.objectContaining({ route: "/oauth/token", status: 400, reasonCode: "token_malformed" }),
      expect.objectContaining({ route: "/oauth/revoke", status: 400, reasonCode: "invalid_request" }),
    ]);
  });

  it("log a wrong method's and the console's answered refusals with the reasonCode the client was shown", async () => {
    const origin = "http://localhost";
    expect((await call("GET", "/api/v1/auth/oidc-auth/login", { token: null })).status).toBe(405);
    // A sign-in with a wrong credential: the page says credentials_invalid, and so must the log.
    const refused = await postSignIn(origin, "wrong-credential-0123456789abcdef");
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("credentials_invalid");
    // A form shown again: a taken slug (409, from the service) and a blank name (422, the form's own check).
    const { cookie, csrf: token } = await signIn(origin);
    const slug = `dup-${crypto.randomUUID().slice(0, 8)}`;
    await ok("POST", "/api/v1/organizations", { body: { name: "first", slug } });
    const form = (fields: Record<string, string>) =>
      fetchConsole(`${origin}/admin/orgs`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin },
        body: new URLSearchParams({ _csrf: token, ...fields }),
      });
    expect((await form({ name: "second", slug })).status).toBe(409);
    expect((await form({ name: " " })).status).toBe(422);
    const access = parsedLines()
      .filter((p) => p.event === "request" && Number(p.status) >= 400)
      .map((p) => [p.status, p.reasonCode]);
    expect(access).toEqual([
      [405, "method_not_allowed"],
      [401, "credentials_invalid"],
      [409, "slug_taken"],
      [422, "invalid_request"],
    ]);
  });

  it("go through src/observability/log.ts only: no console.* anywhere else in src", () => {
    const sources = import.meta.glob("../../src/**/*.{ts,tsx}", { query: "?raw", import: "default", eager: true });
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const offenders = Object.entries(sources)
      .filter(([path]) => !path.endsWith("src/observability/log.ts"))
      .filter(([, text]) => /\bconsole\s*\.\s*[a-z]+\s*\(/.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });
});

describe("access log sampling", () => {
  // ACCESS_LOG_SAMPLE_RATE applies to answers below 400 only; the Worker is called with a changed env.
  async function fetchWith(rate: string, path: string, token: string | null) {
    const { default: worker } = await import("../../src/index");
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`http://edge-oidc-auth.test${path}`, { headers }),
      { ...env, ACCESS_LOG_SAMPLE_RATE: rate },
      ctx,
    );
    await res.text();
    await waitOnExecutionContext(ctx);
    return res.status;
  }
  const accessLines = () => lines.map((l) => JSON.parse(l.text) as Record<string, unknown>).filter((p) => p.event === "request");

  it("at 0, successes get no access line, refusals still do", async () => {
    for (let i = 0; i < 20; i++) expect(await fetchWith("0", "/api/v1/organizations", env.ADMIN_API_KEY!)).toBe(200);
    expect(accessLines()).toEqual([]);
    expect(await fetchWith("0", "/api/v1/organizations", "wrong-key")).toBe(401);
    expect(accessLines()).toEqual([expect.objectContaining({ route: "/api/v1/organizations", status: 401 })]);
  });

  it("at 0.5, about half of the successes get one; an unreadable rate logs every one", async () => {
    for (let i = 0; i < 200; i++) await fetchWith("0.5", "/api/v1/organizations", env.ADMIN_API_KEY!);
    const logged = accessLines().length;
    expect(logged).toBeGreaterThan(50); // binomial(200, 0.5): outside 50..150 has odds below 1e-12
    expect(logged).toBeLessThan(150);
    lines = [];
    for (let i = 0; i < 10; i++) await fetchWith("often", "/api/v1/organizations", env.ADMIN_API_KEY!);
    expect(accessLines()).toHaveLength(10);
  });
});
