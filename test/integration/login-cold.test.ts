// A login on a cold isolate (issue 16, docs/architecture.md "The login path" and "Consistency windows"):
// the login context comes from D1 in one batch through a read replica, with the primary asked before a
// refusal; the issuer's discovery and JWKS come from KV alongside it, keyed by the token's unverified iss,
// never from the IdP. A replica that lags an admin change may admit a login; the token it issues is refused
// at its first use.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetDiscovery } from "../../src/oidc/discovery";
import { forgetKeys } from "../../src/oidc/issuer-keys";
import { identityStatement } from "../../src/storage/identities";
import { forgetAllLoginContexts, loadLoginContext } from "../../src/storage/login-context";
import { oidcAuthConfigStatement } from "../../src/storage/oidc-auth-configs";
import { organizationOfIdentityStatement } from "../../src/storage/organizations";
import { heartbeatStatement, MAX_REPLICA_HEARTBEAT_AGE_MS } from "../../src/storage/replica-heartbeat";
import { runMaintenance } from "../../src/maintenance";
import { nowMs } from "../../src/time/clock";
import { call, ok } from "../support/api";
import { createIdp, gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario } from "../support/scenario";
import { useToken } from "../support/tokens";

/** A new isolate: nothing of the login path in memory; KV (the colo's) and D1 are shared. */
function coldIsolate() {
  forgetAllLoginContexts();
  forgetDiscovery();
  forgetKeys();
}

/** Waits until the Worker's after-response KV write of `key` has landed. */
async function kvWritten(key: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await env.CACHE.get(key)) !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`KV key ${key} was never written`);
}

/**
 * The result sets the login context's replica batch answers, as D1 answers them now, with the replica's
 * copy of the heartbeat row written `heartbeatAgeMs` ago.
 */
async function replicaRows(identityId: string, heartbeatAgeMs = 0): Promise<D1Result[]> {
  const rows = (await env.DB.batch([
    identityStatement(env.DB, identityId),
    organizationOfIdentityStatement(env.DB, identityId),
    oidcAuthConfigStatement(env.DB, identityId),
  ])) as D1Result[];
  return [...rows, { ...rows[0]!, results: [{ at: nowMs() - heartbeatAgeMs }] }];
}

/**
 * D1 whose read replica answers `replicaAnswer` (a replica that has not caught up), while the primary is
 * the real database.
 */
function withLaggingReplica(replicaAnswer: D1Result[]): D1Database {
  const replica = { prepare: (q: string) => env.DB.prepare(q), batch: async () => replicaAnswer };
  return Object.assign(Object.create(env.DB) as D1Database, {
    prepare: (q: string) => env.DB.prepare(q),
    batch: (s: D1PreparedStatement[]) => env.DB.batch(s),
    withSession: () => replica as unknown as D1DatabaseSession,
  });
}

afterEach(() => forgetAllLoginContexts());

describe("a login on a cold isolate", () => {
  it("is admitted with the issuer's documents from KV: the IdP is not asked again", async () => {
    const s = await scenario();
    await s.login(); // another isolate logged in: KV has the issuer's discovery document and JWKS
    await kvWritten(`discovery:${s.idp.wellKnownUrl}`);
    await kvWritten(`jwks:${s.idp.jwksUrl}`);
    await s.idp.resetStats();
    coldIsolate();
    await s.login();
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it("reads the issuer's discovery and JWKS copies in one KV call, and ignores a JWKS copy filed for another URL", async () => {
    const s = await scenario();
    await s.login();
    const filed = `jwks-by-discovery:${s.idp.wellKnownUrl}`;
    await kvWritten(filed);
    await kvWritten(`discovery:${s.idp.wellKnownUrl}`);
    await s.idp.resetStats();
    const get = vi.spyOn(env.CACHE, "get");
    try {
      coldIsolate();
      await s.login();
      const keysRead = get.mock.calls.map(([key]) => key);
      expect(keysRead).toContainEqual([`discovery:${s.idp.wellKnownUrl}`, filed]);
      expect(keysRead).not.toContain(`jwks:${s.idp.jwksUrl}`); // adopted from the filed copy
      expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });

      // A copy whose jwksUrl is not the discovery document's jwks_uri is not used: the JWKS is read as before.
      const entry = JSON.parse((await env.CACHE.get(filed))!);
      await env.CACHE.put(filed, JSON.stringify({ ...entry, jwksUrl: `${s.idp.issuer}/other-jwks` }));
      get.mockClear();
      coldIsolate();
      await s.login();
      expect(get.mock.calls.map(([key]) => key)).toContain(`jwks:${s.idp.jwksUrl}`);
    } finally {
      get.mockRestore();
    }
  });

  it("never asks an IdP that only the unverified token names", async () => {
    const s = await scenario();
    const other = createIdp(); // a tenant no configuration trusts
    coldIsolate();
    const res = await s.loginJwt(await other.mint(gitlabClaims()));
    expectRefusal(res, 401, "key_not_found"); // its key is not one of the configured issuer's
    expect(await other.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it("sees an admin change at once: a tightened configuration refuses, a deleted identity is not found", async () => {
    const s = await scenario();
    await s.login();
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, {
      body: { boundSubject: "project_path:mygroup/other:ref_type:branch:ref:main" },
    });
    coldIsolate();
    expectRefusal(await s.loginWith(), 401, "subject_not_allowed");
    await ok("DELETE", `/api/v1/identities/${s.identity.id}`);
    coldIsolate();
    expectRefusal(await s.loginWith(), 404, "identity_not_found");
  });
});

describe("a read replica that lags", () => {
  it("is not trusted to refuse: an identity or configuration it does not know yet is read from the primary", async () => {
    const s = await scenario();
    const empty = await replicaRows(crypto.randomUUID()); // no identity, organization or configuration
    const ctx = await loadLoginContext(withLaggingReplica(empty), s.identity.id);
    expect(ctx?.identity.id).toBe(s.identity.id);
    expect(ctx?.config?.boundIssuer).toBe(s.idp.issuer);

    forgetAllLoginContexts();
    const [identityRows, organizationRows, , heartbeat] = await replicaRows(s.identity.id);
    const noConfigYet = [identityRows!, organizationRows!, { ...identityRows!, results: [] }, heartbeat!];
    expect((await loadLoginContext(withLaggingReplica(noConfigYet), s.identity.id))?.config).not.toBeNull();
  });

  it("still showing a deleted identity admits a login whose token is refused at its first use", async () => {
    const s = await scenario();
    const before = await replicaRows(s.identity.id, MAX_REPLICA_HEARTBEAT_AGE_MS - 5_000);
    await ok("DELETE", `/api/v1/identities/${s.identity.id}`); // the identity's object is told at once
    // This isolate reads the lagging replica: the login context it caches still has the identity.
    await loadLoginContext(withLaggingReplica(before), s.identity.id);
    const token = expectIssued(await s.loginWith());
    expectRefusal(await useToken(token), 401, "identity_not_found");
  });

  it("still showing a looser configuration admits a login whose token is refused at its first use", async () => {
    const s = await scenario();
    const before = await replicaRows(s.identity.id);
    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, {
      body: { boundSubject: "project_path:mygroup/other:ref_type:branch:ref:main" },
    });
    await loadLoginContext(withLaggingReplica(before), s.identity.id);
    const token = expectIssued(await s.loginWith());
    expectRefusal(await useToken(token), 401, "binding_changed");
  });
});

describe("a read replica further behind than the heartbeat bound", () => {
  it("is not read: a deleted identity it still shows is refused, from the primary", async () => {
    const s = await scenario();
    const before = await replicaRows(s.identity.id, MAX_REPLICA_HEARTBEAT_AGE_MS + 1_000);
    await ok("DELETE", `/api/v1/identities/${s.identity.id}`);
    expect(await loadLoginContext(withLaggingReplica(before), s.identity.id)).toBeNull();
    expectRefusal(await s.loginWith(), 404, "identity_not_found");
  });

  it("nor one without a heartbeat (no maintenance run yet)", async () => {
    const s = await scenario();
    const [identityRows, organizationRows, configRows] = await replicaRows(s.identity.id);
    await ok("DELETE", `/api/v1/identities/${s.identity.id}`);
    const noHeartbeat = [identityRows!, organizationRows!, configRows!, { ...identityRows!, results: [] }];
    expect(await loadLoginContext(withLaggingReplica(noHeartbeat), s.identity.id)).toBeNull();
  });

  it("is what the maintenance run keeps recent: it writes the heartbeat at the primary", async () => {
    await runMaintenance(env, nowMs());
    const row = await heartbeatStatement(env.DB).first<{ at: number }>();
    expect(nowMs() - row!.at).toBeLessThan(MAX_REPLICA_HEARTBEAT_AGE_MS);
  });
});

describe("organization location hint", () => {
  it("is kept, answered, and places new identities' token state (which then works as before)", async () => {
    const created = await ok("POST", "/api/v1/organizations", { body: { name: "Runners in Frankfurt", locationHint: "eeur" } });
    expect(created.organization.locationHint).toBe("eeur");
    expect((await ok("GET", `/api/v1/organizations/${created.organization.id}`)).organization.locationHint).toBe("eeur");
    const idp = createIdp();
    const identity = (await ok("POST", "/api/v1/identities", { body: { organizationId: created.organization.id, name: "deployer" } }))
      .identity;
    await ok("POST", `/api/v1/auth/oidc-auth/identities/${identity.id}`, {
      body: {
        oidcDiscoveryUrl: idp.issuer,
        boundIssuer: idp.issuer,
        boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
        boundAudiences: "https://edge-oidc-auth.example",
      },
    });
    const res = await call("POST", "/api/v1/auth/oidc-auth/login", {
      body: { identityId: identity.id, jwt: await idp.mint(gitlabClaims()) },
      token: null,
    });
    expect((await useToken(expectIssued(res))).status).toBe(200);
  });

  it("refuses a hint Cloudflare does not have", async () => {
    const res = await call("POST", "/api/v1/organizations", { body: { name: "Mars", locationHint: "mars" } });
    expectRefusal(res, 422, "invalid_request");
  });
});
