// Projects of an organization and identities' memberships in them (Infisical's paths and shapes).
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, ok } from "../support/api";
import { expectRefusal } from "../support/refusal";
import { permanent } from "../support/memberships";

async function createProject(orgId: string, name = "payments", slug?: string) {
  return (await ok("POST", "/api/v1/projects", { body: { name, organizationId: orgId, ...(slug ? { slug } : {}) } })).project;
}

const memberPath = (projectId: string, identityId: string) => `/api/v1/projects/${projectId}/memberships/identities/${identityId}`;

const slugs = (roles: { role: string }[]) => roles.map((r) => r.role);

describe("projects", () => {
  it("create, get, list by organization, delete", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const a = await createProject(org.id, "Payments API");
    expect(a).toEqual({
      id: expect.any(String),
      orgId: org.id,
      name: "Payments API",
      slug: "payments-api",
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const b = await createProject(org.id, "Web", "web-frontend");
    expect(b.slug).toBe("web-frontend");
    await createProject(other.id, "Elsewhere");

    expect((await ok("GET", `/api/v1/projects/${a.id}`)).project).toEqual(a);
    const listed = (await ok("GET", `/api/v1/projects?organizationId=${org.id}`)).projects;
    expect(listed.map((p: { id: string }) => p.id).sort()).toEqual([a.id, b.id].sort());

    expect((await ok("DELETE", `/api/v1/projects/${a.id}`)).project).toEqual(a);
    expectRefusal(await call("GET", `/api/v1/projects/${a.id}`), 404, "project_not_found");
    expectRefusal(await call("DELETE", `/api/v1/projects/${a.id}`), 404, "project_not_found");
    expect((await ok("GET", `/api/v1/projects?organizationId=${org.id}`)).projects).toEqual([b]);
  });

  it("slugs: a taken explicit slug is a 409, a taken derived slug gets a suffix", async () => {
    const org = await createOrg();
    await createProject(org.id, "Payments", "payments");
    expectRefusal(
      await call("POST", "/api/v1/projects", { body: { name: "Other", organizationId: org.id, slug: "payments" } }),
      409,
      "slug_taken",
    );
    const derived = await createProject(org.id, "Payments");
    expect(derived.slug).toMatch(/^payments-[0-9a-f]{6}$/);
    // Slugs are per organization.
    expect((await createProject((await createOrg()).id, "Payments", "payments")).slug).toBe("payments");
  });

  it("validates the body and the organization", async () => {
    const org = await createOrg();
    expectRefusal(await call("POST", "/api/v1/projects", { body: { organizationId: org.id } }), 422, "invalid_request");
    expectRefusal(
      await call("POST", "/api/v1/projects", { body: { name: "x", organizationId: org.id, slug: "Not A Slug" } }),
      422,
      "invalid_request",
    );
    expectRefusal(await call("POST", "/api/v1/projects", { body: { name: "x" } }), 422, "invalid_request");
    expectRefusal(
      await call("POST", "/api/v1/projects", { body: { name: "x", organizationId: crypto.randomUUID() } }),
      404,
      "organization_not_found",
    );
    expectRefusal(await call("GET", "/api/v1/projects"), 422, "invalid_request");
    // Listing an organization that does not exist is a 404, as for its identities, not an empty list.
    for (const unknown of [crypto.randomUUID(), "garbage"]) {
      expectRefusal(await call("GET", `/api/v1/projects?organizationId=${unknown}`), 404, "organization_not_found");
    }
    expect((await ok("GET", `/api/v1/projects?organizationId=${org.id}`)).projects).toEqual([]); // exists, empty
  });

  it("takes organization ids in any letter case, in the query and the body, as Infisical does", async () => {
    const org = await createOrg();
    const upper = org.id.toUpperCase();
    const project = (await ok("POST", "/api/v1/projects", { body: { name: "shouted", organizationId: upper } })).project;
    expect(project.orgId).toBe(org.id);
    expect((await ok("GET", `/api/v1/projects?organizationId=${upper}`)).projects.map((p: { id: string }) => p.id)).toEqual([
      project.id,
    ]);
    const identity = (await ok("POST", "/api/v1/identities", { body: { name: "i", organizationId: upper } })).identity;
    expect(identity.orgId).toBe(org.id);
    expect((await ok("GET", `/api/v1/identities?orgId=${upper}`)).identities).toHaveLength(1);
    const audit = await ok("GET", `/api/v1/audit-logs?organizationId=${upper}&identityId=${identity.id.toUpperCase()}`);
    expect(audit.auditLogs.map((e: { event: string }) => e.event)).toContain("identity.create");
  });

  it("requires credentials", async () => {
    expectRefusal(await call("GET", "/api/v1/projects?organizationId=x", { token: null }), 401, "credentials_missing");
    expectRefusal(await call("GET", "/api/v1/projects?organizationId=x", { token: "wrong-key" }), 401, "credentials_invalid");
  });
});

describe("identity memberships", () => {
  it("POST, GET, PATCH, list and DELETE with { roles: [{ role }] }", async () => {
    const org = await createOrg();
    const project = await createProject(org.id);
    const deployer = await createIdentity(org.id, "no-access", "deployer");
    const reader = await createIdentity(org.id, "no-access", "reader");

    const created = (await ok("POST", memberPath(project.id, deployer.id), { body: { roles: [{ role: "member" }] } }))
      .identityMembership;
    expect(created).toEqual({
      id: expect.any(String),
      identityId: deployer.id,
      projectId: project.id,
      roles: [permanent("member")],
      identity: { id: deployer.id, name: "deployer", authMethods: [] },
      project: { id: project.id, name: project.name },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await ok("GET", memberPath(project.id, deployer.id))).identityMembership).toEqual(created);

    const patched = (
      await ok("PATCH", memberPath(project.id, deployer.id), { body: { roles: [{ role: "admin" }, { role: "viewer" }] } })
    ).identityMembership;
    expect(patched).toMatchObject({ id: created.id });
    expect(patched.roles).toEqual([permanent("admin"), permanent("viewer")]);

    await ok("POST", memberPath(project.id, reader.id), { body: { roles: [{ role: "viewer" }] } });
    const list = (await ok("GET", `/api/v1/projects/${project.id}/memberships/identities`)).identityMemberships;
    expect(list.map((m: { identityId: string; roles: { role: string }[] }) => [m.identityId, slugs(m.roles)])).toEqual([
      [deployer.id, ["admin", "viewer"]],
      [reader.id, ["viewer"]],
    ]);

    expect((await ok("DELETE", memberPath(project.id, deployer.id))).identityMembership).toMatchObject({ id: created.id });
    expectRefusal(await call("GET", memberPath(project.id, deployer.id)), 404, "membership_not_found");
    expectRefusal(await call("DELETE", memberPath(project.id, deployer.id)), 404, "membership_not_found");
    expectRefusal(await call("PATCH", memberPath(project.id, deployer.id), { body: { role: "viewer" } }), 404, "membership_not_found");
    const after = (await ok("GET", `/api/v1/projects/${project.id}/memberships/identities`)).identityMemberships;
    expect(after.map((m: { identityId: string }) => m.identityId)).toEqual([reader.id]);
  });

  it("accepts the older { role } body on POST and PATCH", async () => {
    const org = await createOrg();
    const project = await createProject(org.id);
    const identity = await createIdentity(org.id);
    expect((await ok("POST", memberPath(project.id, identity.id), { body: { role: "viewer" } })).identityMembership.roles).toEqual([
      permanent("viewer"),
    ]);
    expect((await ok("PATCH", memberPath(project.id, identity.id), { body: { role: "admin" } })).identityMembership.roles).toEqual([
      permanent("admin"),
    ]);
  });

  it("a second POST is refused (use PATCH); duplicate roles collapse", async () => {
    const org = await createOrg();
    const project = await createProject(org.id);
    const identity = await createIdentity(org.id);
    const m = await ok("POST", memberPath(project.id, identity.id), { body: { roles: [{ role: "viewer" }, { role: "viewer" }] } });
    expect(m.identityMembership.roles).toEqual([permanent("viewer")]);
    expectRefusal(await call("POST", memberPath(project.id, identity.id), { body: { role: "admin" } }), 400, "membership_exists");
  });

  it.each([
    ["an unknown role", { roles: [{ role: "owner" }] }],
    ["an organization-only role name", { role: "superadmin" }],
    ["no roles", { roles: [] }],
    ["roles as strings", { roles: ["admin"] }],
    ["an empty body", {}],
  ])("refuses %s with 422", async (_name, body) => {
    const org = await createOrg();
    const project = await createProject(org.id);
    const identity = await createIdentity(org.id);
    expectRefusal(await call("POST", memberPath(project.id, identity.id), { body }), 422, "invalid_request");
    expectRefusal(await call("GET", memberPath(project.id, identity.id)), 404, "membership_not_found");
  });

  it("accepts every built-in project role", async () => {
    const org = await createOrg();
    const project = await createProject(org.id);
    for (const role of ["admin", "member", "viewer", "no-access"]) {
      const identity = await createIdentity(org.id, "no-access", `id-${role}`);
      expect(
        (await ok("POST", memberPath(project.id, identity.id), { body: { roles: [{ role }] } })).identityMembership.roles,
      ).toEqual([permanent(role)]);
    }
  });

  it("refuses an identity from another organization", async () => {
    const org = await createOrg();
    const project = await createProject(org.id);
    const stranger = await createIdentity((await createOrg()).id);
    expectRefusal(
      await call("POST", memberPath(project.id, stranger.id), { body: { roles: [{ role: "viewer" }] } }),
      422,
      "identity_not_in_organization",
    );
    expectRefusal(
      await call("PATCH", memberPath(project.id, stranger.id), { body: { role: "viewer" } }),
      422,
      "identity_not_in_organization",
    );
    expect((await ok("GET", `/api/v1/projects/${project.id}/memberships/identities`)).identityMemberships).toEqual([]);
  });

  it("404s for an unknown project or identity", async () => {
    const org = await createOrg();
    const project = await createProject(org.id);
    const identity = await createIdentity(org.id);
    expectRefusal(
      await call("POST", memberPath(crypto.randomUUID(), identity.id), { body: { role: "viewer" } }),
      404,
      "project_not_found",
    );
    expectRefusal(
      await call("POST", memberPath(project.id, crypto.randomUUID()), { body: { role: "viewer" } }),
      404,
      "identity_not_found",
    );
    expectRefusal(await call("GET", `/api/v1/projects/${crypto.randomUUID()}/memberships/identities`), 404, "project_not_found");
    // An unknown identity is the same refusal whatever the method; a known one that is not a member is not.
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const body = method === "PATCH" ? { body: { role: "viewer" } } : {};
      expectRefusal(await call(method, memberPath(project.id, crypto.randomUUID()), body), 404, "identity_not_found");
      expectRefusal(await call(method, memberPath(project.id, identity.id), body), 404, "membership_not_found");
    }
  });

  it("deleting the project or the identity removes the memberships", async () => {
    const org = await createOrg();
    const p1 = await createProject(org.id, "one");
    const p2 = await createProject(org.id, "two");
    const identity = await createIdentity(org.id);
    const gone = await createIdentity(org.id, "no-access", "gone");
    await ok("POST", memberPath(p1.id, identity.id), { body: { role: "viewer" } });
    await ok("POST", memberPath(p2.id, identity.id), { body: { role: "viewer" } });
    await ok("POST", memberPath(p2.id, gone.id), { body: { role: "viewer" } });
    await ok("DELETE", `/api/v1/projects/${p1.id}`);
    await ok("DELETE", `/api/v1/identities/${gone.id}`);
    const list = (await ok("GET", `/api/v1/projects/${p2.id}/memberships/identities`)).identityMemberships;
    expect(list.map((m: { identityId: string }) => m.identityId)).toEqual([identity.id]);
  });
});
