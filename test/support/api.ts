import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

/** An answer of the Worker (or of the consumer Worker): status, body (parsed JSON, else text), headers. */
export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * What an answer's request presented (bearer token, `jwt` and `accessToken` fields), the answer's raw text,
 * and which edge answered: the Worker's HTTP API, or an AuthService result relayed by the consumer Worker.
 * Kept beside the answer, not in it (tests compare answers whole); expectRefusal (./refusal.ts) reads it.
 */
export interface Sent {
  presented: string[];
  text: string;
  edge: "http" | "rpc";
}

const sent = new WeakMap<object, Sent>();

export const sentWith = (answer: object): Sent | undefined => sent.get(answer);

/** Reads a response the way every helper here does, remembering what its request presented. */
export async function answer(res: Response, presented: (string | undefined)[], edge: Sent["edge"] = "http"): Promise<Answer> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const out = { status: res.status, body: parsed as any, headers: res.headers };
  sent.set(out, { presented: presented.filter((p): p is string => typeof p === "string" && p.length > 0), text, edge });
  return out;
}

/** The credentials a request body carries: the login's `jwt`, renew's and revoke's `accessToken`. */
function credentialsIn(body: unknown): string[] {
  if (typeof body === "string") {
    try {
      return credentialsIn(JSON.parse(body));
    } catch {
      return new URLSearchParams(body).getAll("jwt"); // a form, or nothing we can read
    }
  }
  if (body === null || typeof body !== "object") return [];
  const { jwt, accessToken } = body as { jwt?: unknown; accessToken?: unknown };
  return [jwt, accessToken].filter((v): v is string => typeof v === "string");
}

/** Calls the real Worker through its default export, as an HTTP client would. */
export async function call(
  method: string,
  path: string,
  opts: {
    body?: unknown;
    /** a form; as `[name, value]` pairs to send a parameter more than once */
    form?: Record<string, string> | [string, string][];
    token?: string | null;
    ip?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  const bearer = opts.token === null ? undefined : (opts.token ?? env.ADMIN_API_KEY);
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
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
  const form = Array.isArray(opts.form) ? Object.fromEntries(opts.form) : opts.form;
  return answer(res, [bearer, ...credentialsIn(form ?? opts.body)]);
}

/** POSTs a raw login body with exactly this Content-Type (or none), as odd clients would. */
export async function postLoginRaw(body: string, contentType: string | null): Promise<Answer> {
  const headers: Record<string, string> = contentType === null ? {} : { "content-type": contentType };
  const res = await exports.default.fetch(
    new Request("http://edge-oidc-auth.test/api/v1/auth/oidc-auth/login", { method: "POST", headers, body }),
  );
  return answer(res, credentialsIn(body));
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
