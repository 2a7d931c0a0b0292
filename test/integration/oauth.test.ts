// The OAuth 2.0 endpoints against the real Worker: token exchange (RFC 8693) over the login's own code path,
// the authorization server metadata (RFC 8414) and its issuer identifier, introspection (RFC 7662) as a use,
// revocation (RFC 7009). Real OAuth clients (google-auth-library, openid-client) run against the built
// Worker in test/clients/oauth-clients.test.ts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ReasonCode } from "../../src/errors";
import { issuerIdentifier } from "../../src/env";
import { createApp } from "../../src/http/app";
import { call, jwtPayload, ok } from "../support/api";
import { gitlabClaims } from "../support/idp";
import {
  ACCESS_TOKEN_TYPE,
  exchange,
  expectExchanged,
  expectOAuthError,
  ID_TOKEN_TYPE,
  introspect,
  JWT_TYPE,
  oauthRevoke,
  TOKEN_EXCHANGE,
} from "../support/oauth";
import { expectRefusal } from "../support/refusal";
import { AUDIENCE, GITLAB_SUBJECT, scenario } from "../support/scenario";
import { expectOk, useToken } from "../support/tokens";

const ORIGIN = "http://edge-oidc-auth.test";

describe("GET /.well-known/oauth-authorization-server (RFC 8414)", () => {
  it("names the request's origin as issuer when PUBLIC_URL is unset, and every endpoint under it", async () => {
    const res = await call("GET", "/.well-known/oauth-authorization-server", { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      issuer: ORIGIN,
      token_endpoint: `${ORIGIN}/oauth/token`,
      introspection_endpoint: `${ORIGIN}/oauth/introspect`,
      revocation_endpoint: `${ORIGIN}/oauth/revoke`,
      jwks_uri: `${ORIGIN}/.well-known/jwks.json`,
      grant_types_supported: [TOKEN_EXCHANGE],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ["none"],
      revocation_endpoint_auth_methods_supported: ["none"],
      subject_token_types_supported: ["urn:ietf:params:oauth:token-type:jwt", ID_TOKEN_TYPE],
      issued_token_types_supported: [ACCESS_TOKEN_TYPE],
      service_documentation: `${ORIGIN}/docs`,
    });
    const oidc = await call("GET", "/.well-known/openid-configuration", { token: null });
    expect(oidc.body).toEqual(res.body);
  });

  it("names PUBLIC_URL when it is set, and the access tokens' iss follows it", async () => {
    const app = createApp();
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    const withPublicUrl = { ...env, PUBLIC_URL: "https://auth.example.com/" };
    const meta = await app.fetch(new Request(`${ORIGIN}/.well-known/oauth-authorization-server`), withPublicUrl, ctx);
    expect(await meta.json()).toMatchObject({
      issuer: "https://auth.example.com",
      token_endpoint: "https://auth.example.com/oauth/token",
    });

    const s = await scenario();
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: await s.idp.mint(gitlabClaims()),
      subject_token_type: ID_TOKEN_TYPE,
      audience: s.identity.id,
    });
    const res = await app.fetch(
      new Request(`${ORIGIN}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      }),
      withPublicUrl,
      ctx,
    );
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect(jwtPayload(access_token).iss).toBe("https://auth.example.com");
    // Tokens of any issuer identifier this deployment used verify everywhere (the signature vouches).
    expectOk(await useToken(access_token));
  });

  it("ignores a PUBLIC_URL that is not an origin", () => {
    for (const bad of ["auth.example.com", "https://auth.example.com/base", "https://auth.example.com/?a=1", "ftp://x.example"]) {
      expect(issuerIdentifier({ PUBLIC_URL: bad }, `${ORIGIN}/x`), bad).toBe(ORIGIN);
    }
    expect(issuerIdentifier({ PUBLIC_URL: " https://Auth.Example.com " }, `${ORIGIN}/x`)).toBe("https://auth.example.com");
    expect(issuerIdentifier({}, "https://edge.example.workers.dev/oauth/token")).toBe("https://edge.example.workers.dev");
  });
});

describe("POST /oauth/token (RFC 8693 token exchange)", () => {
  /** A token exchange form with repeated parameters, as `[name, value]` pairs. */
  const exchangeForm = (pairs: [string, string][]) => call("POST", "/oauth/token", { token: null, form: pairs });

  it("exchanges a CI job's ID token for the same access token the login issues", async () => {
    const s = await scenario({ accessTokenTTL: 600, accessTokenMaxTTL: 3600, claimMetadataMapping: { pipeline: "pipeline_id" } });
    const jwt = await s.idp.mint(gitlabClaims());
    const res = await exchange(jwt, s.identity.id, { client_id: "gitlab-ci", scope: "anything", resource: "https://example.com" });
    const token = expectExchanged(res);
    expect(res.body.expires_in).toBe(600);
    expect(res.headers.get("pragma")).toBe("no-cache");
    expect(jwtPayload(token)).toMatchObject({
      iss: ORIGIN,
      aud: "edge-oidc-auth",
      sub: s.identity.id,
      org: s.org.id,
      auth_method: "oidc-auth",
      metadata: { pipeline: expect.any(String) },
    });
    const details = expectOk(await useToken(token));
    expect(details.identityDetails.identity.id).toBe(s.identity.id);
  });

  it("accepts both subject token types and an explicit requested_token_type", async () => {
    const s = await scenario();
    expectExchanged(
      await exchange(await s.idp.mint(gitlabClaims()), s.identity.id, {
        subject_token_type: ID_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
      }),
    );
  });

  it("answers every refusal of the ID token as invalid_grant with the login's reasonCode", async () => {
    const s = await scenario();
    const wrongAud = await s.idp.mint(gitlabClaims({ aud: "https://elsewhere.example" }));
    expectOAuthError(await exchange(wrongAud, s.identity.id), 400, "invalid_grant", "audience_not_allowed", [wrongAud]);
    const expired = await s.idp.mint(
      gitlabClaims({ exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 900 }),
    );
    expectOAuthError(await exchange(expired, s.identity.id), 400, "invalid_grant", "token_expired", [expired]);
    const unprotected = await s.idp.mint(gitlabClaims({ ref: "dev", sub: "project_path:mygroup/myproject:ref_type:branch:ref:dev" }));
    const res = await exchange(unprotected, s.identity.id);
    expect(res.body.error).toBe("invalid_grant");
    expectOAuthError(await exchange("not-a-jwt", s.identity.id), 400, "invalid_grant", "token_malformed");
    expectOAuthError(await exchange(`${"a".repeat(20_000)}.b.c`, s.identity.id), 400, "invalid_grant", "token_too_large");
  });

  it("answers invalid_target for an audience that names no identity with OIDC Auth", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const unknown = await exchange(jwt, crypto.randomUUID());
    expectOAuthError(unknown, 400, "invalid_target", "identity_not_found", [jwt]);
    expect(unknown.body.error_description).toBe("No identity has the id named in audience"); // not the login's identityId
    expectOAuthError(await exchange(jwt, "not-an-identity"), 400, "invalid_target", "identity_not_found", [jwt]);
    const bare = (await ok("POST", "/api/v1/identities", { body: { name: "bare", organizationId: s.org.id } })).identity;
    expectOAuthError(await exchange(jwt, bare.id), 400, "invalid_target", "oidc_auth_not_configured", [jwt]);
  });

  it("answers malformed requests as RFC 6749 errors: grant type first, then the parameters", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const id = s.identity.id;
    const cases: [string, Record<string, string | undefined>, string, ReasonCode][] = [
      [jwt, { grant_type: undefined }, "invalid_request", "invalid_request"],
      [jwt, { grant_type: "client_credentials" }, "unsupported_grant_type", "unsupported_grant_type"],
      // The grant type is judged first: the other parameters of another grant are not ours to check.
      ["", { grant_type: "authorization_code", subject_token_type: undefined }, "unsupported_grant_type", "unsupported_grant_type"],
      [jwt, { subject_token_type: undefined }, "invalid_request", "invalid_request"],
      [jwt, { subject_token_type: "urn:ietf:params:oauth:token-type:saml2" }, "invalid_request", "unsupported_token_type"],
      [jwt, { requested_token_type: "urn:ietf:params:oauth:token-type:refresh_token" }, "invalid_request", "unsupported_token_type"],
      [jwt, { audience: "" }, "invalid_request", "invalid_request"],
      ["", {}, "invalid_request", "invalid_request"],
      [jwt, { actor_token: jwt, actor_token_type: "urn:ietf:params:oauth:token-type:jwt" }, "invalid_request", "invalid_request"],
    ];
    for (const [subject, extra, error, reason] of cases) {
      expectOAuthError(await exchange(subject, id, extra), 400, error, reason, [jwt]);
    }

    // A JSON body, a repeated parameter.
    const json = await call("POST", "/oauth/token", {
      body: { grant_type: TOKEN_EXCHANGE, subject_token: jwt, audience: id },
      token: null,
    });
    expectOAuthError(json, 400, "invalid_request", "unsupported_media_type", [jwt]);
    const twice = await exchangeForm([
      ["grant_type", TOKEN_EXCHANGE],
      ["subject_token", jwt],
      ["subject_token", jwt],
      ["subject_token_type", JWT_TYPE],
      ["audience", id],
    ]);
    expectOAuthError(twice, 400, "invalid_request", "invalid_request", [jwt]);
    expect(twice.body.error_description).toContain("'subject_token' appears more than once");
  });

  it("takes repeated audience and resource parameters as RFC 8693 allows: one identity, absolute URIs", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const id = s.identity.id;
    const base: [string, string][] = [
      ["grant_type", TOKEN_EXCHANGE],
      ["subject_token", jwt],
      ["subject_token_type", JWT_TYPE],
    ];
    // The same identity named twice, resources that are absolute URIs: a token of that identity.
    const same = await exchangeForm([
      ...base,
      ["audience", id],
      ["audience", id],
      ["resource", "https://a.example/api"],
      ["resource", "urn:example:b"],
    ]);
    expect(jwtPayload(expectExchanged(same)).sub).toBe(id);
    // Two identities: no token is valid for both (RFC 8693 §2.2.2).
    const two = await exchangeForm([...base, ["audience", id], ["audience", crypto.randomUUID()]]);
    expectOAuthError(two, 400, "invalid_target", "invalid_target", [jwt]);
    // A resource that is not an absolute URI, or has a fragment (RFC 8693 §2.1, RFC 8707 §2).
    for (const resource of ["notauri", "/relative/path", "https://a.example/#frag"]) {
      expectOAuthError(
        await exchangeForm([...base, ["audience", id], ["resource", resource]]),
        400,
        "invalid_target",
        "invalid_target",
        [jwt],
      );
    }
  });

  it("treats a parameter sent without a value as omitted (RFC 6749 §3.1)", async () => {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    const exchanged = await exchange(jwt, s.identity.id, {
      requested_token_type: "",
      actor_token: "",
      actor_token_type: "",
      scope: "",
      resource: "",
      client_id: "",
    });
    expectExchanged(exchanged);
    // A required one sent empty is still missing.
    expectOAuthError(await exchange(jwt, s.identity.id, { subject_token_type: "" }), 400, "invalid_request", "invalid_request", [jwt]);
  });

  it("is audited as token.exchange, apart from logins, with the same details", async () => {
    const s = await scenario();
    const good = await s.idp.mint(gitlabClaims());
    const token = expectExchanged(await exchange(good, s.identity.id));
    const bad = await s.idp.mint(gitlabClaims({ aud: "https://elsewhere.example" }));
    await exchange(bad, s.identity.id);
    await s.login();
    const events = (await ok("GET", `/api/v1/audit-logs?organizationId=${s.org.id}&identityId=${s.identity.id}`)).auditLogs as any[];
    const logins = events.filter((e) => e.event === "login" || e.event === "token.exchange").reverse();
    expect(logins.map((e) => [e.event, e.outcome, e.reasonCode])).toEqual([
      ["token.exchange", "success", null],
      ["token.exchange", "failure", "audience_not_allowed"],
      ["login", "success", null],
    ]);
    expect(logins[0].tokenId).toBe(jwtPayload(token).jti);
    expect(logins[1].details.claims).toMatchObject({ aud: "https://elsewhere.example" });
    const filtered = (await ok("GET", `/api/v1/audit-logs?organizationId=${s.org.id}&event=token.exchange`)).auditLogs as any[];
    expect(filtered).toHaveLength(2);
  });

  it("shares the login's failed-login limit: refusals of either format count for the (identity, address) pair", async () => {
    const s = await scenario();
    const ip = `198.19.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const periodMs = 60_000;
    const left = periodMs - (Date.now() % periodMs);
    if (left < 10_000) await new Promise((r) => setTimeout(r, left + 150));
    const bad = await s.idp.mint(gitlabClaims({ aud: "https://elsewhere.example" }));
    for (let i = 0; i < 10; i++) expect((await exchange(bad, s.identity.id, {}, { ip })).body.error).toBe("invalid_grant");
    for (let i = 0; i < 10; i++) expect((await s.loginJwt(bad, { ip })).status).toBe(401);
    const limited = await exchange(bad, s.identity.id, {}, { ip });
    expectOAuthError(limited, 429, "temporarily_unavailable", "rate_limited_failed_logins", [bad]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Blocked before verification, a valid token too, in both formats.
    const good = await s.idp.mint(gitlabClaims());
    expectOAuthError(await exchange(good, s.identity.id, {}, { ip }), 429, "temporarily_unavailable", "rate_limited_failed_logins");
    expectRefusal(await s.loginJwt(good, { ip }), 429, "rate_limited_failed_logins");
  });
});

describe("POST /oauth/introspect (RFC 7662)", () => {
  it("counts wrong credentials against the address's failed admin authentications: 429 once over the limit", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 20}`;
    const s = await scenario();
    const token = await s.login();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await introspect(token, `wrong-admin-key-${i}-0123456789abcdefghij`, {}, { ip })).status);
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Blocked: the right key is refused too from that address, so guesses cannot be told apart.
    expect((await introspect(token, env.ADMIN_API_KEY!, {}, { ip })).status).toBe(429);
  });

  it("with the admin key: an active token's claims, organization, roles and metadata; each introspection is a use", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 3, claimMetadataMapping: { pipeline: "pipeline_id" } }, { role: "member" });
    const project = (await ok("POST", "/api/v1/projects", { body: { name: "Web", organizationId: s.org.id } })).project;
    await ok("POST", `/api/v1/projects/${project.id}/memberships/identities/${s.identity.id}`, {
      body: { roles: [{ role: "viewer" }] },
    });
    const token = await s.login();
    const claims = jwtPayload(token);
    const res = await introspect(token, env.ADMIN_API_KEY!);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({
      active: true,
      token_type: "Bearer",
      iss: ORIGIN,
      sub: s.identity.id,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      identity_id: s.identity.id,
      organization_id: s.org.id,
      org_role: "member",
      project_roles: { [project.id]: ["viewer"] },
      auth_method: "oidc-auth",
      uses_left: 2,
      metadata: { pipeline: expect.any(String) },
    });
    expect((await introspect(token, env.ADMIN_API_KEY!)).body.uses_left).toBe(1);
    expect((await introspect(token, env.ADMIN_API_KEY!)).body.uses_left).toBe(0);
    expect((await introspect(token, env.ADMIN_API_KEY!)).body).toEqual({ active: false });
    expectRefusal(await useToken(token), 401, "token_uses_exhausted");
  });

  it("is { active: false } for anything a use would refuse, and says nothing of why", async () => {
    const s = await scenario({ accessTokenTTL: 60, accessTokenMaxTTL: 60 });
    const revoked = await s.login();
    expectOk(await call("POST", "/api/v1/auth/token/revoke", { body: { accessToken: revoked }, token: null }));
    // An over-long token is not one of ours either (RFC 7662 §2.2: inactive, not an error).
    for (const token of [revoked, "garbage", `${revoked.slice(0, -4)}AAAA`, "A".repeat(9000), `${revoked}.${"A".repeat(9000)}`]) {
      const res = await introspect(token, env.ADMIN_API_KEY!);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: false });
    }
    // Its configuration removed: its tokens are dead.
    const live = await s.login();
    expectOk(await call("DELETE", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`));
    expect((await introspect(live, env.ADMIN_API_KEY!)).body).toEqual({ active: false });
  });

  it("checks the identity's trusted IPs against client_ip, the address the resource server passes", async () => {
    const s = await scenario({ accessTokenTrustedIps: [{ ipAddress: "10.0.0.0/8" }] });
    const token = await s.login({ ip: "10.1.2.3" });
    expect((await introspect(token, env.ADMIN_API_KEY!, { client_ip: "10.9.9.9" })).body.active).toBe(true);
    expect((await introspect(token, env.ADMIN_API_KEY!, { client_ip: "192.0.2.7" })).body).toEqual({ active: false });
    expect((await introspect(token, env.ADMIN_API_KEY!)).body).toEqual({ active: false });
    // Not an address: the resource server is misconfigured and should hear it, not see every token inactive.
    for (const client_ip of ["garbage", "10.0.0.1,8.8.8.8", "010.0.0.1"]) {
      expectOAuthError(await introspect(token, env.ADMIN_API_KEY!, { client_ip }), 400, "invalid_request", "invalid_request", [token]);
    }
  });

  it("admits an identity of the organization with role member or admin, for its organization's tokens only", async () => {
    const s = await scenario({ accessTokenNumUsesLimit: 5 }, { role: "no-access" });
    const target = await s.login();
    const member = (await ok("POST", "/api/v1/identities", { body: { name: "rs", organizationId: s.org.id, role: "member" } }))
      .identity;
    await ok("POST", `/api/v1/auth/oidc-auth/identities/${member.id}`, {
      body: { oidcDiscoveryUrl: s.idp.issuer, boundIssuer: s.idp.issuer, boundAudiences: AUDIENCE, boundSubject: GITLAB_SUBJECT },
    });
    const memberToken = expectExchanged(await exchange(await s.idp.mint(gitlabClaims()), member.id));
    const res = await introspect(target, memberToken);
    expect(res.body).toMatchObject({ active: true, sub: s.identity.id, organization_id: s.org.id, uses_left: 4 });

    // Another organization's resource server sees it inactive, and spends no use of it.
    const other = await scenario({}, { role: "admin" });
    expect((await introspect(target, await other.login())).body).toEqual({ active: false });
    expect((await introspect(target, memberToken)).body.uses_left).toBe(3);

    // An identity without an organization role may not introspect; nor may no one.
    const noAccess = await s.login();
    const forbidden = await introspect(target, noAccess);
    expectOAuthError(forbidden, 403, "insufficient_scope", "insufficient_role", [target, noAccess]);
    // RFC 6750 §3: a token that lacks the privilege is answered with the insufficient_scope challenge.
    expect(forbidden.headers.get("www-authenticate")).toBe('Bearer realm="edge-oidc-auth", error="insufficient_scope"');
    const anonymous = await introspect(target, null);
    expectOAuthError(anonymous, 401, "invalid_token", "credentials_missing", [target]);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="edge-oidc-auth"');
    const bogus = await introspect(target, "not-the-admin-key");
    expectOAuthError(bogus, 401, "invalid_token", "credentials_invalid", [target]);
    expect(bogus.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect((await introspect(target, memberToken)).body.uses_left).toBe(2);
  });

  it("refuses a request without the token parameter, or not as a form", async () => {
    expectOAuthError(await call("POST", "/oauth/introspect", { form: {} }), 400, "invalid_request", "invalid_request");
    expectOAuthError(
      await call("POST", "/oauth/introspect", { body: { token: "x" } }),
      400,
      "invalid_request",
      "unsupported_media_type",
    );
  });
});

describe("POST /oauth/revoke (RFC 7009)", () => {
  it("revokes by possession, and answers 200 for tokens that are not ours", async () => {
    const s = await scenario();
    const token = await s.login();
    const res = await oauthRevoke(token, { token_type_hint: "access_token", client_id: "ci" });
    expect([res.status, res.body, res.headers.get("cache-control")]).toEqual([200, {}, "no-store"]);
    expectRefusal(await useToken(token), 401, "token_revoked");
    expect((await oauthRevoke(token)).status).toBe(200);
    expect((await oauthRevoke("not-a-token")).status).toBe(200);
    expect(await oauthRevoke("A".repeat(9000))).toMatchObject({ status: 200, body: {} }); // RFC 7009 §2.2
    expect((await oauthRevoke(`${token.slice(0, -4)}AAAA`, { token_type_hint: "refresh_token" })).status).toBe(200);
    const events = (await ok("GET", `/api/v1/audit-logs?organizationId=${s.org.id}&event=token.revoke`)).auditLogs as any[];
    // The second revocation changed nothing: it is answered the same and not recorded again.
    expect(events.map((e) => e.tokenId)).toEqual([jwtPayload(token).jti]);
  });

  it("refuses a request without the token parameter", async () => {
    expectOAuthError(await oauthRevoke(""), 400, "invalid_request", "invalid_request");
    expectOAuthError(
      await call("POST", "/oauth/revoke", { body: { token: "x" }, token: null }),
      400,
      "invalid_request",
      "unsupported_media_type",
    );
  });
});
