// Every use of a token is checked against the identity's current state: trusted IPs (CF-Connecting-IP
// only), the OIDC Auth attachment, the identity's existence, its role and project memberships. Admin
// changes reach tokens already issued at their next use.
import { describe, expect, it } from "vitest";
import { call, ok } from "../support/api";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";
import { expectOk, renew, revoke, tally, useToken, whoami } from "../support/tokens";

const TRUSTED = [{ ipAddress: "203.0.113.0/24" }, { ipAddress: "2001:db8::/32" }];
const INSIDE = "203.0.113.7";
const INSIDE_V6 = "2001:db8::42";
const OUTSIDE = "198.51.100.9";

const patchOidc = (identityId: string, body: Record<string, unknown>) =>
  ok("PATCH", `/api/v1/auth/oidc-auth/identities/${identityId}`, { body });

describe("trusted IPs", () => {
  it("admits addresses inside the ranges and refuses others with 403 ip_not_trusted", async () => {
    const s = await scenario({ accessTokenTrustedIps: TRUSTED });
    const token = await s.login();
    expectOk(await useToken(token, { ip: INSIDE }));
    expectOk(await useToken(token, { ip: INSIDE_V6 }));
    expectRefusal(await useToken(token, { ip: OUTSIDE }), 403, "ip_not_trusted");
    expectRefusal(await useToken(token, { ip: "2001:db9::1" }), 403, "ip_not_trusted");
    // No CF-Connecting-IP at all: the address is unknown, so a restricted token is refused.
    expectRefusal(await useToken(token), 403, "ip_not_trusted");
  });

  it("reads CF-Connecting-IP only, never X-Forwarded-For", async () => {
    const s = await scenario({ accessTokenTrustedIps: TRUSTED });
    const token = await s.login();
    expectRefusal(await useToken(token, { ip: OUTSIDE, headers: { "x-forwarded-for": INSIDE } }), 403, "ip_not_trusted");
    expectRefusal(await useToken(token, { headers: { "x-forwarded-for": INSIDE, "x-real-ip": INSIDE } }), 403, "ip_not_trusted");
    expectOk(await useToken(token, { ip: INSIDE, headers: { "x-forwarded-for": OUTSIDE } }));
  });

  it("a refused use does not drain the token's uses", async () => {
    const s = await scenario({ accessTokenTrustedIps: TRUSTED, accessTokenNumUsesLimit: 2 });
    const token = await s.login();
    const outsiders = await Promise.all(Array.from({ length: 20 }, () => useToken(token, { ip: OUTSIDE })));
    expect(tally(outsiders)).toEqual({ "403 ip_not_trusted": 20 });
    expectRefusal(await whoami(token, { ip: OUTSIDE }), 403, "ip_not_trusted");
    expect(expectOk(await useToken(token, { ip: INSIDE })).identityDetails.token.usesLeft).toBe(1);
    expect(expectOk(await useToken(token, { ip: INSIDE })).identityDetails.token.usesLeft).toBe(0);
    expectRefusal(await useToken(token, { ip: INSIDE }), 401, "token_uses_exhausted");
  });

  it("applies to renewal too, but not to revocation (whoever holds a token may kill it)", async () => {
    const s = await scenario({ accessTokenTrustedIps: TRUSTED });
    const token = await s.login();
    expectRefusal(await renew(token, { ip: OUTSIDE }), 403, "ip_not_trusted");
    expectOk(await renew(token, { ip: INSIDE }));
    expectOk(await revoke(token)); // no CF-Connecting-IP
    expectRefusal(await useToken(token, { ip: INSIDE }), 401, "token_revoked");
  });

  it("a change of the list applies to live tokens at their next use", async () => {
    const s = await scenario();
    const token = await s.login();
    expectOk(await useToken(token, { ip: OUTSIDE })); // default: every address
    await patchOidc(s.identity.id, { accessTokenTrustedIps: TRUSTED });
    expectRefusal(await useToken(token, { ip: OUTSIDE }), 403, "ip_not_trusted");
    expectRefusal(await whoami(token, { ip: OUTSIDE }), 403, "ip_not_trusted");
    expectOk(await useToken(token, { ip: INSIDE }));
    await patchOidc(s.identity.id, { accessTokenTrustedIps: [{ ipAddress: `${OUTSIDE}/32` }] });
    expectRefusal(await useToken(token, { ip: INSIDE }), 403, "ip_not_trusted");
    expectOk(await useToken(token, { ip: OUTSIDE }));
  });
});

describe("admin changes reach live tokens", () => {
  it("detaching OIDC Auth kills the identity's tokens", async () => {
    const s = await scenario();
    const token = await s.login();
    const other = await s.login();
    expectOk(await useToken(token));
    await ok("DELETE", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`);
    expectRefusal(await useToken(token), 401, "auth_method_removed");
    expectRefusal(await useToken(other), 401, "auth_method_removed");
    expectRefusal(await renew(token), 401, "auth_method_removed");
    expectRefusal(await whoami(other), 401, "auth_method_removed");
  });

  it("re-attaching OIDC Auth does not revive the tokens of the detached configuration", async () => {
    const s = await scenario();
    const token = await s.login();
    await ok("DELETE", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`);
    expectRefusal(await useToken(token), 401, "auth_method_removed");
    await ok("POST", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, {
      body: {
        oidcDiscoveryUrl: s.idp.issuer,
        boundIssuer: s.idp.issuer,
        boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
        boundAudiences: "https://edge-oidc-auth.example",
      },
    });
    expectRefusal(await useToken(token), 401, "auth_method_removed");
    expectRefusal(await renew(token), 401, "auth_method_removed");
    // Tokens issued under the new configuration work.
    expectOk(await useToken(await s.login()));
  });

  it("deleting the identity kills its tokens", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 10 });
    const token = await s.login();
    const other = await s.login();
    expectOk(await useToken(token));
    await ok("DELETE", `/api/v1/identities/${s.identity.id}`);
    expectRefusal(await useToken(token), 401, "identity_not_found");
    expectRefusal(await useToken(other), 401, "identity_not_found");
    expectRefusal(await renew(token), 401, "identity_not_found");
    expectRefusal(await whoami(token), 401, "identity_not_found");
  });

  it("a role change is seen at the next use", async () => {
    const s = await scenario({}, { role: "member" });
    const token = await s.login();
    expect(expectOk(await useToken(token)).identityDetails.identity.role).toBe("member");
    expect((await whoami(token)).body).toMatchObject({ ok: true, orgRole: "member" });
    await ok("PATCH", `/api/v1/identities/${s.identity.id}`, { body: { role: "admin" } });
    expect((await whoami(token)).body).toMatchObject({ ok: true, orgRole: "admin" });
    expect(expectOk(await useToken(token)).identityDetails.identity.role).toBe("admin");
  });

  it("project membership changes are seen at the next use", async () => {
    const s = await scenario();
    const token = await s.login();
    const project = (await ok("POST", "/api/v1/projects", { body: { name: "payments", organizationId: s.org.id } })).project;
    const member = `/api/v1/projects/${project.id}/memberships/identities/${s.identity.id}`;
    expect((await whoami(token, { projectId: project.id })).body).toMatchObject({ ok: true, projectRoles: [] });
    await ok("POST", member, { body: { roles: [{ role: "viewer" }] } });
    expect((await whoami(token, { projectId: project.id })).body).toMatchObject({ ok: true, projectRoles: ["viewer"] });
    expect(expectOk(await useToken(token)).identityDetails.projectMemberships).toEqual([
      { projectId: project.id, roles: [{ role: "viewer" }] },
    ]);
    await ok("PATCH", member, { body: { roles: [{ role: "admin" }, { role: "member" }] } });
    expect((await whoami(token, { projectId: project.id })).body).toMatchObject({ projectRoles: ["admin", "member"] });
    await ok("DELETE", member);
    expect((await whoami(token, { projectId: project.id })).body).toMatchObject({ ok: true, projectRoles: [] });
    await ok("POST", member, { body: { role: "member" } });
    expect((await whoami(token, { projectId: project.id })).body).toMatchObject({ projectRoles: ["member"] });
    await ok("DELETE", `/api/v1/projects/${project.id}`);
    expect((await whoami(token, { projectId: project.id })).body).toMatchObject({ ok: true, projectRoles: [] });
    expect(expectOk(await useToken(token)).identityDetails.projectMemberships).toEqual([]);
  });

  it("an unrelated identity's change does not touch this identity's tokens", async () => {
    const a = await scenario({ accessTokenTrustedIps: TRUSTED });
    const b = await scenario();
    const aToken = await a.login();
    const bToken = await b.login();
    await patchOidc(b.identity.id, { accessTokenTrustedIps: [{ ipAddress: "192.0.2.1" }] });
    expectOk(await useToken(aToken, { ip: INSIDE }));
    expectRefusal(await useToken(bToken, { ip: INSIDE }), 403, "ip_not_trusted");
    const res = await call("GET", "/api/v1/identities/details", { token: aToken, ip: INSIDE });
    expect(res.body.identityDetails.identity.id).toBe(a.identity.id);
  });
});
