// The admin API as Infisical's Terraform provider (Infisical/terraform-provider-infisical, internal/client)
// and scripts written against Infisical's API reference drive it. Request bodies here are shaped exactly as
// the provider's Go structs marshal them (field order, `omitempty`, the `identityId` it puts in bodies, the
// body it sends with DELETE), and every resource goes through the provider's round trip: create, read,
// update with the read body sent back, delete. docs: README "Compatibility with Infisical".
import { describe, expect, it } from "vitest";
import { call, createOrg, login, ok } from "../support/api";
import { createIdp, gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { AUDIENCE, expectIssued, GITLAB_SUBJECT, scenario } from "../support/scenario";

const IDENTITIES = "/api/v1/identities";
const oidcPath = (identityId: string) => `/api/v1/auth/oidc-auth/identities/${identityId}`;

/** The provider's CreateIdentityRequest: `metadata` is omitted when empty, `hasDeleteProtection` always sent. */
const providerCreateIdentity = (orgId: string, name: string, role: string) =>
  JSON.stringify({ name, hasDeleteProtection: false, organizationId: orgId, role });

/** The provider's UpdateIdentityRequest: the id in the body too, `metadata: []` (no omitempty). */
const providerUpdateIdentity = (identityId: string, name: string, role: string) =>
  JSON.stringify({ identityId, name, hasDeleteProtection: false, role, metadata: [] });

/** The provider's CreateIdentityOidcAuthRequest / UpdateIdentityOidcAuthRequest (the same fields). */
function providerOidcBody(identityId: string, issuer: string, trustedIps: string[], ttl: number, maxTtl: number) {
  return JSON.stringify({
    identityId,
    oidcDiscoveryUrl: issuer,
    caCert: "",
    boundIssuer: issuer,
    boundAudiences: AUDIENCE,
    boundClaims: { namespace_id: "72" },
    claimMetadataMapping: {},
    boundSubject: GITLAB_SUBJECT,
    accessTokenTrustedIps: trustedIps.map((ipAddress) => ({ ipAddress })),
    accessTokenTTL: ttl,
    accessTokenMaxTTL: maxTtl,
    // accessTokenNumUsesLimit: 0 is left out by `omitempty`
  });
}

/** What the provider's state holds for trusted IPs read back: `ipAddress + "/" + prefix`, or the address alone. */
const providerState = (ips: { ipAddress: string; prefix?: number }[]) =>
  ips.map((i) => (i.prefix === undefined ? i.ipAddress : `${i.ipAddress}/${i.prefix}`));

const ignoredKeysOf = (body: { warnings?: { code: string; keys?: string[] }[] }) =>
  body.warnings?.find((w) => w.code === "unknown_keys_ignored")?.keys ?? [];

describe("machine identity, as the provider manages it", () => {
  it("create, read (the org membership), update with the read body sent back, list, delete with a body", async () => {
    const org = await createOrg();
    // Create: hasDeleteProtection is not ours; it is ignored and said, the identity is created.
    const created = await ok("POST", IDENTITIES, { body: providerCreateIdentity(org.id, "tf-deployer", "member") });
    expect(created.identity).toMatchObject({ name: "tf-deployer", role: "member", authMethods: [] });
    expect(ignoredKeysOf(created)).toEqual(["hasDeleteProtection"]);
    const id = created.identity.id as string;

    // Read: Infisical's GetIdentityResponse, `{ identity: OrgIdentity }` with the identity nested.
    const read = (await ok("GET", `${IDENTITIES}/${id}`)).identity;
    expect(read).toMatchObject({
      id,
      identityId: id,
      orgId: org.id,
      role: "member",
      roleId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      identity: { id, name: "tf-deployer", authMethods: [] },
    });
    expect(read.customRole).toBeUndefined(); // the provider reads role from customRole.slug only when present

    // Update as the provider sends it.
    const updated = await ok("PATCH", `${IDENTITIES}/${id}`, { body: providerUpdateIdentity(id, "tf-renamed", "admin") });
    expect(updated.identity).toMatchObject({ id, name: "tf-renamed", role: "admin" });
    expect(ignoredKeysOf(updated).sort()).toEqual(["hasDeleteProtection", "identityId", "metadata"]);

    // Update with the read body sent back whole: nothing changes, the response-only fields are named.
    const reread = (await ok("GET", `${IDENTITIES}/${id}`)).identity;
    const roundTrip = await ok("PATCH", `${IDENTITIES}/${id}`, { body: reread });
    expect(roundTrip.identity).toMatchObject({ id, name: "tf-renamed", role: "admin" });
    expect(ignoredKeysOf(roundTrip).sort()).toEqual(
      ["authMethods", "createdAt", "id", "identity", "identityId", "orgId", "roleId", "updatedAt"].sort(),
    );
    expect((await ok("GET", `${IDENTITIES}/${id}`)).identity).toMatchObject({ role: "admin", identity: { name: "tf-renamed" } });

    // List, by Infisical's query name and by ours: the same memberships and a totalCount.
    const byOrgId = await ok("GET", `${IDENTITIES}?orgId=${org.id}`);
    expect(byOrgId).toEqual({ identities: [expect.objectContaining({ id, identityId: id, orgId: org.id })], totalCount: 1 });
    expect(byOrgId.identities[0].identity).toEqual({ id, name: "tf-renamed", authMethods: [] });
    expect(await ok("GET", `${IDENTITIES}?organizationId=${org.id}`)).toEqual(byOrgId);
    expectRefusal(await call("GET", `${IDENTITIES}?orgId=${org.id}&organizationId=${crypto.randomUUID()}`), 422, "invalid_request");

    // Delete: the provider sends its DeleteIdentityRequest as a body; the answer is the identity.
    const deleted = await ok("DELETE", `${IDENTITIES}/${id}`, { body: JSON.stringify({ identityId: id }) });
    expect(deleted.identity).toMatchObject({ id, name: "tf-renamed" });
    expectRefusal(await call("GET", `${IDENTITIES}/${id}`), 404, "identity_not_found"); // the provider's "gone"
  });

  it("answers creates and updates without `warnings` when nothing was ignored (Infisical's shape)", async () => {
    const org = await createOrg();
    const created = await ok("POST", IDENTITIES, { body: { name: "plain", organizationId: org.id } });
    expect(Object.keys(created)).toEqual(["identity"]);
    expect(Object.keys(await ok("PATCH", `${IDENTITIES}/${created.identity.id}`, { body: { role: "member" } }))).toEqual(["identity"]);
  });
});

describe("OIDC Auth, as the provider manages it", () => {
  it("create with identityId in the body, read, update with the read body sent back, update, delete with a body", async () => {
    const idp = createIdp();
    const org = await createOrg();
    const id = (await ok("POST", IDENTITIES, { body: { name: "tf-oidc", organizationId: org.id, role: "member" } })).identity.id;
    const ips = ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "198.51.100.7/32"];

    const created = await ok("POST", oidcPath(id), { body: providerOidcBody(id, idp.issuer, ips, 3600, 7200) });
    expect(ignoredKeysOf(created)).toEqual(["identityId"]);
    expect(created.identityOidcAuth).toMatchObject({
      id: expect.any(String),
      identityId: id,
      oidcDiscoveryUrl: idp.issuer,
      boundIssuer: idp.issuer,
      boundSubject: GITLAB_SUBJECT,
      boundAudiences: AUDIENCE,
      boundClaims: { namespace_id: "72" },
      claimMetadataMapping: {},
      caCert: "",
      accessTokenTTL: 3600,
      accessTokenMaxTTL: 7200,
      accessTokenNumUsesLimit: 0,
      accessTokenTrustedIps: [
        { ipAddress: "10.0.0.0", type: "ipv4", prefix: 8 },
        { ipAddress: "203.0.113.7", type: "ipv4" }, // a single address has no prefix, as in Infisical
        { ipAddress: "2001:db8::", type: "ipv6", prefix: 32 },
        { ipAddress: "198.51.100.7", type: "ipv4", prefix: 32 },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    // No drift: what the provider rebuilds from the answer is what its plan sent.
    expect(providerState(created.identityOidcAuth.accessTokenTrustedIps)).toEqual(ips);

    const read = await ok("GET", oidcPath(id));
    expect(read.identityOidcAuth).toEqual(created.identityOidcAuth);
    expect(ignoredKeysOf(read)).toEqual([]);

    // The read body sent back whole (response-only fields, trusted IPs in the answer shape): nothing changes.
    const roundTrip = await ok("PATCH", oidcPath(id), { body: read.identityOidcAuth });
    expect(ignoredKeysOf(roundTrip).sort()).toEqual(["createdAt", "id", "identityId", "updatedAt"]);
    const { updatedAt: _a, ...before } = created.identityOidcAuth;
    const { updatedAt: _b, ...after } = roundTrip.identityOidcAuth;
    expect(after).toEqual(before);

    // Its tokens work from inside a trusted range and from the single trusted address, and nowhere else.
    const token = expectIssued(await login(id, await idp.mint(gitlabClaims())));
    const use = (ip: string) => call("GET", "/api/v1/identities/details", { token, ip });
    for (const ip of ["10.1.2.3", "203.0.113.7"]) expect((await use(ip)).status).toBe(200);
    expectRefusal(await use("203.0.113.8"), 403, "ip_not_trusted");

    // An update as the provider sends it (the whole plan again, identityId included).
    const updated = await ok("PATCH", oidcPath(id), { body: providerOidcBody(id, idp.issuer, ["192.0.2.0/24"], 600, 7200) });
    expect(ignoredKeysOf(updated)).toEqual(["identityId"]);
    expect(updated.identityOidcAuth).toMatchObject({
      accessTokenTTL: 600,
      accessTokenTrustedIps: [{ ipAddress: "192.0.2.0", type: "ipv4", prefix: 24 }],
    });

    // Delete: RevokeIdentityOidcAuthRequest carries the id as a body.
    const revoked = await ok("DELETE", oidcPath(id), { body: JSON.stringify({ identityId: id }) });
    expect(revoked.identityOidcAuth).toMatchObject({ identityId: id });
    expectRefusal(await call("GET", oidcPath(id)), 404, "oidc_auth_not_configured");
  });

  it("defaults omitted fields as Infisical does (TTLs, trusted IPs) when the provider leaves them out", async () => {
    const idp = createIdp();
    const org = await createOrg();
    const id = (await ok("POST", IDENTITIES, { body: { name: "tf-defaults", organizationId: org.id } })).identity.id;
    const body = JSON.parse(providerOidcBody(id, idp.issuer, [], 0, 0)) as Record<string, unknown>;
    for (const omitted of ["accessTokenTrustedIps", "accessTokenTTL", "accessTokenMaxTTL"]) delete body[omitted];
    const created = (await ok("POST", oidcPath(id), { body })).identityOidcAuth;
    expect(created).toMatchObject({
      accessTokenTTL: 2592000,
      accessTokenMaxTTL: 2592000,
      accessTokenTrustedIps: [
        { ipAddress: "0.0.0.0", type: "ipv4", prefix: 0 },
        { ipAddress: "::", type: "ipv6", prefix: 0 },
      ],
    });
  });
});

describe("the provider signed in as a machine identity (it supports no other authentication for these resources)", () => {
  it("an org admin identity's token creates, reads, updates and deletes in its organization", async () => {
    const admin = await scenario({}, { role: "admin" });
    const token = await admin.login();
    const as = { token };
    const orgId = admin.org.id;
    const created = await ok("POST", IDENTITIES, { ...as, body: providerCreateIdentity(orgId, "tf-by-identity", "no-access") });
    const id = created.identity.id as string;
    const idp = createIdp();
    const oidc = await ok("POST", oidcPath(id), { ...as, body: providerOidcBody(id, idp.issuer, ["0.0.0.0/0", "::/0"], 3600, 3600) });
    expect(providerState(oidc.identityOidcAuth.accessTokenTrustedIps)).toEqual(["0.0.0.0/0", "::/0"]);
    expect((await ok("GET", `${IDENTITIES}/${id}`, as)).identity).toMatchObject({ orgId, identity: { authMethods: ["oidc-auth"] } });
    expect((await ok("GET", `${IDENTITIES}?orgId=${orgId}`, as)).totalCount).toBe(2);
    await ok("PATCH", oidcPath(id), { ...as, body: (await ok("GET", oidcPath(id), as)).identityOidcAuth });
    await ok("DELETE", oidcPath(id), { ...as, body: JSON.stringify({ identityId: id }) });
    await ok("DELETE", `${IDENTITIES}/${id}`, { ...as, body: JSON.stringify({ identityId: id }) });
  });
});

describe("unknown members: ignored and said; everything else as strict as before", () => {
  async function identityWithOidc() {
    const org = await createOrg();
    const id = (await ok("POST", IDENTITIES, { body: { name: "strict", organizationId: org.id } })).identity.id as string;
    const issuer = "https://gitlab.example.com";
    await ok("POST", oidcPath(id), { body: { oidcDiscoveryUrl: issuer, boundIssuer: issuer, boundSubject: GITLAB_SUBJECT } });
    return id;
  }

  it("names nested unknown members by path, never claim names (data) and never values", async () => {
    const id = await identityWithOidc();
    const res = await ok("PATCH", oidcPath(id), {
      body: {
        boundClaims: { "custom.claim": "VALUE-MARKER", namespace_id: "72" },
        accessTokenTrustedIps: [{ ipAddress: "192.0.2.0/24", description: "VALUE-MARKER" }],
        boundSubjectt: "VALUE-MARKER",
      },
    });
    expect(res.warnings).toContainEqual({
      code: "unknown_keys_ignored",
      field: "accessTokenTrustedIps.0.description,boundSubjectt",
      keys: ["accessTokenTrustedIps.0.description", "boundSubjectt"],
      message: expect.stringContaining("boundSubjectt"),
    });
    expect(JSON.stringify(res.warnings)).not.toContain("VALUE-MARKER");
    expect(res.identityOidcAuth.boundClaims).toEqual({ "custom.claim": "VALUE-MARKER", namespace_id: "72" });
  });

  it("lists at most 20 ignored members, saying how many more", async () => {
    const org = await createOrg();
    const body: Record<string, unknown> = { name: "many", organizationId: org.id };
    for (let i = 0; i < 25; i++) body[`extra${i}`] = i;
    const res = await ok("POST", IDENTITIES, { body });
    const warning = res.warnings.find((w: { code: string }) => w.code === "unknown_keys_ignored");
    expect(warning.keys).toHaveLength(20);
    expect(warning.message).toMatch(/and 5 more\.$/);
  });

  it("still refuses a member named twice, a wrong type and a missing field (415s: admin.test.ts)", async () => {
    const id = await identityWithOidc();
    expectRefusal(
      await call("PATCH", oidcPath(id), { body: '{"accessTokenTTL":60,"accessTokenTTL":3600,"x":1}' }),
      422,
      "invalid_request",
    );
    expectRefusal(await call("PATCH", oidcPath(id), { body: { accessTokenTTL: "an hour", x: 1 } }), 422, "invalid_oidc_config");
    expectRefusal(await call("PATCH", `${IDENTITIES}/${id}`, { body: { roles: "admin" } }), 422, "invalid_request"); // name or role
    expectRefusal(await call("PATCH", `${IDENTITIES}/${id}`, { body: { role: 1, x: 1 } }), 422, "invalid_request");
  });

  it("ignores unknown members on the organization and project bodies too", async () => {
    const org = await ok("POST", "/api/v1/organizations", { body: { name: "Extra Org", description: "ignored" } });
    expect(ignoredKeysOf(org)).toEqual(["description"]);
    const project = await ok("POST", "/api/v1/projects", { body: { name: "web", organizationId: org.organization.id, note: "x" } });
    expect(ignoredKeysOf(project)).toEqual(["note"]);
  });

  it("ignores unknown members of the login body silently: the answer is Infisical's token shape exactly", async () => {
    const idp = createIdp();
    const org = await createOrg();
    const id = (await ok("POST", IDENTITIES, { body: { name: "login", organizationId: org.id } })).identity.id;
    await ok("POST", oidcPath(id), {
      body: { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundSubject: GITLAB_SUBJECT, boundAudiences: AUDIENCE },
    });
    const jwt = await idp.mint(gitlabClaims());
    expectIssued(
      await call("POST", "/api/v1/auth/oidc-auth/login", { token: null, body: { identityId: id, jwt, clientVersion: "1" } }),
    );
  });
});

describe("divergences we keep (README, Compatibility with Infisical)", () => {
  async function configured() {
    const idp = createIdp();
    const org = await createOrg();
    const id = (await ok("POST", IDENTITIES, { body: { name: "div", organizationId: org.id } })).identity.id as string;
    return { idp, id };
  }

  it("a missing OIDC Auth configuration is a 404 (Infisical: 400)", async () => {
    const { idp, id } = await configured();
    expectRefusal(await login(id, await idp.mint(gitlabClaims())), 404, "oidc_auth_not_configured");
    expectRefusal(await call("GET", oidcPath(id)), 404, "oidc_auth_not_configured");
  });

  it("a subject mismatch is a 401 like every other refused token (Infisical: 403)", async () => {
    const { idp, id } = await configured();
    await ok("POST", oidcPath(id), {
      body: { oidcDiscoveryUrl: idp.issuer, boundIssuer: idp.issuer, boundSubject: GITLAB_SUBJECT, boundAudiences: AUDIENCE },
    });
    const other = await idp.mint(gitlabClaims({ sub: "project_path:mygroup/other:ref_type:branch:ref:main" }));
    expectRefusal(await login(id, other), 401, "subject_not_allowed");
  });

  it("a TTL of 0 is the deployment's ceiling, not a token that never expires", async () => {
    const { idp, id } = await configured();
    await ok("POST", oidcPath(id), {
      body: {
        oidcDiscoveryUrl: idp.issuer,
        boundIssuer: idp.issuer,
        boundSubject: GITLAB_SUBJECT,
        boundAudiences: AUDIENCE,
        accessTokenTTL: 0,
        accessTokenMaxTTL: 0,
      },
    });
    const res = await login(id, await idp.mint(gitlabClaims()));
    expectIssued(res);
    expect(res.body.expiresIn).toBeGreaterThan(0);
    expect(res.body.expiresIn).toBeLessThanOrEqual(2592000); // TOKEN_MAX_LIFETIME_SECONDS, the default ceiling
  });
});
