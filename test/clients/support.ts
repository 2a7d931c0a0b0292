// Helpers of the clients tests (Node): exact HTTP requests as a given client sends them, the admin API,
// the local IdP, and an identity + project + secrets ready for a pipeline.
import { inject } from "vitest";
import { ADMIN_KEY, SECRETS_ADMIN_KEY } from "./keys";

export const baseUrl = () => inject("baseUrl");

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

// node:http, typed locally: the project type-checks against workers-types only (no @types/node).
interface NodeClientRequest {
  on(event: "error", listener: (err: Error) => void): unknown;
  end(body?: string): unknown;
}
interface NodeIncomingMessage extends AsyncIterable<Uint8Array> {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
}
const zlib = process.getBuiltinModule("node:zlib") as Record<
  "gunzipSync" | "brotliDecompressSync" | "inflateSync",
  (b: Uint8Array) => Uint8Array
>;
const http = process.getBuiltinModule("node:http") as {
  request(
    url: string,
    options: { method: string; headers: Record<string, string> },
    onResponse: (res: NodeIncomingMessage) => void,
  ): NodeClientRequest;
};

/**
 * One request with exactly these headers (plus Host and, with a body, Content-Length, which every
 * client sends; Node adds `Connection: keep-alive`). fetch() is not used on purpose: it adds headers of
 * its own (Accept, Accept-Language, Sec-Fetch-Mode, User-Agent) that the imitated clients do not send.
 * A compressed answer (the clients send Accept-Encoding) is decompressed, as the clients do.
 */
export function wire(method: string, path: string, headers: Record<string, string>, body?: string): Promise<WireResponse> {
  const all = body === undefined ? headers : { ...headers, "Content-Length": String(new TextEncoder().encode(body).byteLength) };
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl()}${path}`, { method, headers: all }, async (res) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of res) chunks.push(chunk);
      const encoding = String(res.headers["content-encoding"] ?? "");
      const raw = concat(chunks);
      const body =
        encoding === "gzip"
          ? zlib.gunzipSync(raw)
          : encoding === "br"
            ? zlib.brotliDecompressSync(raw)
            : encoding === "deflate"
              ? zlib.inflateSync(raw)
              : raw;
      const text = new TextDecoder().decode(body);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
    });
    req.on("error", reject);
    req.end(body);
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

async function request(url: string, method: string, body: unknown, token: string | null) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** The admin API, with the admin key (set up the way docs/gitlab.md does it). */
export const admin = (method: string, path: string, body?: unknown) => request(`${baseUrl()}${path}`, method, body, ADMIN_KEY);

/** PUT /admin/secrets on the example secrets Worker (its own admin key). */
export const seedSecrets = (body: unknown) => request(`${inject("secretsDirectUrl")}/admin/secrets`, "PUT", body, SECRETS_ADMIN_KEY);

/** A tenant of the local IdP: issuer URL and minting (what GitLab or GitHub would sign). */
export function idpTenant(name = `c${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`) {
  const issuer = `${inject("idpUrl")}/t/${name}`;
  return {
    issuer,
    async mint(claims: Record<string, unknown>): Promise<string> {
      const res = await fetch(`${issuer}/_control/mint`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ claims }),
      });
      if (!res.ok) throw new Error(`mint: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
  };
}

export interface Pipeline {
  issuer: string;
  mint(claims: Record<string, unknown>): Promise<string>;
  identityId: string;
  projectId: string;
  projectSlug: string;
  orgId: string;
}

/**
 * What an admin sets up once (docs/gitlab.md, docs/github-actions.md): an organization, a machine identity
 * whose OIDC Auth trusts the given issuer with `oidc` bindings, a project the identity may read (role
 * `viewer`), and the project's secrets in the example secrets Worker.
 */
export async function setUpPipeline(oidc: Record<string, unknown>, role = "viewer"): Promise<Pipeline> {
  const idp = idpTenant();
  const org = (await admin("POST", "/api/v1/organizations", { name: `Acme ${crypto.randomUUID().slice(0, 6)}` })).organization;
  const identity = (await admin("POST", "/api/v1/identities", { name: "ci-deployer", organizationId: org.id })).identity;
  await admin("POST", `/api/v1/auth/oidc-auth/identities/${identity.id}`, {
    oidcDiscoveryUrl: idp.issuer,
    boundIssuer: idp.issuer,
    accessTokenTTL: 3600,
    accessTokenMaxTTL: 7200,
    ...oidc,
  });
  const project = (await admin("POST", "/api/v1/projects", { name: "My Project", organizationId: org.id })).project;
  await admin("POST", `/api/v1/projects/${project.id}/memberships/identities/${identity.id}`, { roles: [{ role }] });
  await seedSecrets({
    projectId: project.id,
    projectSlug: project.slug,
    environment: "production",
    secrets: { DATABASE_URL: "postgres://db.internal/prod", DEPLOY_TOKEN: "s3cr3t-deploy-token" },
  });
  await seedSecrets({ projectId: project.id, environment: "production", secretPath: "/build", secrets: { NPM_TOKEN: "npm-token" } });
  return { ...idp, identityId: identity.id, projectId: project.id, projectSlug: project.slug, orgId: org.id };
}

export { gitlabClaims, githubClaims } from "../support/ci-claims";
