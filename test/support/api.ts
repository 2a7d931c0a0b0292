import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

/** Calls the real Worker through its default export, as an HTTP client would. */
export async function call(
  method: string,
  path: string,
  opts: { body?: unknown; form?: Record<string, string>; token?: string | null; ip?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? env.ADMIN_API_KEY}`;
  if (opts.ip) headers["cf-connecting-ip"] = opts.ip;
  let body: string | undefined;
  if (opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  }
  const res = await exports.default.fetch(new Request(`http://edge-oidc-auth.test${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function ok(method: string, path: string, opts: Parameters<typeof call>[2] = {}) {
  const res = await call(method, path, opts);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function createOrg(name = `org-${crypto.randomUUID().slice(0, 8)}`) {
  return (await ok("POST", "/api/v1/organizations", { body: { name } })).organization as { id: string; slug: string; name: string };
}

export async function createIdentity(orgId: string, role = "no-access", name = "ci-deployer") {
  return (await ok("POST", "/api/v1/identities", { body: { name, organizationId: orgId, role } })).identity as {
    id: string;
    orgId: string;
    role: string;
  };
}

export async function attachOidc(identityId: string, config: Record<string, unknown>) {
  return (await ok("POST", `/api/v1/auth/oidc-auth/identities/${identityId}`, { body: config })).identityOidcAuth;
}

/** An org, an identity with OIDC Auth bound to the given issuer, ready to log in. */
export async function setupIdentity(issuer: string, config: Record<string, unknown> = {}, role = "no-access") {
  const org = await createOrg();
  const identity = await createIdentity(org.id, role);
  const oidc = await attachOidc(identity.id, {
    oidcDiscoveryUrl: issuer,
    boundIssuer: issuer,
    boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
    boundAudiences: "https://edge-oidc-auth.example",
    ...config,
  });
  return { org, identity, oidc };
}

export function login(identityId: string, jwt: string, opts: { ip?: string; form?: boolean } = {}) {
  return opts.form
    ? call("POST", "/api/v1/auth/oidc-auth/login", { form: { identityId, jwt }, token: null, ip: opts.ip })
    : call("POST", "/api/v1/auth/oidc-auth/login", { body: { identityId, jwt }, token: null, ip: opts.ip });
}

/** Decodes a JWT payload without verifying (test inspection only). */
export function jwtPayload(token: string): Record<string, any> {
  const part = token.split(".")[1]!;
  return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
}
