// RFC 6750 section 3: a presented bearer credential that cannot be used gets a 401 whose WWW-Authenticate
// names error="invalid_token"; a request without one gets the bare challenge.
import { describe, expect, it } from "vitest";
import { call } from "../support/api";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";

const CHALLENGE = 'Bearer realm="edge-oidc-auth"';
const INVALID = 'Bearer realm="edge-oidc-auth", error="invalid_token"';
// JWT-shaped, signed by nobody we know.
const FORGED =
  "eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJlLW5vdC12YWxpZC1hdC1hbGwtYWFhYWFhYWFhYWFhYQ";

const ADMIN_ROUTES: [string, string][] = [
  ["GET", "/api/v1/organizations"],
  ["GET", `/api/v1/identities/${crypto.randomUUID()}`],
  ["GET", "/api/v1/audit-logs"],
  ["GET", `/api/v1/auth/oidc-auth/identities/${crypto.randomUUID()}`],
];

describe("WWW-Authenticate on refused bearer credentials", () => {
  it.each(ADMIN_ROUTES)("%s %s: a JWT-shaped credential that is not ours is 401 invalid_token", async (method, path) => {
    const res = await call(method, path, { token: FORGED });
    expectRefusal(res, 401, "access_token_invalid", { secrets: [FORGED] });
    expect(res.headers.get("www-authenticate")).toBe(INVALID);
  });

  it("details: a forged, a revoked and an expired-shaped token each carry the invalid_token challenge", async () => {
    const forged = await call("GET", "/api/v1/identities/details", { token: FORGED });
    expectRefusal(forged, 401, "access_token_invalid", { secrets: [FORGED] });
    expect(forged.headers.get("www-authenticate")).toBe(INVALID);

    const s = await scenario();
    const token = await s.login();
    expect((await call("POST", "/api/v1/auth/token/revoke", { body: { accessToken: token }, token: null })).status).toBe(200);
    const revoked = await call("GET", "/api/v1/identities/details", { token });
    expectRefusal(revoked, 401, "token_revoked", { secrets: [token] });
    expect(revoked.headers.get("www-authenticate")).toBe(INVALID);
    // The same token on the admin API.
    const admin = await call("GET", "/api/v1/organizations", { token });
    expectRefusal(admin, 401, "token_revoked", { secrets: [token] });
    expect(admin.headers.get("www-authenticate")).toBe(INVALID);
  });

  it("details without a credential gets the bare challenge; a refusal that is not about the token (403) gets none", async () => {
    const missing = await call("GET", "/api/v1/identities/details", { token: null });
    expectRefusal(missing, 401, "credentials_missing");
    expect(missing.headers.get("www-authenticate")).toBe(CHALLENGE);

    const s = await scenario({ accessTokenTrustedIps: [{ ipAddress: "192.0.2.1" }] });
    const token = await s.login();
    const outside = await call("GET", "/api/v1/identities/details", { token, ip: "198.51.100.7" });
    expectRefusal(outside, 403, "ip_not_trusted", { secrets: [token] });
    expect(outside.headers.get("www-authenticate")).toBeNull();
  });
});
