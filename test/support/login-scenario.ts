// Helpers shared by test/integration/login*.test.ts: an identity bound to a fresh test-IdP tenant, and
// the assertions every refusal must pass (status, reasonCode, error shape, no token echoed, no token issued).
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { login, setupIdentity } from "./api";
import { createIdp, gitlabClaims, type Claims, type MintOptions, type TestIdp } from "./idp";

type LoginResult = Awaited<ReturnType<typeof login>>;

/** The audience the seed's pipeline asks GitLab for. */
export const AUDIENCE = "https://edge-oidc-auth.example";
export const GITLAB_SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";

export interface Scenario {
  idp: TestIdp;
  identity: { id: string; orgId: string; role: string };
  org: { id: string; slug: string; name: string };
  /** The OIDC Auth configuration as the admin API returned it. */
  oidc: Record<string, any>;
  /** Mints a GitLab-shaped token (defaults overridden by `overrides`) and logs in with it. */
  loginWith(overrides?: Claims, mint?: MintOptions, opts?: { form?: boolean }): Promise<LoginResult & { jwt: string }>;
  /** Logs in with an already-built token. */
  loginJwt(jwt: string, opts?: { form?: boolean }): Promise<LoginResult>;
}

/**
 * A fresh IdP tenant (so in-isolate discovery/JWKS caches never leak between tests) and an identity whose
 * OIDC Auth trusts it. The default bindings are setupIdentity's: the seed subject and audience.
 */
export async function scenario(config: Record<string, unknown> = {}): Promise<Scenario> {
  const idp = createIdp();
  const { identity, org, oidc } = await setupIdentity(idp.issuer, config);
  const loginJwt = (jwt: string, opts: { form?: boolean } = {}) => login(identity.id, jwt, opts);
  return {
    idp,
    identity,
    org,
    oidc,
    loginJwt,
    async loginWith(overrides = {}, mint = {}, opts = {}) {
      const jwt = await idp.mint(gitlabClaims(overrides), mint);
      return { ...(await loginJwt(jwt, opts)), jwt };
    },
  };
}

/** A 200 login response in Infisical's shape; returns the access token. */
export function expectIssued(res: LoginResult): string {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toEqual({
    accessToken: expect.any(String),
    expiresIn: expect.any(Number),
    accessTokenMaxTTL: expect.any(Number),
    tokenType: "Bearer",
  });
  return res.body.accessToken as string;
}

/**
 * A refusal: the given status and reasonCode, the documented error body, no access token, and none of the
 * secrets (typically the presented ID token) echoed, neither whole nor any of its three segments.
 */
export function expectRefused(res: LoginResult, status: number, reasonCode: string, secrets: string[] = []): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({
    statusCode: status,
    error: expect.any(String),
    message: expect.any(String),
    reqId: expect.stringMatching(/^req-/),
    reasonCode,
  });
  expect(res.body).not.toHaveProperty("accessToken");
  const text = JSON.stringify(res.body);
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    for (const part of secret.split(".")) if (part.length >= 16) expect(text).not.toContain(part);
  }
}

/** POSTs a raw login body with exactly this Content-Type (or none), as odd clients would. */
export async function postLoginRaw(body: string, contentType: string | null): Promise<LoginResult> {
  const headers: Record<string, string> = contentType === null ? {} : { "content-type": contentType };
  const res = await exports.default.fetch(
    new Request("http://edge-oidc-auth.test/api/v1/auth/oidc-auth/login", { method: "POST", headers, body }),
  );
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
