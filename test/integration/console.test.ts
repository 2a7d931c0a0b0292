// The admin console's security mechanics and its dry run, in workerd (the browser tests in test/browser/
// cover the screens end to end in Chromium).
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AdminContext } from "../../src/admin/actor";
import { dryRunOidcLogin, type DryRunRule } from "../../src/admin/dry-run";
import { deriveConsoleKeys, hmac } from "../../src/console/keys";
import {
  decodeSession,
  encodeSession,
  safeNext,
  SESSION_IDLE_SECONDS,
  SESSION_MAX_SECONDS,
  type SessionPayload,
} from "../../src/console/session";
import { call, login, ok, setupIdentity } from "../support/api";
import { cookieValue, fetchConsole, postSignIn, signIn } from "../support/console";
import { expectRefusal } from "../support/refusal";
import { createIdp, gitlabClaims } from "../support/idp";
import { AUDIENCE, expectIssued, GITLAB_SUBJECT, scenario } from "../support/scenario";

describe("console session cookie", () => {
  it("is __Host-, Secure, HttpOnly, SameSite=Strict and 30 minutes long over https", async () => {
    const page = await fetchConsole("https://console.example/admin/sign-in");
    expect(page.headers.getSetCookie()[0]).toMatch(
      /^__Host-eoa_console_pre=[^;]+; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    const { res } = await signIn("https://console.example");
    const session = res.headers
      .getSetCookie()
      .filter((c) => c.startsWith("__Host-eoa_console="))
      .pop()!;
    expect(session).toMatch(/; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(res.headers.get("location")).toBe("/admin/orgs");
  });

  it("drops Secure only for plain http on localhost or 127.0.0.1", async () => {
    for (const origin of ["http://localhost:8787", "http://127.0.0.1:8787"]) {
      const cookie = (await fetchConsole(`${origin}/admin/sign-in`)).headers.getSetCookie()[0]!;
      expect(cookie).toMatch(/^eoa_console_pre=[^;]+; Max-Age=3600; Path=\/admin; HttpOnly; SameSite=Strict$/);
    }
    const elsewhere = (await fetchConsole("http://console.example/admin/sign-in")).headers.getSetCookie()[0]!;
    expect(elsewhere).toContain("; Secure");
  });

  it("is refused after a change of ADMIN_API_KEY, after 30 idle minutes, after 8 hours, or when tampered with", async () => {
    const salt = "a-deployment-salt";
    const keys = await deriveConsoleKeys("first-admin-key-0123456789abcdef", salt);
    const rotated = await deriveConsoleKeys("second-admin-key-0123456789abcdef", salt);
    const now = Math.floor(Date.now() / 1000);
    const payload: SessionPayload = { v: 1, kind: "admin-key", sid: "abcdefghijklmnopqrstuvwx", iat: now, seen: now };
    const cookie = await encodeSession(keys, payload);
    expect(await decodeSession(keys, cookie)).toEqual(payload);
    expect(await decodeSession(rotated, cookie)).toBeNull();
    expect(await decodeSession(await deriveConsoleKeys("first-admin-key-0123456789abcdef", "another-salt"), cookie)).toBeNull();
    expect(await decodeSession(keys, await encodeSession(keys, { ...payload, seen: now - SESSION_IDLE_SECONDS - 1 }))).toBeNull();
    expect(await decodeSession(keys, await encodeSession(keys, { ...payload, iat: now - SESSION_MAX_SECONDS - 1 }))).toBeNull();
    const [body, mac] = cookie.split(".");
    const forged = btoa(JSON.stringify({ ...payload, kind: "identity" })).replace(/=+$/, "");
    expect(await decodeSession(keys, `${forged}.${mac}`)).toBeNull();
    expect(await decodeSession(keys, `${body}.${mac}x`)).toBeNull();
  });

  it("slides: every page view sends a fresh cookie", async () => {
    const { cookie } = await signIn("https://console.example");
    const res = await fetchConsole("https://console.example/admin/orgs", { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("__Host-eoa_console="))).toBe(true);
  });

  it("sends visitors without a session to sign-in, and only back to console paths", async () => {
    const res = await fetchConsole("https://console.example/admin/orgs");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/sign-in?next=%2Fadmin%2Forgs");
    expect(safeNext("/admin/orgs")).toBe("/admin/orgs");
    for (const bad of ["//evil.example/admin/", "https://evil.example/admin/x", "/api/v1/organizations", "/admin\\..\\x", undefined]) {
      expect(safeNext(bad)).toBe("/admin");
    }
  });
});

const ORIGIN = "https://console.example";
const form = (cookie: string, fields: Record<string, string>) => ({
  method: "POST",
  headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
  body: new URLSearchParams(fields),
});
/** Where a console request was sent: a page (200) or a redirect's target (without the `next` of a GET). */
const landing = (res: Response) => (res.status === 303 ? res.headers.get("location")?.replace(/next=[^&]*&?/, "") : res.status);
const orgNames = async () => ((await ok("GET", "/api/v1/organizations")).organizations as { name: string }[]).map((o) => o.name);

describe("console sessions live on the server", () => {
  it("sign-out ends the session: a copy of the cookie stops working, forms included", async () => {
    const { cookie, csrf } = await signIn(ORIGIN);
    const out = await fetchConsole(`${ORIGIN}/admin/sign-out`, form(cookie, { _csrf: csrf }));
    expect(landing(out)).toBe("/admin/sign-in?ended=signed-out");

    // The browser dropped its cookie; a copy made before sign-out is refused, for pages and for forms.
    expect(landing(await fetchConsole(`${ORIGIN}/admin/orgs`, { headers: { cookie } }))).toBe("/admin/sign-in?ended=ended");
    const name = `after-sign-out-${crypto.randomUUID().slice(0, 8)}`;
    expect(landing(await fetchConsole(`${ORIGIN}/admin/orgs`, form(cookie, { _csrf: csrf, name })))).toBe(
      "/admin/sign-in?ended=ended",
    );
    expect(await orgNames()).not.toContain(name);
  });

  it("an admin ends every console session at once, from the API or the console", async () => {
    const a = await signIn(ORIGIN);
    const b = await signIn(ORIGIN);
    const ended = await call("DELETE", "/api/v1/console/sessions");
    expect(ended.status).toBe(200);
    expect(ended.body.ended).toBeGreaterThanOrEqual(2);
    for (const { cookie } of [a, b]) {
      expect(landing(await fetchConsole(`${ORIGIN}/admin/orgs`, { headers: { cookie } }))).toBe("/admin/sign-in?ended=ended");
    }

    const c = await signIn(ORIGIN);
    const d = await signIn(ORIGIN);
    const page = await fetchConsole(`${ORIGIN}/admin/sessions`, { headers: { cookie: c.cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("End every console session?");
    const all = await fetchConsole(`${ORIGIN}/admin/sessions/end-all`, form(c.cookie, { _csrf: c.csrf }));
    expect(landing(all)).toBe("/admin/sign-in?ended=all-ended");
    for (const { cookie } of [c, d]) {
      expect(landing(await fetchConsole(`${ORIGIN}/admin/orgs`, { headers: { cookie } }))).toBe("/admin/sign-in?ended=ended");
    }
    const audit = await ok("GET", "/api/v1/audit-logs?event=console.sessions.end&limit=5");
    expect(audit.auditLogs[0]).toMatchObject({ event: "console.sessions.end", actor: "admin-key", outcome: "success" });
  });

  it("ending every session is the admin key's: an org admin's token is refused", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, {}, "admin");
    const login = await call("POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId: identity.id, jwt: await idp.mint(gitlabClaims()) },
      token: null,
    });
    expect(login.status).toBe(200);
    expectRefusal(await call("DELETE", "/api/v1/console/sessions", { token: login.body.accessToken }), 403, "admin_key_required");
  });
  it("a session whose token is refused ends on the server too: ending every session does not count it", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, {}, "admin");
    const token = expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));
    const { cookie } = await signIn(ORIGIN, token);
    const live = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM console_sessions").first<{ n: number }>())!.n;
    const before = await live();
    // A GitLab-shaped access token (over 2,000 characters) fits in the session cookie: the session works.
    expect(token.length).toBeGreaterThan(2000);
    expect((await fetchConsole(`${ORIGIN}/admin/identities/${identity.id}`, { headers: { cookie } })).status).toBe(200);
    // Ending every session is the admin key's: an org admin is not offered the form.
    const sessionsPage = await fetchConsole(`${ORIGIN}/admin/sessions`, { headers: { cookie } });
    expect(sessionsPage.status).toBe(403);
    expect(await sessionsPage.text()).toContain("admin_key_required");
    expect((await call("POST", "/api/v1/auth/token/revoke", { body: { accessToken: token }, token: null })).status).toBe(200);
    expect(landing(await fetchConsole(`${ORIGIN}/admin/orgs`, { headers: { cookie } }))).toBe("/admin/sign-in?ended=token_revoked");
    expect(await live()).toBe(before - 1);
  });

  it("refuses a sign-in whose session cookie a browser would drop (413 token_too_large), rather than starting it", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, {}, "admin");
    // Forty 90-character claims: a claim snapshot near its bound makes an access token of about 6,000 characters.
    const extra = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`team_${i}`, `t${i}-${"x".repeat(86)}`]));
    const token = expectIssued(await login(identity.id, await idp.mint(gitlabClaims(extra))));
    expect(token.length).toBeGreaterThan(4096);
    const sessions = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM console_sessions").first<{ n: number }>())!.n;
    const before = await sessions();
    const res = await postSignIn(ORIGIN, token);
    expect(res.status).toBe(413);
    expect(await res.text()).toContain("token_too_large");
    // No session cookie is set (clearing an earlier one is fine), and no session row was left behind.
    expect(cookieValue(res, "__Host-eoa_console") ?? "").toBe("");
    expect(await sessions()).toBe(before);
  });

  it("fails closed when D1 cannot say whether the session lives: 503, never a page, never a 500", async () => {
    const { cookie } = await signIn(ORIGIN);
    const down = () => Promise.reject(new Error("D1 is down"));
    const statement = { bind: () => statement, first: down, run: down, all: down };
    const brokenDb = { prepare: () => statement, batch: down } as unknown as D1Database;
    const { default: worker } = await import("../../src/index");
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${ORIGIN}/admin/orgs`, { headers: { cookie } }), { ...env, DB: brokenDb }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.text()).toContain("unavailable");
  });
});

describe("console keys and the sign-in form", () => {
  const preCookie = "__Host-eoa_console_pre";

  it("derives its keys with a secret of the deployment: the admin key alone does not give the sign-in page's MAC", async () => {
    const page = await fetchConsole(`${ORIGIN}/admin/sign-in`);
    const nonce = cookieValue(page, preCookie)!.split(".")[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    // What anyone who guessed the admin key could compute, with the fixed salt the console used to have.
    const enc = new TextEncoder();
    const ikm = await crypto.subtle.importKey("raw", enc.encode(env.ADMIN_API_KEY!), "HKDF", false, ["deriveKey"]);
    for (const [salt, info] of [
      ["edge-oidc-auth/admin-console", "csrf/v1"],
      ["edge-oidc-auth/admin-console", "csrf/v2"],
      ["", "csrf/v2"],
    ]) {
      const key = await crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: enc.encode(salt), info: enc.encode(info) },
        ikm,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
      expect(await hmac(key, `csrf.pre:${nonce}`)).not.toBe(csrf);
    }
  });

  it("counts only pre-session values it issued: a value the client chose is replaced, never shared", async () => {
    const chosen = "AAAAAAAAAAAAAAAAAAAAAAAA";
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await fetchConsole(`${ORIGIN}/admin/sign-in`, { headers: { cookie: `${preCookie}=${chosen}` } });
      const issued = cookieValue(page, preCookie);
      expect(issued).toBeDefined();
      expect(issued).not.toBe(chosen);
      tokens.push(/name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!);
    }
    expect(tokens[0]).not.toBe(tokens[1]);
    // Signing in with the client's own value and a token the page handed out for another value fails.
    const res = await fetchConsole(
      `${ORIGIN}/admin/sign-in`,
      form(`${preCookie}=${chosen}`, { _csrf: tokens[0]!, credential: env.ADMIN_API_KEY! }),
    );
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("__Host-eoa_console="))).toBe(false);
  });
});

describe("console CSRF", () => {
  const post = (cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetchConsole("https://console.example/admin/orgs", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields),
    });

  it("checks the synchronizer token and the Origin on every POST", async () => {
    const { cookie, csrf } = await signIn("https://console.example");
    expect((await post(cookie, { name: "no-token" })).status).toBe(403);
    expect((await post(cookie, { name: "wrong-token", _csrf: csrf.slice(0, -2) + "AA" })).status).toBe(403);
    expect((await post(cookie, { name: "cross-origin", _csrf: csrf }, { origin: "https://evil.example" })).status).toBe(403);
    const refused = await post(cookie, { name: "null-origin", _csrf: csrf }, { origin: "null" });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("csrf_failed");
    const ok = await post(cookie, { name: "Console Org", _csrf: csrf }, { origin: "https://console.example" });
    expect(ok.status).toBe(303);
  });

  it("protects the sign-in form too (login CSRF)", async () => {
    const res = await fetchConsole("https://console.example/admin/sign-in", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ credential: env.ADMIN_API_KEY! }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("__Host-eoa_console="))).toBe(false);
  });

  it("takes only urlencoded forms", async () => {
    const { cookie, csrf } = await signIn("https://console.example");
    const res = await fetchConsole("https://console.example/admin/orgs", {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ name: "json", _csrf: csrf }),
    });
    expect(res.status).toBe(415);
  });
});

describe("console pages", () => {
  it("carry a nonce-based CSP, no framing, no caching", async () => {
    const res = await fetchConsole("https://console.example/admin/sign-in");
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)![1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await res.text()).toContain(`<style nonce="${nonce}">`);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("the audit page says which filters of its address it could not use, and filters by none of them", async () => {
    const s = await scenario();
    await s.login();
    const { cookie } = await signIn("https://console.example");
    const page = async (query: string) =>
      (await fetchConsole(`https://console.example/admin/orgs/${s.org.id}/audit${query}`, { headers: { cookie } })).text();
    const misread = await page("?outcome=bogus&cursor=junk&event=login");
    expect(misread).toContain("Left out, not understood in the address: outcome, page (cursor).");
    expect(misread).toContain('data-event="login"'); // the filters it could read still apply
    expect(misread).toContain(">Reset<");
    const clean = await page("?outcome=success");
    expect(clean).not.toContain("Left out, not understood");
    // A date the month does not have is no date (as the API reads it), not the next month's.
    for (const query of ["?to=2026-11-31T00:00", "?from=2026-02-30T10:00"]) {
      const impossible = await page(query);
      expect(impossible, query).toContain("a date and time (UTC)");
      expect(impossible, query).toContain("Left out, not understood in the address:");
      expect(impossible, query).toContain('data-event="login"');
    }
  });

  it("the traffic page refuses an identity its organization does not have, as the audit page does", async () => {
    const s = await scenario();
    const other = await scenario();
    const { cookie } = await signIn("https://console.example");
    const traffic = (query: string) =>
      fetchConsole(`https://console.example/admin/orgs/${s.org.id}/traffic${query}`, { headers: { cookie } });
    expect((await traffic(`?identity=${s.identity.id.toUpperCase()}`)).status).toBe(200);
    expect((await traffic("?identity=")).status).toBe(200);
    for (const id of [other.identity.id, crypto.randomUUID(), "junk"]) {
      const res = await traffic(`?identity=${id}`);
      expect(res.status, id).toBe(404);
      expect(await res.text()).toContain("identity_not_found");
    }
  });

  it("the audit page's event filter offers every admin change the organization's log can hold", async () => {
    const s = await scenario();
    const token = await s.login();
    await call("POST", `/api/v1/identities/${s.identity.id}/access-tokens/revoke-all`);
    expect((await call("GET", "/api/v1/identities/details", { token })).status).toBe(401);
    const { cookie } = await signIn("https://console.example");
    const html = await (await fetchConsole(`https://console.example/admin/orgs/${s.org.id}/audit`, { headers: { cookie } })).text();
    const offered = [...html.matchAll(/<option value="([a-z][^"]*)"/g)].map((m) => m[1]);
    for (const event of ["identity.revoke_tokens", "token.revoke", "token.exchange", "oidc-auth.detach", "membership.update"]) {
      expect(offered, event).toContain(event);
    }
    expect(html).toContain('data-event="identity.revoke_tokens"');
  });

  it("escape what admins typed", async () => {
    const { cookie, csrf } = await signIn("https://console.example");
    const res = await fetchConsole("https://console.example/admin/orgs", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: "https://console.example" },
      body: new URLSearchParams({ name: "<script>alert(1)</script>", _csrf: csrf }),
    });
    const list = await fetchConsole("https://console.example/admin/orgs", { headers: { cookie } });
    const html = await list.text();
    expect(res.status).toBe(303);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)");
  });
});

describe("the OIDC Auth form: condition, its errors, the warnings", () => {
  const ORIGIN = "https://console.example";

  /** Fills the OIDC Auth form of `identityId` as a browser would and submits it. */
  async function submitOidcForm(identityId: string, fields: Record<string, string>) {
    const { cookie } = await signIn(ORIGIN);
    const page = await fetchConsole(`${ORIGIN}/admin/identities/${identityId}/oidc-auth`, { headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const form = new URLSearchParams({
      _csrf: csrf,
      caCert: "",
      boundAudiences: "",
      claimKey: "",
      claimValue: "",
      condition: "",
      metaKey: "",
      metaClaim: "",
      accessTokenTTL: "3600",
      accessTokenMaxTTL: "3600",
      accessTokenNumUsesLimit: "0",
      trustedIps: "0.0.0.0/0\r\n::/0",
      jwksUrl: "",
      jwksJson: "",
      ...fields,
    });
    const res = await fetchConsole(`${ORIGIN}/admin/identities/${identityId}/oidc-auth`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
      body: form,
    });
    return { res, cookie };
  }

  const showPage = async (identityId: string, cookie: string) =>
    (await fetchConsole(`${ORIGIN}/admin/identities/${identityId}/oidc-auth`, { headers: { cookie } })).text();

  it("saves a condition typed in the form (line breaks as the browser sends them) and shows it again", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer);
    const condition = 'claims.ref_protected == "true" &&\r\n  !(claims.user_login in ["dependabot[bot]"])';
    const { res, cookie } = await submitOidcForm(identity.id, {
      oidcDiscoveryUrl: idp.issuer,
      boundIssuer: idp.issuer,
      boundSubject: "project_path:mygroup/*:**",
      boundAudiences: "https://edge-oidc-auth.example",
      condition,
    });
    expect(res.status).toBe(303);
    const saved = (await call("GET", `/api/v1/auth/oidc-auth/identities/${identity.id}`)).body.identityOidcAuth;
    expect(saved.condition).toBe(condition.replace("\r\n", "\n"));
    const html = await showPage(identity.id, cookie);
    expect(html).toContain('<textarea id="condition" name="condition"');
    expect(html).toContain(
      "claims.ref_protected == &quot;true&quot; &amp;&amp;\n  !(claims.user_login in [&quot;dependabot[bot]&quot;])",
    );
    expect(html).not.toContain("data-warning=");
  });

  it("shows replay protection as a checkbox, and saves it on and off as a browser submits it", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, { replayProtection: true });
    const savedReplay = async () =>
      (await call("GET", `/api/v1/auth/oidc-auth/identities/${identity.id}`)).body.identityOidcAuth.replayProtection;
    const fields = {
      oidcDiscoveryUrl: idp.issuer,
      boundIssuer: idp.issuer,
      boundSubject: GITLAB_SUBJECT,
      boundAudiences: AUDIENCE,
    };
    const { cookie } = await signIn(ORIGIN);
    const checkbox = /<input type="checkbox" id="replayProtection" name="replayProtection"[^>]*>/;
    expect(checkbox.exec(await showPage(identity.id, cookie))?.[0]).toContain("checked");
    // Unchecked, a browser sends nothing for it: saved off.
    expect((await submitOidcForm(identity.id, fields)).res.status).toBe(303);
    expect(await savedReplay()).toBe(false);
    expect(checkbox.exec(await showPage(identity.id, cookie))?.[0]).not.toContain("checked");
    // Checked, it sends "on": saved on.
    expect((await submitOidcForm(identity.id, { ...fields, replayProtection: "on" })).res.status).toBe(303);
    expect(await savedReplay()).toBe(true);
  });

  it("shows condition_invalid at the condition field with its position, and binding_too_broad at its field", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer);
    const base = { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundAudiences: "https://edge-oidc-auth.example" };
    const typo = await submitOidcForm(identity.id, {
      ...base,
      boundSubject: "project_path:mygroup/*:**",
      condition: 'claims.ref == "main" &&\r\n  claims.ref ==== "x"',
    });
    expect(typo.res.status).toBe(422);
    const typoHtml = await typo.res.text();
    expect(/id="condition-error"[^>]*>([^<]*)</.exec(typoHtml)?.[1]).toMatch(/^line 2, column 16: /);

    const broad = await submitOidcForm(identity.id, { ...base, boundSubject: "project_path:*/*:ref_type:branch:ref:main" });
    expect(broad.res.status).toBe(422);
    expect(/id="boundSubject-error"[^>]*>([^<]*)</.exec(await broad.res.text())?.[1]).toMatch(
      /^boundSubject does not fix the top-level namespace/,
    );
  });

  it("shows the warnings as banners: no audience bound, a stored configuration that pins no owner", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, { boundAudiences: "" });
    await env.DB.prepare("UPDATE identity_oidc_auths SET bound_subject = 'project_path:**' WHERE identity_id = ?")
      .bind(identity.id)
      .run();
    const { cookie } = await signIn(ORIGIN);
    const html = await showPage(identity.id, cookie);
    expect(html).toContain('data-warning="audience_unbound"');
    expect(html).toContain('data-warning="binding_too_broad"');
    expect(html).toContain("No audience is bound.");
  });
});

describe("console messages", () => {
  it("after an OIDC Auth change, says what happens to live tokens", async () => {
    const { cookie } = await signIn("https://console.example");
    const { identity } = await setupIdentity(createIdp().issuer);
    const page = await fetchConsole(`https://console.example/admin/identities/${identity.id}/oidc-auth?done=oidc-updated`, {
      headers: { cookie },
    });
    const html = await page.text();
    expect(html).toContain("Live tokens whose ID token it would now refuse stop working at their next use (binding_changed)");
    expect(html).toContain("A new issuer or key source ends them all.");
  });
});

describe("dry run of a login", () => {
  const ctx: AdminContext = { env, actor: { kind: "admin-key" }, clientIp: null, waitUntil: () => {} };

  it("reports each rule, issues nothing and records no login", async () => {
    const idp = createIdp();
    const { org, identity } = await setupIdentity(idp.issuer, { boundClaims: { ref_protected: "true", project_id: "20" } });
    const good = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims()));
    expect(good.admitted).toBe(true);
    expect(good.rules.map((r) => `${r.claim ?? r.rule}:${r.status}`)).toEqual([
      "signature:pass",
      "issuer:pass",
      "subject:pass",
      "audience:pass",
      "project_id:pass",
      "ref_protected:pass",
      "condition:not-bound",
      "replay:not-bound",
    ]);

    const bad = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims({ ref_protected: "false", project_id: "99" })));
    expect(bad).toMatchObject({ admitted: false, reasonCode: "claim_not_allowed: project_id" });
    expect(bad.rules.filter((r) => r.status === "fail").map((r) => [r.claim, r.actual])).toEqual([
      ["project_id", "99"],
      ["ref_protected", "false"],
    ]);

    const expired = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims(), { expiresIn: -3600 }));
    expect(expired.reasonCode).toBe("token_expired");
    expect(expired.rules.map((r) => r.status)).toEqual([
      "fail",
      "not-checked",
      "not-checked",
      "not-checked",
      "not-checked",
      "not-checked",
      "not-bound",
      "not-bound",
    ]);

    const tokens = await call("GET", `/api/v1/identities/${identity.id}/access-tokens`);
    expect(tokens.body.accessTokens).toEqual([]);
    const logins = await call("GET", `/api/v1/audit-logs?organizationId=${org.id}&event=login`);
    expect(logins.body.auditLogs).toEqual([]);
  });

  it("shows the condition: pass, or fail with the top-level conjunct that failed and why", async () => {
    const idp = createIdp();
    const condition =
      'claims.ref_protected == "true" && claims.pipeline_source in ["push", "web"] && claims.user_login != "dependabot[bot]"';
    const { identity } = await setupIdentity(idp.issuer, { condition });
    const pass = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims()));
    expect(pass.admitted).toBe(true);
    const conditionOf = (r: { rules: DryRunRule[] }) => r.rules.find((rule) => rule.rule === "condition");
    expect(conditionOf(pass)).toEqual({ rule: "condition", expected: condition, status: "pass" });

    const fail = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims({ pipeline_source: "merge_request_event" })));
    expect(fail).toMatchObject({ admitted: false, reasonCode: "condition_failed" });
    expect(conditionOf(fail)).toEqual({
      rule: "condition",
      expected: condition,
      status: "fail",
      reasonCode: "condition_failed",
      message: "evaluated to false",
      conjunct: 'claims.pipeline_source in ["push", "web"]',
    });

    const missing = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims({ user_login: undefined })));
    expect(conditionOf(missing)).toMatchObject({
      status: "fail",
      conjunct: 'claims.user_login != "dependabot[bot]"',
      message: expect.stringMatching(/user_login/),
    });

    const expired = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims(), { expiresIn: -3600 }));
    expect(conditionOf(expired)).toEqual({ rule: "condition", expected: condition, status: "not-checked" });
  });

  it("tells a token that already logged in (replay protection on) from a fresh one, and spends neither", async () => {
    const s = await scenario({ replayProtection: true });
    const jwt = await s.idp.mint(gitlabClaims());
    const replayOf = (r: { rules: DryRunRule[] }) => r.rules.find((rule) => rule.rule === "replay");
    // Before its login: the login would admit it; testing it twice spends nothing.
    for (let i = 0; i < 2; i++) {
      const fresh = await dryRunOidcLogin(ctx, s.identity.id, jwt);
      expect(fresh.admitted).toBe(true);
      expect(replayOf(fresh)).toMatchObject({ status: "pass" });
    }
    expect((await s.loginJwt(jwt)).status).toBe(200);
    // After it: exactly what the login now answers.
    expectRefusal(await s.loginJwt(jwt), 401, "token_replayed");
    const spent = await dryRunOidcLogin(ctx, s.identity.id, jwt);
    expect(spent).toMatchObject({ admitted: false, reasonCode: "token_replayed" });
    expect(replayOf(spent)).toMatchObject({ status: "fail", reasonCode: "token_replayed" });
    // A token without a jti cannot be admitted under replay protection, as the login says.
    const noJti = await s.idp.mint(gitlabClaims(), { omit: ["jti"] });
    expect(await dryRunOidcLogin(ctx, s.identity.id, noJti)).toMatchObject({ admitted: false, reasonCode: "jti_required" });
    expectRefusal(await s.loginJwt(noJti), 401, "jti_required");
    // A binding's refusal comes first, as in the login.
    const unbound = await dryRunOidcLogin(ctx, s.identity.id, await s.idp.mint(gitlabClaims({ sub: "someone-else" })));
    expect(unbound.reasonCode).toBe("subject_not_allowed");
  });

  it("says which rules are not bound", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, { boundAudiences: "" });
    const result = await dryRunOidcLogin(ctx, identity.id, await idp.mint(gitlabClaims()));
    expect(result.rules.find((r) => r.rule === "audience")?.status).toBe("not-bound");
  });
});

describe("preview of a change (what-if)", () => {
  it("shows the logins the typed values would gain and lose, and saves nothing", async () => {
    const loose = "project_path:mygroup/myproject:ref_type:branch:ref:*";
    const dev = "project_path:mygroup/myproject:ref_type:branch:ref:dev";
    const s = await scenario({ boundSubject: loose, boundClaims: { ref_protected: "true" } });
    await s.login();
    expect((await s.loginWith({ sub: dev, ref: "dev" })).status).toBe(200);
    expect((await s.loginWith({ ref_protected: "false" })).status).toBe(401);
    const saved = (await call("GET", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`)).body;

    const origin = "https://console.example";
    const { cookie, csrf } = await signIn(origin);
    const page = `${origin}/admin/identities/${s.identity.id}/oidc-auth`;
    expect(await (await fetchConsole(page, { headers: { cookie } })).text()).toContain(
      `formaction="/admin/identities/${s.identity.id}`,
    );
    // The configuration form as its Preview button sends it.
    const preview = async (fields: Record<string, string>) => {
      const res = await fetchConsole(`${page}/preview`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin },
        body: new URLSearchParams({
          _csrf: csrf,
          oidcDiscoveryUrl: s.idp.issuer,
          boundIssuer: s.idp.issuer,
          boundSubject: GITLAB_SUBJECT, // tightened: the dev login is lost
          boundAudiences: AUDIENCE,
          claimKey: "ref_protected",
          claimValue: "true, false", // loosened: the unprotected login is gained
          accessTokenTTL: "2592000",
          accessTokenMaxTTL: "2592000",
          accessTokenNumUsesLimit: "0",
          trustedIps: "0.0.0.0/0\n::/0",
          ...fields,
        }),
      });
      return { status: res.status, html: await res.text() };
    };

    const { status, html } = await preview({ previewDays: "7" });
    expect(status, html).toBe(200);
    const section = (id: string) => html.slice(html.indexOf(`id="${id}"`), html.indexOf("</table>", html.indexOf(`id="${id}"`)));
    expect(section("what-if-lost")).toContain(dev);
    expect(section("what-if-lost")).toContain("subject_not_allowed");
    expect(section("what-if-gained")).toContain(GITLAB_SUBJECT);
    expect(section("what-if-gained")).toContain("claim_not_allowed: ref_protected");
    expect(html).toContain("Saving would end 1 live access token.");
    expect(html).toContain('value="7"');
    // The form shows what was typed, not saved.
    expect(html).toContain(`value="${GITLAB_SUBJECT}"`);
    expect((await call("GET", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`)).body).toEqual(saved);

    const tooFar = await preview({ previewDays: "365" });
    expect(tooFar.status).toBe(422);
    expect(tooFar.html).toContain("must be a whole number of days from 1 to 90 (the audit retention)");
    const invalid = await preview({ boundSubject: "", claimKey: "" });
    expect(invalid.status).toBe(422);
    expect(invalid.html).toContain("The configuration was not previewed");
  });
});
