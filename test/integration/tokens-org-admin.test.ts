// An access token whose identity has the organization role `admin` may use the admin API for its own
// organization only. The scenario: a CI pipeline that manages identities, logging in with its own OIDC.
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, login, ok } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { expectOk, expectRefusal, loggedIn, revoke } from "../support/tokens";

const SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";
const AUDIENCE = "https://edge-oidc-auth.example";

describe("org-admin access tokens on the admin API", () => {
  it("a CI identity with org role admin creates an identity and attaches OIDC Auth in its own organization", async () => {
    const ci = await loggedIn({}, "admin");
    const as = { token: ci.token };

    const created = expectOk(
      await call("POST", "/api/v1/identities", { ...as, body: { name: "deployer", organizationId: ci.org.id, role: "member" } }),
    ).identity;
    expect(created).toMatchObject({ name: "deployer", orgId: ci.org.id, role: "member", authMethods: [] });

    const oidc = expectOk(
      await call("POST", `/api/v1/auth/oidc-auth/identities/${created.id}`, {
        ...as,
        body: { oidcDiscoveryUrl: ci.idp.issuer, boundIssuer: ci.idp.issuer, boundSubject: SUBJECT, boundAudiences: AUDIENCE },
      }),
    ).identityOidcAuth;
    expect(oidc).toMatchObject({ identityId: created.id, boundIssuer: ci.idp.issuer });

    // The identity it made is real: it logs in and its token works.
    const res = await login(created.id, await ci.idp.mint(gitlabClaims()));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const details = expectOk(await call("GET", "/api/v1/identities/details", { token: res.body.accessToken }));
    expect(details.identityDetails.identity).toMatchObject({ id: created.id, role: "member", authMethods: ["oidc-auth"] });

    // The rest of its organization's admin API, too.
    const listed = expectOk(await call("GET", "/api/v1/identities", as)).identities.map((i: { id: string }) => i.id);
    expect(listed.sort()).toEqual([ci.identity.id, created.id].sort());
    const project = expectOk(
      await call("POST", "/api/v1/projects", { ...as, body: { name: "svc", organizationId: ci.org.id } }),
    ).project;
    expectOk(
      await call("POST", `/api/v1/projects/${project.id}/memberships/identities/${created.id}`, { ...as, body: { role: "viewer" } }),
    );
    expect(expectOk(await call("GET", "/api/v1/projects", as)).projects.map((p: { id: string }) => p.id)).toEqual([project.id]);
    expect(expectOk(await call("GET", "/api/v1/organizations", as)).organizations.map((o: { id: string }) => o.id)).toEqual([
      ci.org.id,
    ]);
  });

  it("gets 403 organization_forbidden in another organization", async () => {
    const ci = await loggedIn({}, "admin");
    const as = { token: ci.token };
    const other = await createOrg();
    const victim = await createIdentity(other.id, "admin", "victim");
    const project = (await ok("POST", "/api/v1/projects", { body: { name: "theirs", organizationId: other.id } })).project;

    const attempts = [
      call("POST", "/api/v1/identities", { ...as, body: { name: "intruder", organizationId: other.id, role: "admin" } }),
      call("GET", `/api/v1/identities?organizationId=${other.id}`, as),
      call("GET", `/api/v1/identities/${victim.id}`, as),
      call("PATCH", `/api/v1/identities/${victim.id}`, { ...as, body: { role: "no-access" } }),
      call("DELETE", `/api/v1/identities/${victim.id}`, as),
      call("POST", `/api/v1/auth/oidc-auth/identities/${victim.id}`, {
        ...as,
        body: { oidcDiscoveryUrl: ci.idp.issuer, boundIssuer: ci.idp.issuer, boundSubject: SUBJECT },
      }),
      call("GET", `/api/v1/organizations/${other.id}`, as),
      call("POST", "/api/v1/projects", { ...as, body: { name: "x", organizationId: other.id } }),
      call("GET", `/api/v1/projects?organizationId=${other.id}`, as),
      call("GET", `/api/v1/projects/${project.id}`, as),
      call("DELETE", `/api/v1/projects/${project.id}`, as),
      call("POST", `/api/v1/projects/${project.id}/memberships/identities/${victim.id}`, { ...as, body: { role: "admin" } }),
      // Its own identity into another organization's project, or another organization's identity into its own.
      call("POST", `/api/v1/projects/${project.id}/memberships/identities/${ci.identity.id}`, { ...as, body: { role: "admin" } }),
    ];
    for (const res of await Promise.all(attempts)) expectRefusal(res, 403, "organization_forbidden");
    const own = expectOk(await call("POST", "/api/v1/projects", { ...as, body: { name: "mine", organizationId: ci.org.id } })).project;
    expectRefusal(
      await call("POST", `/api/v1/projects/${own.id}/memberships/identities/${victim.id}`, { ...as, body: { role: "admin" } }),
      403,
      "organization_forbidden",
    );

    // Nothing changed over there.
    expect((await ok("GET", `/api/v1/identities/${victim.id}`)).identity).toMatchObject({ role: "admin", authMethods: [] });
    expect((await ok("GET", `/api/v1/identities?organizationId=${other.id}`)).identities).toHaveLength(1);
    expect((await ok("GET", `/api/v1/projects/${project.id}/memberships/identities`)).identityMemberships).toEqual([]);
  });

  it("may not create organizations: that takes the admin key", async () => {
    const ci = await loggedIn({}, "admin");
    expectRefusal(
      await call("POST", "/api/v1/organizations", { token: ci.token, body: { name: "new-org" } }),
      403,
      "admin_key_required",
    );
    expect((await ok("POST", "/api/v1/organizations", { body: { name: "new-org" } })).organization).toMatchObject({ name: "new-org" });
  });

  it.each(["member", "no-access"])("a %s token gets 403 insufficient_role", async (role) => {
    const ci = await loggedIn({}, role);
    const as = { token: ci.token };
    const attempts = [
      call("POST", "/api/v1/identities", { ...as, body: { name: "x", organizationId: ci.org.id } }),
      call("GET", "/api/v1/identities", as),
      call("PATCH", `/api/v1/identities/${ci.identity.id}`, { ...as, body: { role: "admin" } }),
      call("POST", "/api/v1/projects", { ...as, body: { name: "x", organizationId: ci.org.id } }),
      call("GET", `/api/v1/projects?organizationId=${ci.org.id}`, as),
      call("GET", `/api/v1/auth/oidc-auth/identities/${ci.identity.id}`, as),
      call("POST", "/api/v1/organizations", { ...as, body: { name: "x" } }),
    ];
    for (const res of await Promise.all(attempts)) expectRefusal(res, 403, "insufficient_role");
    expect((await ok("GET", `/api/v1/identities/${ci.identity.id}`)).identity.role).toBe(role);
  });

  it("losing the admin role takes effect at the token's next call; gaining it too", async () => {
    const ci = await loggedIn({}, "admin");
    expectOk(await call("GET", "/api/v1/identities", { token: ci.token }));
    await ok("PATCH", `/api/v1/identities/${ci.identity.id}`, { body: { role: "member" } });
    expectRefusal(await call("GET", "/api/v1/identities", { token: ci.token }), 403, "insufficient_role");
    await ok("PATCH", `/api/v1/identities/${ci.identity.id}`, { body: { role: "admin" } });
    expectOk(await call("GET", "/api/v1/identities", { token: ci.token }));
  });

  it("an admin call is a use of the token: max uses, revocation and trusted IPs apply", async () => {
    const ci = await loggedIn({ accessTokenNumUsesLimit: 2, accessTokenTrustedIps: [{ ipAddress: "203.0.113.0/24" }] }, "admin");
    const as = { token: ci.token, ip: "203.0.113.5" };
    expectRefusal(await call("GET", "/api/v1/identities", { ...as, ip: "198.51.100.1" }), 403, "ip_not_trusted");
    expectOk(await call("GET", "/api/v1/identities", as));
    expectOk(await call("GET", "/api/v1/identities", as));
    expectRefusal(await call("GET", "/api/v1/identities", as), 401, "token_uses_exhausted");

    const again = await loggedIn({}, "admin");
    expectOk(await revoke(again.token));
    expectRefusal(await call("GET", "/api/v1/identities", { token: again.token }), 401, "token_revoked");
  });
});
