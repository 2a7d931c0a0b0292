// Test-side helpers: edge-oidc-auth's admin API and login (through the AUTH_API test binding), the example
// Worker's own endpoints (through its default export), and a project with seeded secrets.
import { env, exports } from "cloudflare:workers";
import { createIdp, gitlabClaims, type TestIdp } from "../../../test/support/idp";

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

/** edge-oidc-auth over HTTP, as an admin (default) or with a given token (null: none). */
export async function authApi(method: string, path: string, body?: unknown, token: string | null = env.AUTH_ADMIN_KEY) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await env.AUTH_API.fetch(`http://edge-oidc-auth.test${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(res);
}

async function authOk(method: string, path: string, body?: unknown) {
  const res = await authApi(method, path, body);
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The example Worker, as a client calls it. */
export async function getSecrets(pathAndQuery: string, opts: { token?: string | null; ip?: string } = {}) {
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.ip) headers["cf-connecting-ip"] = opts.ip;
  return answer(await exports.default.fetch(new Request(`http://secrets.test${pathAndQuery}`, { headers })));
}

export async function seedSecrets(body: unknown, key: string | null = env.SECRETS_ADMIN_KEY) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return answer(
    await exports.default.fetch(
      new Request("http://secrets.test/admin/secrets", { method: "PUT", headers, body: JSON.stringify(body) }),
    ),
  );
}

export const SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";
export const AUDIENCE = "https://edge-oidc-auth.example";

export interface Fixture {
  idp: TestIdp;
  orgId: string;
  identityId: string;
  projectId: string;
  projectSlug: string;
  /** Logs in as the identity with a freshly minted GitLab ID token; returns the access token. */
  login(): Promise<string>;
}

/**
 * An organization, a project with secrets (production: / and /app/api; staging: /), and an identity with
 * OIDC Auth on a fresh IdP tenant and the given project role (null: not a member).
 */
export async function fixture(role: string | null, oidc: Record<string, unknown> = {}): Promise<Fixture> {
  const idp = createIdp();
  const org = (await authOk("POST", "/api/v1/organizations", { name: `org-${crypto.randomUUID().slice(0, 8)}` })).organization;
  const identity = (await authOk("POST", "/api/v1/identities", { name: "ci", organizationId: org.id })).identity;
  await authOk("POST", `/api/v1/auth/oidc-auth/identities/${identity.id}`, {
    oidcDiscoveryUrl: idp.issuer,
    boundIssuer: idp.issuer,
    boundSubject: SUBJECT,
    boundAudiences: AUDIENCE,
    ...oidc,
  });
  const project = (await authOk("POST", "/api/v1/projects", { name: "Web App", organizationId: org.id })).project;
  if (role) {
    await authOk("POST", `/api/v1/projects/${project.id}/memberships/identities/${identity.id}`, { roles: [{ role }] });
  }
  await seed(project.id, project.slug);
  return {
    idp,
    orgId: org.id,
    identityId: identity.id,
    projectId: project.id,
    projectSlug: project.slug,
    async login() {
      const jwt = await idp.mint(gitlabClaims());
      const res = await authApi("POST", "/api/v1/auth/oidc-auth/login", { identityId: identity.id, jwt }, null);
      if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
  };
}

async function seed(projectId: string, projectSlug: string) {
  for (const body of [
    { projectId, projectSlug, environment: "production", secrets: { DATABASE_URL: "postgres://prod", API_KEY: "prod-key" } },
    { projectId, environment: "production", secretPath: "/app/api", secrets: { API_TOKEN: "nested-token" } },
    { projectId, environment: "staging", secrets: { DATABASE_URL: "postgres://staging" } },
  ]) {
    const res = await seedSecrets(body);
    if (res.status !== 200) throw new Error(`seed: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The query @infisical/sdk's listSecrets sends (secrets().listSecrets({ projectId, environment })). */
export const sdkListQuery = (projectId: string, environment = "production", extra: Record<string, string> = {}) =>
  `?${new URLSearchParams({
    workspaceId: projectId,
    environment,
    expandSecretReferences: "true",
    include_imports: "false",
    recursive: "false",
    secretPath: "/",
    viewSecretValue: "true",
    ...extra,
  })}`;
