// The AuthService entrypoint as a downstream Worker uses it: test/consumer/ is a second Worker with a
// service binding AUTH -> AuthService (vitest.config.ts), reached here through env.CONSUMER.
import { describe, expect, it } from "vitest";
import { jwtPayload, ok } from "../support/api";
import { advanceClockTo } from "../support/clock";
import { expectRefusal, type WireReasonCode } from "../support/refusal";
import { scenario } from "../support/scenario";
import { expectOk, rawAuthenticate, revoke, tally, useToken, whoami } from "../support/tokens";

describe("AuthService.authenticate from a bound consumer Worker", () => {
  it("answers who the token is: identity, organization, roles, token id, expiry, uses left", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 5 }, { role: "member" });
    const token = await s.login();
    const project = (await ok("POST", "/api/v1/projects", { body: { name: "api", organizationId: s.org.id } })).project;
    await ok("POST", `/api/v1/projects/${project.id}/memberships/identities/${s.identity.id}`, {
      body: { roles: [{ role: "viewer" }, { role: "member" }] },
    });
    const claims = jwtPayload(token);

    const res = await whoami(token, { projectId: project.id, ip: "198.51.100.20" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: true,
      identityId: s.identity.id,
      organizationId: s.org.id,
      orgRole: "member",
      projectId: project.id,
      projectRoles: ["viewer", "member"],
      tokenId: claims.jti,
      authMethod: "oidc-auth",
      expiresAt: claims.exp,
      usesLeft: 4,
      metadata: {},
    });

    // Without a projectId there are no project fields; in a project it is not a member of, no roles.
    const plain = await whoami(token);
    expect(plain.body).toMatchObject({ ok: true, usesLeft: 3 });
    expect(plain.body).not.toHaveProperty("projectId");
    expect(plain.body).not.toHaveProperty("projectRoles");
    const elsewhere = await whoami(token, { projectId: crypto.randomUUID() });
    expect(elsewhere.body).toMatchObject({ ok: true, projectRoles: [], usesLeft: 2 });
    // A project id in upper case is the same project (Infisical's ids are Postgres uuids).
    const shouted = await whoami(token, { projectId: project.id.toUpperCase() });
    expect(shouted.body).toMatchObject({ ok: true, projectId: project.id, projectRoles: ["viewer", "member"], usesLeft: 1 });
  });

  it("looks projectId up among the identity's own projects only: __proto__, constructor, toString are projects it is not in", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 10 });
    const token = await s.login();
    const names = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
    for (const [i, projectId] of names.entries()) {
      const res = await whoami(token, { projectId });
      // A right answer for the use it spent: no roles, never a 503 after the use.
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ ok: true, projectId, projectRoles: [], usesLeft: 10 - 1 - i });
    }
    // The same through raw arguments, as a consumer passing the caller's input along would.
    expect(await rawAuthenticate([token, { clientIp: null, projectId: "__proto__" }])).toMatchObject({
      threw: false,
      result: { ok: true, projectId: "__proto__", projectRoles: [], usesLeft: 10 - 1 - names.length },
    });
  });

  it("carries the claims copied by claimMetadataMapping; usesLeft is null without a limit", async () => {
    const s = await scenario({ claimMetadataMapping: { repository: "project_path", pipeline: "pipeline_id" } });
    const token = await s.login();
    expect((await whoami(token)).body).toMatchObject({
      ok: true,
      usesLeft: null,
      metadata: { repository: "mygroup/myproject", pipeline: "574" },
    });
  });

  it("100 concurrent calls with a token limited to 5: exactly 5 succeed, no 5xx", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 5 });
    const token = await s.login();
    const results = await Promise.all(Array.from({ length: 100 }, () => whoami(token)));
    expect(tally(results)).toEqual({ "200": 5, "401 token_uses_exhausted": 95 });
    for (const r of results) expect(r.body.ok).toBe(r.status === 200);
    expect(
      results
        .filter((r) => r.status === 200)
        .map((r) => r.body.usesLeft)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    // The HTTP API agrees: the same counter.
    expectRefusal(await useToken(token), 401, "token_uses_exhausted");
  });

  it("answers refusals with a status and a reasonCode", async () => {
    const restricted = await scenario({ accessTokenTrustedIps: [{ ipAddress: "203.0.113.0/24" }], accessTokenNumUsesLimit: 1 });
    const token = await restricted.login();
    expectRefusal(await whoami(token, { ip: "198.51.100.1" }), 403, "ip_not_trusted");
    // The refusal consumed nothing: the one use is still there.
    expect((await whoami(token, { ip: "203.0.113.9" })).body).toMatchObject({ ok: true, usesLeft: 0 });
    expectRefusal(await whoami(token, { ip: "203.0.113.9" }), 401, "token_uses_exhausted");

    const second = await scenario();
    const revoked = await second.login();
    expectOk(await revoke(revoked));
    expectRefusal(await whoami(revoked), 401, "token_revoked");

    const deleted = await scenario();
    const orphan = await deleted.login();
    await ok("DELETE", `/api/v1/identities/${deleted.identity.id}`);
    expectRefusal(await whoami(orphan), 401, "identity_not_found");

    expectRefusal(await whoami("garbage"), 401, "access_token_invalid");
    expectRefusal(await whoami(""), 401, "credentials_missing");

    // Last, as it moves the clock for the rest of the test.
    const expiring = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 600 });
    const short = await expiring.login();
    advanceClockTo(jwtPayload(short).exp);
    expectRefusal(await whoami(short), 401, "access_token_expired");
  });
});

describe("AuthService.authenticate with arguments of the wrong shape", () => {
  it("never throws; a missing or non-string token is a 401", async () => {
    const cases: [unknown[], WireReasonCode][] = [
      [[], "credentials_missing"],
      [[null, { clientIp: null }], "credentials_missing"],
      [["", { clientIp: null }], "credentials_missing"],
      [["Bearer ", { clientIp: null }], "credentials_missing"],
      [[123, { clientIp: null }], "access_token_invalid"],
      [[{ token: "x" }, { clientIp: null }], "access_token_invalid"],
      [[["a", "b"], { clientIp: null }], "access_token_invalid"],
      [["garbage", { clientIp: null }], "access_token_invalid"],
      [["a.b.c", { clientIp: null }], "access_token_invalid"],
      [["x".repeat(100_000), { clientIp: null }], "access_token_invalid"],
    ];
    for (const [args, reasonCode] of cases) {
      const out = await rawAuthenticate(args);
      expect(out, JSON.stringify(args).slice(0, 80)).toEqual({
        threw: false,
        result: { ok: false, status: 401, reasonCode, message: expect.any(String) },
      });
    }
  });

  it("refuses malformed options with 400 invalid_arguments, before the token is used", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 1 });
    const token = await s.login();
    const cases: unknown[][] = [
      [token, "198.51.100.1"],
      [token, 42],
      [token, [token]],
      [token, { clientIp: 42 }],
      [token, { clientIp: { ip: "198.51.100.1" } }],
      [token, { clientIp: "not an address" }],
      [token, { clientIp: "198.51.100.1, 203.0.113.9" }],
      [token, { clientIp: "1".repeat(100) }],
      [token, { clientIp: null, projectId: 7 }],
      [token, { clientIp: null, projectId: "" }],
      [token, { clientIp: null, projectId: "p".repeat(500) }],
    ];
    for (const args of cases) {
      const out = await rawAuthenticate(args);
      expect(out, JSON.stringify(args[1])).toEqual({
        threw: false,
        result: { ok: false, status: 400, reasonCode: "invalid_arguments", message: expect.any(String) },
      });
    }
    // None of those consumed the single use.
    expect(await rawAuthenticate([token, { clientIp: "198.51.100.1" }])).toMatchObject({
      threw: false,
      result: { ok: true, usesLeft: 0 },
    });
  });

  it("accepts omitted or null options and a 'Bearer ' prefix", async () => {
    const s = await scenario();
    const token = await s.login();
    for (const args of [[token], [token, null], [token, {}], [`Bearer ${token}`, { clientIp: null }]]) {
      expect(await rawAuthenticate(args)).toMatchObject({ threw: false, result: { ok: true, identityId: s.identity.id } });
    }
  });

  it("without a client IP, a token restricted to trusted IPs is refused", async () => {
    const s = await scenario({ accessTokenTrustedIps: [{ ipAddress: "203.0.113.0/24" }] });
    const token = await s.login();
    expect(await rawAuthenticate([token])).toMatchObject({ result: { ok: false, status: 403, reasonCode: "ip_not_trusted" } });
    expect(await rawAuthenticate([token, { clientIp: "203.0.113.1" }])).toMatchObject({ result: { ok: true } });
  });
});
