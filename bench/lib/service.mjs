// Talking to edge-oidc-auth the way its users do: the admin API to set things up, login to get tokens.
// Plus one shortcut no user has: bulk rows straight into D1, to grow the identities table fast.
import { randomBytes, randomUUID } from "node:crypto";

export const CLIENT_IP = "198.51.100.7";
export const AUDIENCE = "https://edge-oidc-auth.example";

/** GitLab-shaped ID token claims, the README's example identity would accept them. */
export const gitlabClaims = () => ({
  sub: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  aud: AUDIENCE,
  namespace_id: "4242",
  namespace_path: "mygroup",
  project_id: "1234",
  project_path: "mygroup/myproject",
  user_id: "77",
  user_login: "ci-bot",
  pipeline_id: "987654",
  pipeline_source: "push",
  job_id: "1212121",
  ref: "main",
  ref_type: "branch",
  ref_path: "refs/heads/main",
  ref_protected: "true",
  runner_id: 31,
  runner_environment: "gitlab-hosted",
});

export function serviceClient(baseUrl, adminKey) {
  async function call(method, path, { body, token = adminKey } = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "cf-connecting-ip": CLIENT_IP,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text);
  }

  return {
    call,
    createOrg: async (name) => (await call("POST", "/api/v1/organizations", { body: { name } })).organization,
    createIdentity: async (organizationId, name) =>
      (await call("POST", "/api/v1/identities", { body: { organizationId, name, role: "member" } })).identity,
    /** The README's walkthrough configuration, on the given issuer. */
    attachOidc: (identityId, issuer, extra = {}) =>
      call("POST", `/api/v1/auth/oidc-auth/identities/${identityId}`, {
        body: {
          oidcDiscoveryUrl: issuer,
          boundIssuer: issuer,
          boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main",
          boundAudiences: AUDIENCE,
          boundClaims: { ref_protected: "true" },
          accessTokenTTL: 3600,
          ...extra,
        },
      }),
    login: (identityId, jwt) => call("POST", "/api/v1/auth/oidc-auth/login", { body: { identityId, jwt }, token: "-" }),
    createProject: async (organizationId, name) =>
      (await call("POST", "/api/v1/projects", { body: { organizationId, name } })).project,
    addProjectMember: (projectId, identityId, role) =>
      call("POST", `/api/v1/projects/${projectId}/memberships/identities/${identityId}`, { body: { roles: [{ role }] } }),
  };
}

/** PUT /admin/secrets on the example secrets Worker (examples/secrets-worker/README.md), with its own key. */
export async function seedSecrets(secretsUrl, secretsAdminKey, body) {
  const res = await fetch(`${secretsUrl}/admin/secrets`, {
    method: "PUT",
    headers: { authorization: `Bearer ${secretsAdminKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`PUT /admin/secrets: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Path and query of the secrets listing @infisical/sdk sends (`secrets().listSecrets({ projectId,
 * environment })`, test/clients/infisical-sdk.test.ts).
 */
export const sdkSecretsPath = (projectId, environment) =>
  `/api/v3/secrets/raw?${new URLSearchParams({
    workspaceId: projectId,
    environment,
    expandSecretReferences: "true",
    include_imports: "false",
    recursive: "false",
    secretPath: "/",
    viewSecretValue: "true",
  })}`;

/** JSON body, headers and path of one login, as a CI job sends it. */
export const loginRequest = (identityId, jwt) => ({
  method: "POST",
  path: "/api/v1/auth/oidc-auth/login",
  headers: { "content-type": "application/json", "cf-connecting-ip": CLIENT_IP },
  body: JSON.stringify({ identityId, jwt }),
});

/**
 * Grows the identities table to `total` rows with plain INSERTs (no OIDC configuration: only the
 * identities that log in need one). Each row gets a 64-hex state object id like newUniqueId() makes.
 * Returns the new identity ids.
 */
export async function growIdentities(db, orgId, total, { rowsPerStatement = 250, statementsPerBatch = 40 } = {}) {
  const current = (await db.prepare("SELECT COUNT(*) AS n FROM identities").first()).n;
  const ids = [];
  const now = new Date().toISOString();
  let statements = [];
  const flush = async () => {
    if (statements.length) await db.batch(statements.map((s) => db.prepare(s)));
    statements = [];
  };
  for (let made = current; made < total; ) {
    const rows = [];
    for (let i = 0; i < rowsPerStatement && made < total; i++, made++) {
      const id = randomUUID();
      ids.push(id);
      // every value is generated here (uuid, hex, fixed words): safe to inline
      rows.push(`('${id}','${orgId}','bulk-${made}','no-access','${randomBytes(32).toString("hex")}','${now}','${now}')`);
    }
    statements.push(`INSERT INTO identities (id, org_id, name, role, state_object, created_at, updated_at) VALUES ${rows.join(",")}`);
    if (statements.length >= statementsPerBatch) await flush();
  }
  await flush();
  return ids;
}

export async function countIdentities(db) {
  return (await db.prepare("SELECT COUNT(*) AS n FROM identities").first()).n;
}
