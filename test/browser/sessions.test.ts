// Console sessions and forms in Chromium: sign-in and sign-out, the cookie's attributes, CSRF on every
// POST, the delete confirmation, pages without JavaScript, and an org-admin identity's token as the
// credential (limited to its organization, ended by revoking the token).
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, api, clickAndLoad, gitlabClaims, mint, signIn, startStack, type Stack } from "./harness";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack("sessions");
});

afterAll(async () => {
  await stack?.close();
});

async function withPage(fn: (page: Page, context: BrowserContext) => Promise<void>, opts: { javaScriptEnabled?: boolean } = {}) {
  const context = await stack.newContext(opts);
  try {
    await fn(await context.newPage(), context);
  } finally {
    await context.close();
  }
}

const admin = { token: ADMIN_KEY };

async function createOrg(name: string) {
  return (await api(stack, "POST", "/api/v1/organizations", { ...admin, body: { name } })).body.organization as {
    id: string;
    name: string;
  };
}

async function createIdentity(orgId: string, name: string, role = "no-access") {
  return (await api(stack, "POST", "/api/v1/identities", { ...admin, body: { organizationId: orgId, name, role } })).body.identity as {
    id: string;
  };
}

const sessionCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === "eoa_console");

describe("sign-in and session cookie", () => {
  it("sends signed-out visitors to sign-in, and back to where they were going afterwards", async () => {
    await withPage(async (page) => {
      await page.goto("/admin/orgs");
      const url = new URL(page.url());
      expect(url.pathname).toBe("/admin/sign-in");
      expect(url.searchParams.get("next")).toBe("/admin/orgs");
      await page.getByLabel("Admin key or access token").fill(ADMIN_KEY);
      await clickAndLoad(page, page.getByRole("button", { name: "Sign in" }));
      expect(new URL(page.url()).pathname).toBe("/admin/orgs");
    });
  });

  it("refuses a wrong key without starting a session", async () => {
    await withPage(async (page, context) => {
      await signIn(page, "not-the-admin-key");
      expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
      expect(await page.locator(".alert.bad").textContent()).toContain("neither the admin key nor a valid access token");
      expect(await sessionCookie(context)).toBeUndefined();
    });
  });

  it("keeps the session in an HttpOnly, SameSite=Strict, signed, 30-minute cookie; a tampered one is refused", async () => {
    await withPage(async (page, context) => {
      await signIn(page);
      const cookie = (await sessionCookie(context))!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/admin" });
      expect(cookie.secure).toBe(false); // plain http on 127.0.0.1 only; elsewhere Secure and __Host-
      expect(Math.abs(cookie.expires - (Date.now() / 1000 + 1800))).toBeLessThan(60);
      expect(await page.evaluate("document.cookie")).not.toContain("eoa_console=");

      // Flip one character of the signed payload.
      const [body, mac] = cookie.value.split(".");
      const flipped = `${body!.slice(0, 10)}${body![10] === "A" ? "B" : "A"}${body!.slice(11)}.${mac}`;
      await context.addCookies([{ ...cookie, value: flipped }]);
      await page.goto("/admin/orgs");
      const url = new URL(page.url());
      expect(url.pathname).toBe("/admin/sign-in");
      expect(await page.locator(".alert.warn").textContent()).toContain("Your session expired");
    });
  });

  it("signs out, on the server: a copy of the cookie stops working too", async () => {
    await withPage(async (page, context) => {
      await signIn(page);
      const copy = (await sessionCookie(context))!;
      await clickAndLoad(page, page.getByRole("button", { name: "Sign out" }));
      const replayed = await fetch(`${stack.url}/admin/orgs`, {
        redirect: "manual",
        headers: { cookie: `eoa_console=${copy.value}` },
      });
      expect(replayed.status).toBe(303);
      expect(replayed.headers.get("location")).toContain("/admin/sign-in");
      expect(await page.locator(".alert.info").textContent()).toBe("You are signed out.");
      expect(await sessionCookie(context)).toBeUndefined();
      await page.goto("/admin/orgs");
      expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
    });
  });
});

describe("CSRF", () => {
  it("refuses a POST without the session's token, with another session's token, or from another origin", async () => {
    await withPage(async (page, context) => {
      await signIn(page);
      const cookie = (await sessionCookie(context))!;
      const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
      const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
        fetch(`${stack.url}/admin/orgs`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: `eoa_console=${cookie.value}`, "content-type": "application/x-www-form-urlencoded", ...headers },
          body: new URLSearchParams(fields),
        });

      const missing = await post({ name: "csrf-missing" });
      expect(missing.status).toBe(403);
      expect(await missing.text()).toContain("csrf_failed");

      // A token from a second session does not fit this session.
      let otherToken = "";
      await withPage(async (other) => {
        await signIn(other);
        otherToken = await other.locator('input[name="_csrf"]').first().inputValue();
      });
      expect(otherToken).not.toBe(csrf);
      expect((await post({ name: "csrf-other", _csrf: otherToken })).status).toBe(403);

      expect((await post({ name: "csrf-origin", _csrf: csrf }, { origin: "http://evil.example" })).status).toBe(403);
      expect((await post({ name: "csrf-site", _csrf: csrf }, { "sec-fetch-site": "cross-site" })).status).toBe(403);

      const good = await post({ name: "csrf-ok", _csrf: csrf }, { origin: stack.url });
      expect(good.status).toBe(303);
      const orgs = (await api(stack, "GET", "/api/v1/organizations", admin)).body.organizations.map((o: { name: string }) => o.name);
      expect(orgs).toContain("csrf-ok");
      expect(orgs.filter((n: string) => n.startsWith("csrf-") && n !== "csrf-ok")).toEqual([]);
    });
  });
});

describe("identities", () => {
  it("deletes an identity only after a confirmation step", async () => {
    const org = await createOrg("Delete Co");
    const identity = await createIdentity(org.id, "short-lived");
    await withPage(async (page) => {
      await signIn(page);
      await page.goto(`/admin/identities/${identity.id}`);
      await clickAndLoad(page, page.getByRole("link", { name: "Delete identity…" }));
      expect(await page.locator("h1").textContent()).toBe("Delete short-lived?");
      await clickAndLoad(page, page.getByRole("link", { name: "Cancel" }));
      expect(new URL(page.url()).pathname).toBe(`/admin/identities/${identity.id}`);

      await clickAndLoad(page, page.getByRole("link", { name: "Delete identity…" }));
      await clickAndLoad(page, page.getByRole("button", { name: "Delete identity" }));
      expect(new URL(page.url()).pathname).toBe(`/admin/orgs/${org.id}/identities`);
      expect(await page.locator(".alert.ok").textContent()).toContain("Machine identity deleted");
      expect(await page.getByText("No machine identities yet").count()).toBe(1);
    });
    expect((await api(stack, "GET", `/api/v1/identities/${identity.id}`, admin)).status).toBe(404);
  });

  it("edits an identity's name and role, with validation next to the field", async () => {
    const org = await createOrg("Edit Co");
    const identity = await createIdentity(org.id, "before");
    await withPage(async (page) => {
      await signIn(page);
      await page.goto(`/admin/identities/${identity.id}`);
      // maxlength stops a browser from typing more: send the form as a script would.
      await page.getByLabel("Name", { exact: true }).evaluate((el) => el.removeAttribute("maxlength"));
      await page.getByLabel("Name", { exact: true }).fill("x".repeat(65));
      await clickAndLoad(page, page.getByRole("button", { name: "Save" }));
      expect(await page.locator("#edit-name-error").textContent()).toMatch(/64/);

      await page.getByLabel("Name", { exact: true }).fill("after");
      await page.getByLabel("Organization role").selectOption("admin");
      await clickAndLoad(page, page.getByRole("button", { name: "Save" }));
      expect(await page.locator(".alert.ok").textContent()).toBe("Machine identity saved.");
    });
    expect((await api(stack, "GET", `/api/v1/identities/${identity.id}`, admin)).body.identity).toMatchObject({
      name: "after",
      role: "admin",
    });
  });
});

describe("without JavaScript", () => {
  it("signs in, uses a preset link, and attaches OIDC Auth", async () => {
    const org = await createOrg("No Script Co");
    const identity = await createIdentity(org.id, "plain-html");
    await withPage(
      async (page) => {
        await signIn(page);
        await page.goto(`/admin/identities/${identity.id}/oidc-auth`);
        expect(await page.getByRole("button", { name: "+ Add a row" }).first().isVisible()).toBe(false);
        await clickAndLoad(page, page.getByRole("link", { name: "GitHub Actions" }));
        expect(new URL(page.url()).searchParams.get("preset")).toBe("github");
        expect(await page.getByLabel("OIDC discovery URL").inputValue()).toBe("https://token.actions.githubusercontent.com");
        expect(await page.getByLabel("Issuer").inputValue()).toBe("https://token.actions.githubusercontent.com");

        const issuer = `${stack.idp.url}/t/noscript`;
        await page.getByLabel("OIDC discovery URL").fill(issuer);
        await page.getByLabel("Issuer").fill(issuer);
        // Bind nothing first: owner pinning is shown next to the subject.
        await clickAndLoad(page, page.getByRole("button", { name: "Replace the default with OIDC Auth" }));
        expect(await page.locator("#boundSubject-error").textContent()).toContain("pins an owner");

        await page.getByLabel("Subject").fill("repo:octo-org/octo-repo:ref:refs/heads/main");
        await clickAndLoad(page, page.getByRole("button", { name: "Replace the default with OIDC Auth" }));
        expect(await page.locator(".alert.ok").textContent()).toBe("OIDC Auth is now this identity's authentication method.");
      },
      { javaScriptEnabled: false },
    );
    const saved = await api(stack, "GET", `/api/v1/auth/oidc-auth/identities/${identity.id}`, admin);
    expect(saved.body.identityOidcAuth.boundSubject).toBe("repo:octo-org/octo-repo:ref:refs/heads/main");
  });
});

describe("an org-admin identity's access token as the credential", () => {
  it("is limited to its organization, acts as itself, and its revocation ends the session", async () => {
    const other = await createOrg("Other Org");
    const home = await createOrg("Home Org");
    const consoleAdmin = await createIdentity(home.id, "console-admin", "admin");
    const issuer = `${stack.idp.url}/t/orgadmin`;
    const attach = await api(stack, "POST", `/api/v1/auth/oidc-auth/identities/${consoleAdmin.id}`, {
      ...admin,
      body: { oidcDiscoveryUrl: issuer, boundIssuer: issuer, boundSubject: gitlabClaims().sub, accessTokenTTL: 3600 },
    });
    expect(attach.status, JSON.stringify(attach.body)).toBe(200);
    const login = await api(stack, "POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId: consoleAdmin.id, jwt: await mint(stack.idp, "orgadmin", gitlabClaims()) },
    });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const accessToken = login.body.accessToken as string;

    await withPage(async (page) => {
      await signIn(page, accessToken);
      expect(new URL(page.url()).pathname).toBe(`/admin/orgs/${home.id}/identities`);
      expect(await page.locator(".who").textContent()).toContain("Signed in as console-admin (Home Org)");

      await page.goto("/admin/orgs");
      const names = await page.locator("table.list tbody tr strong").allTextContents();
      expect(names).toEqual(["Home Org"]);
      expect(await page.getByRole("button", { name: "Create organization" }).count()).toBe(0);

      const res = await page.goto(`/admin/orgs/${other.id}/identities`);
      expect(res!.status()).toBe(403);
      expect(await page.locator("main").textContent()).toContain("organization_forbidden");

      await page.goto(`/admin/orgs/${home.id}/identities`);
      await page.getByLabel("Name").fill("made-by-an-identity");
      await clickAndLoad(page, page.getByRole("button", { name: "Create identity" }));
      await page.goto(`/admin/orgs/${home.id}/audit?event=identity.create`);
      expect(await page.locator("#audit-events tbody tr").first().textContent()).toContain("console-admin");

      const revoke = await api(stack, "POST", "/api/v1/auth/token/revoke", { body: { accessToken } });
      expect(revoke.status).toBe(200);
      await page.goto(`/admin/orgs/${home.id}/identities`);
      expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
      expect(await page.locator(".alert.warn").textContent()).toContain("the access token was revoked");
    });
  });

  it("refuses the token of an identity that is not an organization admin", async () => {
    const org = await createOrg("Member Org");
    const member = await createIdentity(org.id, "just-a-member", "member");
    const issuer = `${stack.idp.url}/t/member`;
    await api(stack, "POST", `/api/v1/auth/oidc-auth/identities/${member.id}`, {
      ...admin,
      body: { oidcDiscoveryUrl: issuer, boundIssuer: issuer, boundSubject: gitlabClaims().sub },
    });
    const login = await api(stack, "POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId: member.id, jwt: await mint(stack.idp, "member", gitlabClaims()) },
    });
    await withPage(async (page, context) => {
      await signIn(page, login.body.accessToken);
      expect(await page.locator(".alert.bad").textContent()).toContain("insufficient_role");
      expect(await sessionCookie(context)).toBeUndefined();
    });
  });
});
