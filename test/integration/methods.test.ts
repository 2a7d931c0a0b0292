// A path the API serves, asked with a method it does not take: 405 with the methods it does take
// (RFC 9110 §15.5.6), in the API's error body; a path it does not serve at all stays a 404.
import { describe, expect, it } from "vitest";
import { call } from "../support/api";
import { expectOAuthError } from "../support/oauth";
import { expectRefusal } from "../support/refusal";

describe("methods", () => {
  it.each([
    ["PUT", "/api/v1/auth/oidc-auth/login", "POST"],
    ["POST", "/.well-known/oauth-authorization-server", "GET, HEAD"],
    ["PUT", `/api/v1/identities/${crypto.randomUUID()}`, "GET, HEAD, PATCH, DELETE"],
    ["OPTIONS", "/api/v1/auth/token/renew", "POST"],
  ])("%s %s is 405, Allow: %s", async (method, path, allow) => {
    // With the admin key: a guarded path checks who calls first, as for any request.
    const res = await call(method, path);
    expectRefusal(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.body.error).toBe("Method Not Allowed");
  });

  it.each([
    ["GET", "/oauth/token", "POST"],
    ["DELETE", "/oauth/introspect", "POST"],
    ["GET", "/oauth/revoke", "POST"],
  ])("%s %s is 405, Allow: %s, in the OAuth endpoints' error shape", async (method, path, allow) => {
    const res = await call(method, path);
    expectOAuthError(res, 405, "invalid_request", "method_not_allowed");
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.body).not.toHaveProperty("statusCode");
  });

  it("checks credentials before the method on a guarded path", async () => {
    const res = await call("DELETE", "/api/v1/identities/details", { token: null });
    expectRefusal(res, 401, "credentials_missing");
  });

  it("answers HEAD on a POST-only path with 405 too, without a body", async () => {
    const res = await call("HEAD", "/oauth/token", { token: null });
    expect([res.status, res.headers.get("allow")]).toEqual([405, "POST"]);
  });

  it("keeps 404 route_not_found for a path no method serves", async () => {
    expectRefusal(await call("GET", "/api/v1/nothing-here", { token: null }), 404, "route_not_found");
    expectRefusal(await call("POST", "/oauth/nothing", { token: null }), 404, "route_not_found");
  });
});
