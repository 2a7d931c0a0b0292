// No answer that holds a token, a configuration or a refusal may be stored by a browser, proxy or CDN:
// every response carries Cache-Control: no-store and Pragma: no-cache (src/http/cache-headers.ts), except the
// public documents, which keep their own public caching.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type Answer } from "../support/api";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";
import { expectOk, renew, revoke, useToken } from "../support/tokens";

function expectNoStore(res: Pick<Answer, "headers" | "status">, what: string): void {
  expect({ cacheControl: res.headers.get("cache-control"), pragma: res.headers.get("pragma") }, `${what} (${res.status})`).toEqual({
    cacheControl: "no-store",
    pragma: "no-cache",
  });
}

describe("Cache-Control", () => {
  it("no-store on login, renew, revoke, token details and the admin API, refusals included", async () => {
    const s = await scenario({}, { role: "admin" });
    const loggedIn = await s.loginWith();
    expect(loggedIn.status).toBe(200);
    expectNoStore(loggedIn, "login");
    const token = loggedIn.body.accessToken as string;
    const refused = await s.loginWith({ sub: "someone-else" });
    expectRefusal(refused, 401, "subject_not_allowed");
    expectNoStore(refused, "refused login");

    const renewed = await renew(token);
    expectOk(renewed);
    expectNoStore(renewed, "renew");
    expectNoStore(await useToken(token), "token details");
    const admin = [
      await call("GET", "/api/v1/organizations"),
      await call("GET", `/api/v1/identities/${s.identity.id}`),
      await call("GET", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`),
      await call("GET", `/api/v1/identities/${s.identity.id}/access-tokens`),
      await call("GET", `/api/v1/audit-logs?organizationId=${s.org.id}`),
      await call("PATCH", `/api/v1/identities/${s.identity.id}`, { body: { name: "renamed" } }),
      await call("GET", "/api/v1/organizations", { token }), // with the org-admin's token
    ];
    for (const res of admin) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expectNoStore(res, "admin API");
    }
    const revoked = await revoke(token);
    expectOk(revoked);
    expectNoStore(revoked, "revoke");
    const afterRevoke = await useToken(token);
    expectRefusal(afterRevoke, 401, "token_revoked");
    expectNoStore(afterRevoke, "refused use");
    expectNoStore(await call("GET", "/api/v1/organizations", { token: null }), "missing credentials");
    expectNoStore(await call("GET", "/no/such/route"), "unknown route");
    expectNoStore(await call("GET", "/api/status", { token: null }), "status");
  });

  it("no-store on the console's pages", async () => {
    const res = await exports.default.fetch(new Request("http://edge-oidc-auth.test/admin/sign-in"));
    expect(res.status).toBe(200);
    expectNoStore(res, "console sign-in");
    await res.body?.cancel();
  });

  it("the public documents stay cacheable: OpenAPI, the API reference, the JWKS", async () => {
    for (const path of ["/openapi.json", "/docs", "/.well-known/jwks.json"]) {
      const res = await call("GET", path, { token: null });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("public, max-age=300");
      expect(res.headers.get("pragma"), path).toBeNull();
    }
  });
});
