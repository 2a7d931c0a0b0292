// Project memberships as Infisical's Terraform provider (internal/client/project_identity.go) and API
// scripts drive them: its older /api/v2/workspace paths next to ours, its request bodies exactly as it
// builds them (Go's zero values included), its response envelopes, and temporary roles that end at their
// end time for every reader: the membership reads, the console, token details and the RPC AuthService.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, ok } from "../support/api";
import { advanceClock, nowMs } from "../support/clock";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";
import { expectOk, useToken, whoami } from "../support/tokens";
import { permanent } from "../support/memberships";

const HOUR = 3_600_000;

const PATHS = {
  v2: {
    member: (p: string, i: string) => `/api/v2/workspace/${p}/identity-memberships/${i}`,
    members: (p: string) => `/api/v2/workspace/${p}/identity-memberships`,
  },
  v1: {
    member: (p: string, i: string) => `/api/v1/projects/${p}/memberships/identities/${i}`,
    members: (p: string) => `/api/v1/projects/${p}/memberships/identities`,
  },
};

/** What Go's time.Time marshals `time.Now().UTC()` to: RFC 3339 with nanoseconds. */
const goTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1456789Z");

/** A role as the provider's BuildIdentityRequestRoles sends it: every field, "" where unset. */
const providerRole = (role: string, temporary?: { range: string; startMs: number }) => ({
  role,
  isTemporary: temporary !== undefined,
  temporaryMode: temporary ? "relative" : "",
  temporaryRange: temporary?.range ?? "",
  temporaryAccessStartTime: goTime(temporary?.startMs ?? nowMs()),
});

const temporary = (role: string, range: string, startMs: number, endMs: number) => ({
  ...permanent(role),
  isTemporary: true,
  temporaryMode: "relative",
  temporaryRange: range,
  temporaryAccessStartTime: new Date(startMs).toISOString(),
  temporaryAccessEndTime: new Date(endMs).toISOString(),
});

async function projectIn(orgId: string, name = "payments") {
  return (await ok("POST", "/api/v1/projects", { body: { name, organizationId: orgId } })).project as { id: string; name: string };
}

describe.each(["v2", "v1"] as const)("the provider's round trip at the %s path", (version) => {
  const { member, members } = PATHS[version];

  it("create, read, update with the read body sent back, list, delete", async () => {
    const s = await scenario();
    const project = await projectIn(s.org.id);
    const path = member(project.id, s.identity.id);
    const ids = { projectId: project.id, identityId: s.identity.id };

    // Create: the provider sends projectId and identityId in the body too, and reads id and identityId.
    const created = expectOk(await call("POST", path, { body: { ...ids, roles: [providerRole("member")] } })).identityMembership;
    expect(created).toMatchObject({ id: expect.any(String), identityId: s.identity.id, projectId: project.id });

    // Read: what the provider keeps in its state.
    const read = expectOk(await call("GET", path)).identityMembership;
    expect(read).toEqual({
      id: created.id,
      identityId: s.identity.id,
      projectId: project.id,
      roles: [permanent("member")],
      identity: { id: s.identity.id, name: "ci-deployer", authMethods: ["oidc-auth"] },
      project: { id: project.id, name: project.name },
      createdAt: created.createdAt,
      updatedAt: created.updatedAt,
    });

    // Update with what was read sent back (response-only fields and nulls included), plus a temporary role.
    const startMs = Date.parse("2026-11-30T12:00:00.000Z");
    const readBack = { id: "x", customRoleId: null, temporaryAccessEndTime: null, ...providerRole("admin", { range: "7d", startMs }) };
    const sentBack = { ...read, roles: [...read.roles, readBack] };
    const updated = expectOk(await call("PATCH", path, { body: sentBack }));
    const expectedRoles = [permanent("member"), temporary("admin", "7d", startMs, startMs + 7 * 24 * HOUR)];
    expect(updated.identityMembership).toMatchObject({ id: created.id, roles: expectedRoles });
    // Infisical's PATCH answers `roles`, each naming its membership.
    expect(updated.roles).toEqual(expectedRoles.map((r) => ({ ...r, projectMembershipId: created.id })));
    const reread = expectOk(await call("GET", path)).identityMembership;
    expect(reread.roles).toEqual(updated.identityMembership.roles);

    // The same read sent back again changes nothing but the role ids and times of the write.
    const again = expectOk(await call("PATCH", path, { body: reread })).identityMembership;
    expect(again.roles).toEqual(expectedRoles);

    // The list, Infisical's envelope, with its page and search parameters.
    const other = await createIdentity(s.org.id, "no-access", "reader");
    await ok("POST", member(project.id, other.id), { body: { role: "viewer" } });
    const list = expectOk(await call("GET", members(project.id)));
    expect(list.totalCount).toBe(2);
    expect(list.identityMemberships.map((m: { identity: { name: string } }) => m.identity.name)).toEqual(["ci-deployer", "reader"]);
    expect(list.identityMemberships[0]).toEqual(expectOk(await call("GET", path)).identityMembership);
    const page = expectOk(await call("GET", `${members(project.id)}?offset=1&limit=1&orderBy=name&orderDirection=asc`));
    expect(page.totalCount).toBe(2);
    expect(page.identityMemberships.map((m: { identityId: string }) => m.identityId)).toEqual([other.id]);
    const searched = expectOk(await call("GET", `${members(project.id)}?search=READ`));
    expect([searched.totalCount, searched.identityMemberships[0]?.identityId]).toEqual([1, other.id]);
    expectRefusal(await call("GET", `${members(project.id)}?limit=0`), 422, "invalid_request");
    // Decimal digits only: Number() would read these as 16, 1000 and 1. Sent twice: no value wins.
    for (const query of ["limit=0x10", "offset=1e3", "limit=%201", "limit=1&limit=2"]) {
      expectRefusal(await call("GET", `${members(project.id)}?${query}`), 422, "invalid_request");
    }

    // Import by membership id (the provider's `terraform import`).
    const imported = expectOk(await call("GET", `/api/v2/workspace/identity-memberships/${created.id}`)).identityMembership;
    expect(imported).toMatchObject({ id: created.id, identity: { id: s.identity.id }, project: { id: project.id } });

    // Delete: the provider sends a body with DELETE too.
    const deleted = expectOk(await call("DELETE", path, { body: ids })).identityMembership;
    expect(deleted).toMatchObject({ id: created.id, identityId: s.identity.id, projectId: project.id });
    expectRefusal(await call("GET", path), 404, "membership_not_found");
    expectRefusal(await call("GET", `/api/v2/workspace/identity-memberships/${created.id}`), 404, "membership_not_found");
    expectRefusal(await call("DELETE", path, { body: ids }), 404, "membership_not_found");
  });

  it("accepts the older { role } body, and answers the same envelope as the other path", async () => {
    const org = await createOrg();
    const project = await projectIn(org.id);
    const identity = await createIdentity(org.id, "no-access", "legacy");
    const created = expectOk(await call("POST", member(project.id, identity.id), { body: { role: "viewer" } })).identityMembership;
    expect(created.roles).toEqual([permanent("viewer")]);
    const other = version === "v1" ? PATHS.v2 : PATHS.v1;
    expect(expectOk(await call("GET", other.member(project.id, identity.id))).identityMembership).toEqual(
      expectOk(await call("GET", member(project.id, identity.id))).identityMembership,
    );
    const updated = expectOk(await call("PATCH", member(project.id, identity.id), { body: { role: "admin" } }));
    expect(updated.identityMembership.roles).toEqual([permanent("admin")]);
  });
});

describe("what a membership body may hold", () => {
  async function member() {
    const org = await createOrg();
    const project = await projectIn(org.id);
    const identity = await createIdentity(org.id);
    return PATHS.v2.member(project.id, identity.id);
  }

  it.each([
    ["an unknown role", { roles: [{ role: "owner" }] }],
    ["an unknown temporary role", { roles: [{ role: "owner", isTemporary: true, temporaryRange: "1h" }] }],
    ["another temporary mode", { roles: [{ role: "admin", isTemporary: true, temporaryMode: "absolute", temporaryRange: "1h" }] }],
    [
      "a start that is no date",
      { roles: [{ role: "admin", isTemporary: true, temporaryRange: "1h", temporaryAccessStartTime: "soon" }] },
    ],
    [
      "a start without a zone",
      { roles: [{ role: "admin", isTemporary: true, temporaryRange: "1h", temporaryAccessStartTime: "2026-12-01T00:00:00" }] },
    ],
    ["isTemporary as a string", { roles: [{ role: "admin", isTemporary: "true", temporaryRange: "1h" }] }],
    ["no roles", { roles: [] }],
    ...[
      ["a day the month does not have", "2026-02-30T00:00:00Z"],
      ["an hour out of range", "2026-12-01T24:30:00Z"],
      ["the year 0", "0000-01-01T00:00:00Z"],
      ["a year before 1970", "1969-12-31T23:59:59Z"],
    ].map(([name, start]): [string, object] => [
      `a start on ${name}`,
      { roles: [{ role: "admin", isTemporary: true, temporaryRange: "1h", temporaryAccessStartTime: start }] },
    ]),
    // The older { role } form has no window: asking it for a temporary role must not grant a permanent one.
    ["the older { role } form asked for a temporary role", { role: "viewer", isTemporary: true, temporaryRange: "1h" }],
  ])("%s is a 422 invalid_request, and nothing is written", async (_name, body) => {
    const path = await member();
    expectRefusal(await call("POST", path, { body }), 422, "invalid_request");
    expectRefusal(await call("GET", path), 404, "membership_not_found");
  });

  it.each([
    ["missing", {}],
    ["empty (as the provider sends it for a permanent role)", { temporaryRange: "" }],
    ["not a duration", { temporaryRange: "forever" }],
    ["negative", { temporaryRange: "-1h" }],
    ["zero", { temporaryRange: "0d" }],
    ["two units", { temporaryRange: "1h30m" }],
    ["over ten years", { temporaryRange: "11y" }],
  ])("a temporary role's range %s is a 422 temporary_range_invalid, and nothing is written", async (_name, range) => {
    const path = await member();
    const body = { roles: [{ role: "viewer" }, { role: "admin", isTemporary: true, temporaryMode: "relative", ...range }] };
    const res = await call("POST", path, { body });
    expectRefusal(res, 422, "temporary_range_invalid");
    expect(res.body.details).toEqual([{ field: "roles.1.temporaryRange", message: expect.any(String) }]);
    expectRefusal(await call("GET", path), 404, "membership_not_found");
  });

  it("a temporary role that would end after the year 9999 is a 422 temporary_range_invalid", async () => {
    const path = await member();
    const body = {
      roles: [{ role: "admin", isTemporary: true, temporaryRange: "10y", temporaryAccessStartTime: "9999-12-31T23:59:59Z" }],
    };
    const res = await call("POST", path, { body });
    expectRefusal(res, 422, "temporary_range_invalid");
    expect(res.body.details).toEqual([{ field: "roles.0.temporaryAccessStartTime", message: expect.any(String) }]);
    expectRefusal(await call("GET", path), 404, "membership_not_found");
  });

  it("a permanent role ignores the temporary fields, whatever they hold", async () => {
    const path = await member();
    const body = {
      roles: [
        {
          role: "viewer",
          isTemporary: false,
          temporaryMode: "nonsense",
          temporaryRange: "forever",
          temporaryAccessStartTime: "0001-01-01T00:00:00Z",
        },
      ],
    };
    expect(expectOk(await call("POST", path, { body })).identityMembership.roles).toEqual([permanent("viewer")]);
  });

  it("reads temporaryRange as Infisical does (the ms package's grammar), and starts now when no start is given", async () => {
    const path = await member();
    const before = nowMs();
    const body = {
      roles: [
        { role: "admin", isTemporary: true, temporaryRange: "90 minutes" },
        {
          role: "member",
          isTemporary: true,
          temporaryMode: "relative",
          temporaryRange: "1.5d",
          temporaryAccessStartTime: "2026-12-01T10:00:00+02:00",
        },
      ],
    };
    const [admin, memberRole] = expectOk(await call("POST", path, { body })).identityMembership.roles;
    const start = Date.parse(admin.temporaryAccessStartTime);
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(nowMs());
    expect(Date.parse(admin.temporaryAccessEndTime) - start).toBe(1.5 * HOUR);
    expect(admin).toMatchObject({ temporaryMode: "relative", temporaryRange: "90 minutes" });
    expect(memberRole).toMatchObject({
      temporaryAccessStartTime: "2026-12-01T08:00:00.000Z",
      temporaryAccessEndTime: "2026-12-02T20:00:00.000Z",
    });
  });
});

const ORIGIN = "https://console.example";
const fetchConsole = (url: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`${ORIGIN}${url}`, { redirect: "manual", ...init }));

/** Signs in to the console with the admin key (after any clock move: a session idles out in 30 minutes). */
async function consoleSession() {
  const signInPage = await fetchConsole("/admin/sign-in");
  const pre = signInPage.headers.getSetCookie()[0]!.split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await signInPage.text())![1]!;
  const signedIn = await fetchConsole("/admin/sign-in", {
    method: "POST",
    headers: { cookie: pre, "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
    body: new URLSearchParams({ _csrf: csrf, credential: env.ADMIN_API_KEY!, next: "/admin/orgs" }),
  });
  expect(signedIn.status).toBe(303);
  const cookie = signedIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .filter((c) => c.startsWith("__Host-eoa_console="))
    .pop()!;
  return {
    async page(path: string): Promise<string> {
      const res = await fetchConsole(path, { headers: { cookie } });
      expect(res.status).toBe(200);
      return res.text();
    },
    /** Submits a form of `page` (its CSRF token) to `action`. */
    async submit(page: string, action: string, fields: Record<string, string>): Promise<Response> {
      const token = /name="_csrf" value="([^"]+)"/.exec(await this.page(page))![1]!;
      return fetchConsole(action, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
        body: new URLSearchParams({ _csrf: token, ...fields }),
      });
    },
  };
}

const consolePage = async (path: string) => (await consoleSession()).page(path);

/** The console's rendering of each role of the membership row of `identityId`: "role:state". */
function consoleRoles(html: string, identityId: string): string[] {
  const row = new RegExp(`<tr data-identity-id="${identityId}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? "";
  return [...row.matchAll(/data-role="([\w-]+)" data-role-state="(\w+)"/g)].map((m) => `${m[1]}:${m[2]}`);
}

describe("a temporary role ends at its end time, for every reader", () => {
  it("in force until then for HTTP reads, the console and RPC; then gone from all, the permanent role untouched", async () => {
    const s = await scenario();
    // Logged in first: the identity's Durable Object holds its policy from before the grant and after it,
    // and nothing but the clock changes when the role ends.
    const token = await s.login();
    const project = await projectIn(s.org.id);
    const path = PATHS.v2.member(project.id, s.identity.id);
    const startMs = nowMs();
    const body = {
      projectId: project.id,
      identityId: s.identity.id,
      roles: [providerRole("viewer"), providerRole("admin", { range: "1h", startMs })],
    };
    await ok("POST", path, { body });

    const grantedStart = Math.floor(startMs); // Go's nanoseconds are cut to the millisecond
    const read = expectOk(await call("GET", path)).identityMembership;
    expect(read.roles).toEqual([permanent("viewer"), temporary("admin", "1h", grantedStart, grantedStart + HOUR)]);

    // In force: token details, RPC, the console.
    const detailsRoles = async () =>
      expectOk(await useToken(token)).identityDetails.projectMemberships.find((m: { projectId: string }) => m.projectId === project.id)
        ?.roles;
    expect(await detailsRoles()).toEqual([{ role: "viewer" }, { role: "admin" }]);
    expect(expectOk(await whoami(token, { projectId: project.id })).projectRoles).toEqual(["viewer", "admin"]);
    expect(consoleRoles(await consolePage(`/admin/projects/${project.id}`), s.identity.id)).toEqual([
      "viewer:permanent",
      "admin:temporary",
    ]);
    expect(await consolePage(`/admin/identities/${s.identity.id}`)).toContain('data-role-state="temporary"');

    // An hour later (the end is exclusive): only the permanent role, everywhere, with no admin change.
    advanceClock(3600);
    expect(await detailsRoles()).toEqual([{ role: "viewer" }]);
    expect(expectOk(await whoami(token, { projectId: project.id })).projectRoles).toEqual(["viewer"]);
    expect(consoleRoles(await consolePage(`/admin/projects/${project.id}`), s.identity.id)).toEqual([
      "viewer:permanent",
      "admin:ended",
    ]);
    expect(await consolePage(`/admin/identities/${s.identity.id}`)).toContain('data-role-state="ended"');
    // The membership still shows the role, with the end time that passed.
    expect(expectOk(await call("GET", path)).identityMembership.roles).toEqual(read.roles);

    // A fresh login (a fresh policy load) sees the same.
    const now = Math.floor(nowMs() / 1000); // an ID token of the moved clock's time
    const fresh = expectOk(await s.loginWith({ iat: now, nbf: now, exp: now + 300 })).accessToken;
    expect(expectOk(await whoami(fresh, { projectId: project.id })).projectRoles).toEqual(["viewer"]);
  });

  it("a role that starts later is not in force before its start", async () => {
    const s = await scenario();
    const token = await s.login();
    const project = await projectIn(s.org.id);
    const startMs = nowMs() + 2 * HOUR;
    await ok("POST", PATHS.v1.member(project.id, s.identity.id), {
      body: {
        roles: [
          {
            role: "admin",
            isTemporary: true,
            temporaryMode: "relative",
            temporaryRange: "1h",
            temporaryAccessStartTime: goTime(startMs),
          },
        ],
      },
    });
    expect(expectOk(await whoami(token, { projectId: project.id })).projectRoles).toEqual([]);
    expect(consoleRoles(await consolePage(`/admin/projects/${project.id}`), s.identity.id)).toEqual(["admin:pending"]);
    advanceClock(2 * 3600);
    expect(expectOk(await whoami(token, { projectId: project.id })).projectRoles).toEqual(["admin"]);
    advanceClock(3600);
    expect(expectOk(await whoami(token, { projectId: project.id })).projectRoles).toEqual([]);
  });
});

describe("temporary roles in the console", () => {
  it('"Temporary for" grants a temporary role from now; a bad range is refused next to the list, nothing written', async () => {
    const org = await createOrg();
    const project = await projectIn(org.id);
    const identity = await createIdentity(org.id, "no-access", "console-granted");
    const admin = await consoleSession();
    const page = `/admin/projects/${project.id}`;

    const refused = await admin.submit(page, `${page}/memberships`, {
      identityId: identity.id,
      role: "admin",
      temporaryRange: "a while",
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("temporaryRange such as 30m, 1h or 7d");
    expectRefusal(await call("GET", PATHS.v1.member(project.id, identity.id)), 404, "membership_not_found");

    const before = nowMs();
    const added = await admin.submit(page, `${page}/memberships`, { identityId: identity.id, role: "admin", temporaryRange: "8h" });
    expect(added.status).toBe(303);
    const [role] = expectOk(await call("GET", PATHS.v1.member(project.id, identity.id))).identityMembership.roles;
    expect(role).toMatchObject({ role: "admin", isTemporary: true, temporaryMode: "relative", temporaryRange: "8h" });
    expect(Date.parse(role.temporaryAccessStartTime)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(role.temporaryAccessEndTime) - Date.parse(role.temporaryAccessStartTime)).toBe(8 * HOUR);
    expect(consoleRoles(await admin.page(page), identity.id)).toEqual(["admin:temporary"]);

    // "Change to" with the range left empty makes it a permanent role.
    const changed = await admin.submit(page, `${page}/memberships/${identity.id}`, { role: "viewer", temporaryRange: "" });
    expect(changed.status).toBe(303);
    expect(consoleRoles(await admin.page(page), identity.id)).toEqual(["viewer:permanent"]);
  });
});
