// The seed's guide, clicked through in Chromium: sign in, create an identity, attach OIDC Auth (after
// correcting field errors), add it to a project, dry-run tokens, log in with one over the API, find the
// login in the audit log, revoke the token from the console. Screenshots of the main screens are saved
// on the way (docs/screenshots/ with `npm run screenshots`).
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, api, clickAndLoad, gitlabClaims, mint, screenshot, signIn, startStack, type Stack } from "./harness";

let stack: Stack;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack("walkthrough");
  context = await stack.newContext();
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await stack?.close();
});

const alertText = async () => (await page.locator(".alert.ok").first().textContent())?.trim();

describe("admin console walkthrough", () => {
  const state: { orgId?: string; identityId?: string; issuer?: string; accessToken?: string; jti?: string } = {};

  it("signs in with the admin key and creates an organization", async () => {
    await page.goto("/admin");
    expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
    await screenshot(page, "sign-in", false);
    await signIn(page);
    expect(new URL(page.url()).pathname).toBe("/admin/orgs");

    await page.getByLabel("Name").fill("Acme Corp");
    await clickAndLoad(page, page.getByRole("button", { name: "Create organization" }));
    expect(await alertText()).toBe("Organization created.");
    state.orgId = /\/admin\/orgs\/([^/]+)\/identities/.exec(page.url())![1];
  });

  it("creates a machine identity with a name and a role", async () => {
    await page.getByLabel("Name").fill("gitlab-deployer");
    await page.getByLabel("Organization role").selectOption("member");
    await clickAndLoad(page, page.getByRole("button", { name: "Create identity" }));
    state.identityId = /\/admin\/identities\/([^/?]+)/.exec(page.url())![1];
    expect(await alertText()).toContain("Machine identity created");
    expect(await page.locator("h1").textContent()).toBe("gitlab-deployer");
    expect(await page.getByText("Default: no authentication method.").count()).toBe(1);

    // A second one, so that the list and the audit filters have something to tell apart.
    await page.goto(`/admin/orgs/${state.orgId}/identities`);
    await page.getByLabel("Name").fill("github-release");
    await clickAndLoad(page, page.getByRole("button", { name: "Create identity" }));
  });

  it("replaces the default auth with OIDC Auth, correcting the fields the service refused", async () => {
    await page.goto(`/admin/identities/${state.identityId}`);
    await clickAndLoad(page, page.getByRole("link", { name: "Replace the default with OIDC Auth" }));
    expect(new URL(page.url()).pathname).toBe(`/admin/identities/${state.identityId}/oidc-auth`);

    // The GitLab preset fills issuer and discovery URL in place (JavaScript on).
    await page.getByRole("link", { name: "GitLab.com" }).click();
    expect(await page.getByLabel("OIDC discovery URL").inputValue()).toBe("https://gitlab.com");
    expect(await page.getByLabel("Issuer").inputValue()).toBe("https://gitlab.com");

    // gitlab.com is not reachable from here: the local IdP plays it.
    state.issuer = `${stack.idp.url}/t/gitlab`;
    await page.getByLabel("OIDC discovery URL").fill(state.issuer);
    await page.getByLabel("Issuer").fill(state.issuer);
    await page.getByLabel("Subject").fill("project_path:mygroup/*:ref_type:branch:ref:main");
    await page.getByLabel("Audiences").fill("https://edge-oidc-auth.example");
    await page.getByLabel("Claim 1").fill("ref_protected");
    await page.getByLabel("Allowed values (patterns) 1").fill("true");
    await page.getByLabel("Claim 2").fill("project_id");
    await page.getByLabel("Allowed values (patterns) 2").fill("1234, 5678");
    await page.getByLabel("Condition (CEL)").fill('claims.pipeline_source in ["push", "web"] &&\nclaims.ref_type == "branch"');
    await page.getByLabel("Metadata key 1").fill("project");
    await page.getByLabel("Claim (or dot path) 1").fill("project_path");
    // Two mistakes: a TTL above the max TTL, and a CIDR that does not exist. The service reports the
    // malformed value first (the TTL rule spans two fields and is checked once every field parses).
    await page.getByLabel("Access token TTL").fill("7200");
    await page.getByLabel("Access token max TTL").fill("3600");
    await page.getByLabel("Max uses per token").fill("0");
    await page.getByLabel("Trusted IPs").fill("203.0.113.0/24\n10.0.0.0/33");
    const save = page.getByRole("button", { name: "Replace the default with OIDC Auth" });
    await clickAndLoad(page, save);
    expect(await page.locator(".alert.bad").first().textContent()).toContain("The configuration was not saved");
    expect(await page.locator("#trustedIps-error").textContent()).toBe(
      "“10.0.0.0/33” (entry 2): must be an IPv4/IPv6 address or CIDR range",
    );
    // What was typed is still there.
    expect(await page.getByLabel("Subject").inputValue()).toBe("project_path:mygroup/*:ref_type:branch:ref:main");
    expect(await page.getByLabel("Allowed values (patterns) 2").inputValue()).toBe("1234, 5678");
    expect(await page.getByLabel("Claim (or dot path) 1").inputValue()).toBe("project_path");
    await screenshot(page, "oidc-auth-field-errors");

    await page.getByLabel("Trusted IPs").fill("203.0.113.0/24\n2001:db8::/32");
    await clickAndLoad(page, save);
    expect(await page.locator("#trustedIps-error").count()).toBe(0);
    expect(await page.locator("#accessTokenTTL-error").textContent()).toBe("must not be greater than accessTokenMaxTTL");

    await page.getByLabel("Access token max TTL").fill("86400");
    await clickAndLoad(page, save);
    expect(await alertText()).toBe("OIDC Auth is now this identity's authentication method.");
    expect(await page.locator(".err").count()).toBe(0);
    expect(await page.getByLabel("Access token TTL").inputValue()).toBe("7200");
    await page.getByText("Pattern language").click(); // the inline help on patterns, for the screenshot
    await screenshot(page, "oidc-auth");

    // The API sees exactly what the console saved (same service, same storage).
    const saved = await api(stack, "GET", `/api/v1/auth/oidc-auth/identities/${state.identityId}`, { token: ADMIN_KEY });
    expect(saved.body.identityOidcAuth).toMatchObject({
      boundIssuer: state.issuer,
      boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main",
      boundClaims: { ref_protected: "true", project_id: "1234, 5678" },
      condition: 'claims.pipeline_source in ["push", "web"] &&\nclaims.ref_type == "branch"',
      claimMetadataMapping: { project: "project_path" },
      accessTokenTTL: 7200,
      accessTokenMaxTTL: 86400,
      accessTokenTrustedIps: [
        { ipAddress: "203.0.113.0", type: "ipv4", prefix: 24 },
        { ipAddress: "2001:db8::", type: "ipv6", prefix: 32 },
      ],
    });
  });

  it("adds the identity to a project with a role, and changes the role", async () => {
    await page.goto(`/admin/orgs/${state.orgId}/projects`);
    await page.getByLabel("Name").fill("payments-api");
    await clickAndLoad(page, page.getByRole("button", { name: "Create project" }));
    expect(await alertText()).toBe("Project created.");
    const projectId = () => /\/admin\/projects\/([^/?]+)/.exec(page.url())![1];

    await page.getByLabel("Machine identity").selectOption({ label: "gitlab-deployer" });
    await page.getByLabel("Project role").selectOption("admin");
    await clickAndLoad(page, page.getByRole("button", { name: "Add identity" }));
    expect(await alertText()).toBe("Identity added to the project.");
    const role = page.getByLabel("Project role of gitlab-deployer");
    expect(await role.inputValue()).toBe("admin");

    await role.selectOption("member");
    await clickAndLoad(
      page,
      page.locator(`#memberships tr[data-identity-id="${state.identityId}"]`).getByRole("button", { name: "Change" }),
    );
    expect(await alertText()).toBe("Project role changed.");
    expect(await role.inputValue()).toBe("member");
    const membership = await api(stack, "GET", `/api/v1/projects/${projectId()}/memberships/identities/${state.identityId}`, {
      token: ADMIN_KEY,
    });
    expect(membership.body.identityMembership.roles).toEqual([expect.objectContaining({ role: "member", isTemporary: false })]);
    await screenshot(page, "project-access-control");
  });

  it("dry-runs a token that passes and one that fails, without issuing anything", async () => {
    await page.goto(`/admin/identities/${state.identityId}/oidc-auth`);
    const good = await mint(stack.idp, "gitlab", gitlabClaims());
    await page.getByLabel("ID token (JWT)").fill(good);
    await clickAndLoad(page, page.getByRole("button", { name: "Check token" }));
    expect(await page.locator(".verdict").textContent()).toBe("A login with this token would succeed.");
    const statuses = await page
      .locator("#dry-run-result li")
      .evaluateAll((lis) => lis.map((li) => `${li.getAttribute("data-rule")}=${li.getAttribute("data-status")}`));
    expect(statuses).toEqual([
      "signature=pass",
      "issuer=pass",
      "subject=pass",
      "audience=pass",
      "claim:project_id=pass",
      "claim:ref_protected=pass",
      "condition=pass",
      "replay=not-bound",
    ]);
    expect(await page.locator('#dry-run-result li[data-rule="replay"]').textContent()).toContain(
      "Off: a token may log in more than once.",
    );
    // The pasted token is only in its textarea.
    expect((await page.content()).split(good).length - 1).toBe(1);

    const bad = await mint(
      stack.idp,
      "gitlab",
      gitlabClaims({ aud: "https://someone-else.example", ref_protected: "false", pipeline_source: "schedule" }),
    );
    await page.getByLabel("ID token (JWT)").fill(bad);
    await clickAndLoad(page, page.getByRole("button", { name: "Check token" }));
    expect(await page.locator(".verdict").textContent()).toContain("A login would be refused: audience_not_allowed");
    const failed = await page
      .locator("#dry-run-result li")
      .evaluateAll((lis) => lis.map((li) => `${li.getAttribute("data-rule")}=${li.getAttribute("data-status")}`));
    expect(failed).toEqual([
      "signature=pass",
      "issuer=pass",
      "subject=pass",
      "audience=fail",
      "claim:project_id=pass",
      "claim:ref_protected=fail",
      "condition=fail",
      "replay=not-bound",
    ]);
    // The condition's row names the top-level conjunct that failed.
    expect(await page.locator('#dry-run-result li[data-rule="condition"] .conjunct').textContent()).toBe(
      'claims.pipeline_source in ["push", "web"]',
    );
    await screenshot(page.locator("#test-token"), "dry-run");

    const statusOf = (rule: string) => page.locator(`#dry-run-result li[data-rule="${rule}"]`).getAttribute("data-status");
    // Signed by another IdP: refused at the signature, and the bindings are not reached.
    await page.getByLabel("ID token (JWT)").fill(await mint(stack.idp, "someone-else", gitlabClaims()));
    await clickAndLoad(page, page.getByRole("button", { name: "Check token" }));
    expect(await page.locator(".verdict").textContent()).toContain("key_not_found");
    expect([await statusOf("signature"), await statusOf("issuer"), await statusOf("subject")]).toEqual([
      "fail",
      "not-checked",
      "not-checked",
    ]);
    // Signed by the right key but naming another issuer: the signature passes, the issuer fails.
    await page.getByLabel("ID token (JWT)").fill(await mint(stack.idp, "gitlab", gitlabClaims({ iss: "https://gitlab.example" })));
    await clickAndLoad(page, page.getByRole("button", { name: "Check token" }));
    expect(await page.locator(".verdict").textContent()).toContain("issuer_mismatch");
    expect([await statusOf("signature"), await statusOf("issuer"), await statusOf("subject")]).toEqual([
      "pass",
      "fail",
      "not-checked",
    ]);

    // Nothing was issued: no token in the list.
    await page.goto(`/admin/identities/${state.identityId}/tokens`);
    expect(await page.getByText("No live tokens").count()).toBe(1);
  });

  it("logs in over the API with the token the dry run admitted, and uses it", async () => {
    const jwt = await mint(stack.idp, "gitlab", gitlabClaims());
    const login = await api(stack, "POST", "/api/v1/auth/oidc-auth/login", { body: { identityId: state.identityId, jwt } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.expiresIn).toBe(7200);
    state.accessToken = login.body.accessToken;
    state.jti = JSON.parse(Buffer.from(state.accessToken!.split(".")[1]!, "base64url").toString()).jti;

    const details = await api(stack, "GET", "/api/v1/identities/details", { token: state.accessToken });
    expect(details.status, JSON.stringify(details.body)).toBe(200);
    expect(details.body.identityDetails.identity.name).toBe("gitlab-deployer");
    expect(details.body.identityDetails.projectMemberships).toHaveLength(1);

    // And a refused one, for the audit log.
    const refused = await api(stack, "POST", "/api/v1/auth/oidc-auth/login", {
      body: {
        identityId: state.identityId,
        jwt: await mint(
          stack.idp,
          "gitlab",
          gitlabClaims({ ref: "feature", sub: "project_path:mygroup/myproject:ref_type:branch:ref:feature" }),
        ),
      },
    });
    expect(refused.body.reasonCode).toBe("subject_not_allowed");
  });

  it("previews a loosened subject against those logins: the refused one is gained, nothing is saved", async () => {
    await page.goto(`/admin/identities/${state.identityId}/oidc-auth`);
    const saved = await api(stack, "GET", `/api/v1/auth/oidc-auth/identities/${state.identityId}`, { token: ADMIN_KEY });
    const loose = "project_path:mygroup/myproject:ref_type:branch:ref:*";
    await page.getByLabel("Subject").fill(loose);
    await clickAndLoad(page, page.getByRole("button", { name: "Preview" }));
    expect(await page.locator("#what-if-result .verdict").textContent()).toContain("admit 1 more and refuse 0 more");
    const gained = await page.locator("#what-if-gained tbody tr").allTextContents();
    expect(gained).toHaveLength(1);
    expect(gained[0]).toContain("ref:feature");
    expect(gained[0]).toContain("subject_not_allowed");
    expect(await page.getByLabel("Subject").inputValue()).toBe(loose);
    await screenshot(page.locator("#preview"), "oidc-auth-preview");
    const after = await api(stack, "GET", `/api/v1/auth/oidc-auth/identities/${state.identityId}`, { token: ADMIN_KEY });
    expect(after.body).toEqual(saved.body);
  });

  it("shows the login in the audit log, with filters", async () => {
    await page.goto(`/admin/orgs/${state.orgId}/audit`);
    const events = await page.locator("#audit-events tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-event")));
    expect(events).toEqual(
      expect.arrayContaining(["login", "oidc-auth.attach", "identity.create", "membership.create", "membership.update"]),
    );
    await screenshot(page, "audit-log");

    await page.getByLabel("Identity").selectOption({ label: "gitlab-deployer" });
    await page.getByLabel("Event").selectOption("login");
    await page.getByLabel("Outcome").selectOption("success");
    await clickAndLoad(page, page.getByRole("button", { name: "Apply" }));
    const rows = page.locator("#audit-events tbody tr");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-outcome")).toBe("success");
    expect(await rows.first().textContent()).toContain("gitlab-deployer");
    expect(await rows.first().textContent()).toContain("203.0.113.10");
    await rows.first().locator("summary").click();
    expect(await rows.first().locator("pre").textContent()).toContain('"ref_protected": "true"');
    await screenshot(page, "audit-log-filtered");

    await page.getByLabel("Outcome").selectOption("failure");
    await clickAndLoad(page, page.getByRole("button", { name: "Apply" }));
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("subject_not_allowed");

    // A time range that ends before everything: nothing.
    await page.goto(`/admin/orgs/${state.orgId}/audit?to=2000-01-01T00:00`);
    expect(await page.getByText("No events match these filters").count()).toBe(1);
  });

  it("revokes the token from the console; the API then answers token_revoked", async () => {
    await page.goto(`/admin/identities/${state.identityId}/tokens`);
    const row = page.locator(`#tokens tr[data-token-id="${state.jti}"]`);
    expect(await row.locator(".badge").textContent()).toBe("active");
    expect(await row.textContent()).toContain("203.0.113.10");
    await screenshot(page, "access-tokens");
    await clickAndLoad(page, row.getByRole("button", { name: "Revoke" }));
    expect(await alertText()).toContain("Access token revoked");
    expect(await page.locator(`#tokens tr[data-token-id="${state.jti}"] .badge`).textContent()).toBe("revoked");

    const use = await api(stack, "GET", "/api/v1/identities/details", { token: state.accessToken });
    expect(use.status).toBe(401);
    expect(use.body.reasonCode).toBe("token_revoked");
  });

  it("revokes every token of the identity from the console, after a confirmation; logins afterwards work", async () => {
    const loginNow = async () => {
      const login = await api(stack, "POST", "/api/v1/auth/oidc-auth/login", {
        body: { identityId: state.identityId, jwt: await mint(stack.idp, "gitlab", gitlabClaims()) },
      });
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      return login.body.accessToken as string;
    };
    const [first, second] = [await loginNow(), await loginNow()];
    await page.goto(`/admin/identities/${state.identityId}/tokens`);
    await clickAndLoad(page, page.getByRole("link", { name: "Revoke all tokens" }));
    expect(await page.locator("h1").textContent()).toContain("Revoke every access token of gitlab-deployer?");
    await clickAndLoad(page, page.getByRole("button", { name: "Revoke all tokens" }));
    expect(await alertText()).toContain("Every access token issued until now is revoked");
    expect(await page.locator("#tokens .badge.ok").count()).toBe(0);

    for (const token of [first, second]) {
      const use = await api(stack, "GET", "/api/v1/identities/details", { token });
      expect(use.status).toBe(401);
      expect(use.body.reasonCode).toBe("token_revoked");
    }
    // A login right after the revocation answered is not affected by it.
    const after = await api(stack, "GET", "/api/v1/identities/details", { token: await loginNow() });
    expect(after.status, JSON.stringify(after.body)).toBe(200);
  });

  it("lists identities and organizations (the overview screens)", async () => {
    await page.goto(`/admin/orgs/${state.orgId}/identities`);
    const text = await page.locator("table.list").textContent();
    expect(text).toContain("gitlab-deployer");
    expect(text).toContain("OIDC Auth");
    expect(text).toContain("github-release");
    await screenshot(page, "identities");
    await page.goto(`/admin/identities/${state.identityId}`);
    await screenshot(page, "identity");
    await page.goto("/admin/orgs");
    await screenshot(page, "organizations");
  });
});
