// The scenario tests start from: an identity bound to a fresh test-IdP tenant, ready to log in with tokens
// of the test's choosing (login*, hostile-*) or just to hold access tokens (tokens*, rpc). (./api.ts has
// the steps it is made of, for tests that need another arrangement.)
//
//   const s = await scenario({ accessTokenNumUsesLimit: 5 }, { role: "admin" });
//   const token = await s.login();                        // a 200 with an access token, or the test fails
//   const res = await s.loginWith({ ref: "dev" });        // any answer, and the ID token it presented
import { expect } from "vitest";
import { login, setupIdentity, type Answer } from "./api";
import { createIdp, gitlabClaims, type Claims, type MintOptions, type TestIdp } from "./idp";

/** The audience the seed's pipeline asks GitLab for. */
export const AUDIENCE = "https://edge-oidc-auth.example";
export const GITLAB_SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";

export type OrgRole = "admin" | "member" | "no-access";

export interface LoginOptions {
  /** The client address (CF-Connecting-IP). */
  ip?: string;
  /** Send the form encoding instead of JSON. */
  form?: boolean;
}

export interface Scenario {
  idp: TestIdp;
  org: { id: string; slug: string; name: string };
  identity: { id: string; orgId: string; role: string };
  /** The OIDC Auth configuration as the admin API returned it. */
  config: Record<string, any>;
  /** Mints a GitLab-shaped token (defaults overridden by `overrides`) and logs in with it: any answer. */
  loginWith(overrides?: Claims, mint?: MintOptions, opts?: LoginOptions): Promise<Answer & { jwt: string }>;
  /** Logs in with an already-built token: any answer. */
  loginJwt(jwt: string, opts?: LoginOptions): Promise<Answer>;
  /**
   * Logs in with a fresh default ID token, expects the login to be admitted and returns the access token.
   * Each call is a new token (new jti) of the same identity.
   */
  login(opts?: LoginOptions): Promise<string>;
}

/**
 * A fresh IdP tenant (so in-isolate discovery/JWKS caches never leak between tests) and an organization
 * with an identity (`role`, default no-access) whose OIDC Auth trusts it, with `config` applied over the
 * defaults: the seed's subject and audience.
 */
export async function scenario(config: Record<string, unknown> = {}, opts: { role?: OrgRole } = {}): Promise<Scenario> {
  const idp = createIdp();
  const { identity, org, oidc } = await setupIdentity(idp.issuer, config, opts.role);
  const loginJwt = (jwt: string, o: LoginOptions = {}) => login(identity.id, jwt, o);
  const loginWith = async (overrides: Claims = {}, mint: MintOptions = {}, o: LoginOptions = {}) => {
    const jwt = await idp.mint(gitlabClaims(overrides), mint);
    return Object.assign(await loginJwt(jwt, o), { jwt });
  };
  return {
    idp,
    org,
    identity,
    config: oidc,
    loginJwt,
    loginWith,
    login: async (o = {}) => expectIssued(await loginWith({}, {}, o)),
  };
}

/** A 200 login response in Infisical's shape; returns the access token. */
export function expectIssued(res: Answer): string {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toEqual({
    accessToken: expect.any(String),
    expiresIn: expect.any(Number),
    accessTokenMaxTTL: expect.any(Number),
    tokenType: "Bearer",
  });
  return res.body.accessToken as string;
}
