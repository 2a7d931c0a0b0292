// A downstream Worker of edge-oidc-auth, and the reference for writing one: it serves the part of
// Infisical's secrets API that Infisical's clients read (the Node/Go SDKs and older CLIs:
// GET /api/v3/secrets/raw[/:name]; current CLIs, `infisical run`: GET /api/v4/secrets[/:name]) from its own
// D1 database, and lets an access token read a project's secrets only when its identity's project role
// allows it. Every token check is one call to edge-oidc-auth's AuthService over a service binding.
//
// What it does not do (it is an example): secret imports (`imports` is always empty), secret references
// (values come back as stored), personal secrets, tags, writes through the API. Seed secrets with
// PUT /admin/secrets (bearer SECRETS_ADMIN_KEY), see README.md.
import { isIpAddress } from "../../../src/net/ip-ranges";
import type { AuthenticateFailure, AuthServiceBinding } from "../../../src/rpc/types";

export interface Env {
  /** services = [{ binding = "AUTH", service = "edge-oidc-auth", entrypoint = "AuthService" }] */
  AUTH: AuthServiceBinding;
  DB: D1Database;
  /** Secret: bearer key of PUT /admin/secrets. Unset: seeding is refused. */
  SECRETS_ADMIN_KEY?: string;
}

/** Project roles that may read secrets. `no-access`, and no membership at all, may not. */
const READ_ROLES = new Set(["admin", "member", "viewer"]);

const SECRETS_PATH = /^\/api\/(?:v3\/secrets\/raw|v4\/secrets)(?:\/([^/]+))?\/?$/;

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    const match = SECRETS_PATH.exec(url.pathname);
    if (match && request.method === "GET") {
      const name = match[1] === undefined ? null : safeDecode(match[1]);
      if (name === undefined) return error(422, "invalid_request", "The secret name is not valid percent-encoding");
      return readSecrets(request, env, url.searchParams, name);
    }
    if (url.pathname === "/admin/secrets" && request.method === "PUT") return seedSecrets(request, env);
    // A path served under another method: 405 with the one it takes (RFC 9110 §15.5.6), as edge-oidc-auth answers.
    const allowed = match ? "GET" : url.pathname === "/admin/secrets" ? "PUT" : null;
    if (allowed) return error(405, "method_not_allowed", `This endpoint takes ${allowed}`, { Allow: allowed });
    return error(404, "route_not_found", "No such endpoint");
  },
} satisfies ExportedHandler<Env>;

// ---- reading ---------------------------------------------------------------------------------------

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The query Infisical's clients send; both spellings of each parameter are accepted. */
interface SecretsQuery {
  /** `workspaceId` (SDKs, GitHub Action with project-id, older CLIs) or `projectId` (v4, current CLIs) */
  projectId: string | null;
  /** `workspaceSlug` (Infisical's GitHub Action with project-slug) */
  projectSlug: string | null;
  environment: string;
  secretPath: string;
  recursive: boolean;
  viewSecretValue: boolean;
}

/** The longest project id AuthService takes (docs/consumers.md); a longer one names no project. */
const MAX_PROJECT_ID_LENGTH = 128;

function parseQuery(q: URLSearchParams): SecretsQuery | string {
  const projectId = q.get("workspaceId") || q.get("projectId") || null;
  const projectSlug = q.get("workspaceSlug") || null;
  if (!projectId && !projectSlug) return "workspaceId (or projectId, or workspaceSlug) is required";
  if (projectId && projectId.length > MAX_PROJECT_ID_LENGTH) {
    return `workspaceId (or projectId) must be at most ${MAX_PROJECT_ID_LENGTH} characters`;
  }
  const environment = q.get("environment");
  if (!environment) return "environment is required";
  const secretPath = normalizePath(q.get("secretPath") || "/");
  if (secretPath === null) return "secretPath must be an absolute folder path such as / or /app/api";
  return {
    projectId,
    projectSlug,
    environment,
    secretPath,
    recursive: q.get("recursive") === "true",
    viewSecretValue: q.get("viewSecretValue") !== "false",
  };
}

/** `/`, `/a`, `/a/b` (a trailing slash is dropped); null for anything else. */
function normalizePath(path: string): string | null {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return /^\/$|^(\/[A-Za-z0-9_.-]+)+$/.test(trimmed) && !/\/\.\.?(\/|$)/.test(trimmed) ? trimmed : null;
}

async function readSecrets(request: Request, env: Env, params: URLSearchParams, secretName: string | null): Promise<Response> {
  // Malformed requests are refused before the token is used (a use counts against max uses).
  const query = parseQuery(params);
  if (typeof query === "string") return error(422, "invalid_request", query);

  const projectId = query.projectId ?? (await projectIdOfSlug(env.DB, query.projectSlug!));
  // One use of the token, with every rule edge-oidc-auth applies (expiry, revocation, max uses, trusted
  // IPs against the address Cloudflare saw), and the identity's roles in this project.
  const auth = await env.AUTH.authenticate(request.headers.get("authorization") ?? "", {
    clientIp: clientIpOf(request),
    ...(projectId ? { projectId } : {}),
  });
  if (!auth.ok) return refusal(auth);
  if (!projectId || !auth.projectId) return error(404, "project_not_found", "No project has this slug");
  const roles = auth.projectRoles ?? [];
  if (roles.length === 0) {
    return error(
      403,
      "not_a_project_member",
      "The identity holds no role in this project now (no membership, or no temporary role in force)",
    );
  }
  if (!roles.some((role) => READ_ROLES.has(role))) {
    return error(403, "project_role_forbidden", `The identity's project role (${roles.join(", ")}) may not read secrets`);
  }

  const { environment, secretPath, viewSecretValue } = query;
  // The project id as edge-oidc-auth stores it: an id sent in upper case names the same project.
  const project = auth.projectId;
  if (secretName !== null) {
    const row = await env.DB.prepare(
      "SELECT * FROM secrets WHERE project_id = ? AND environment = ? AND secret_path = ? AND secret_key = ?",
    )
      .bind(project, environment, secretPath, secretName)
      .first<SecretRow>();
    if (!row) return error(404, "secret_not_found", `No secret ${secretName} in ${environment}:${secretPath}`);
    return json({ secret: toSecret(row, viewSecretValue) });
  }
  // recursive: the folder and every folder below it
  const below = secretPath === "/" ? "/%" : `${secretPath.replace(/[\\%_]/g, "\\$&")}/%`;
  const { results } = await env.DB.prepare(
    `SELECT * FROM secrets WHERE project_id = ? AND environment = ?
       AND (secret_path = ? OR (? AND secret_path LIKE ? ESCAPE '\\'))
     ORDER BY secret_path, secret_key`,
  )
    .bind(project, environment, secretPath, query.recursive ? 1 : 0, below)
    .all<SecretRow>();
  return json({ secrets: results.map((r) => toSecret(r, viewSecretValue)), imports: [] });
}

/**
 * The caller's address for AuthService: CF-Connecting-IP, which Cloudflare sets to the address it saw. Only a
 * local client can send one that is no address; that is an unknown address (null), as edge-oidc-auth's HTTP
 * API reads it, rather than an argument AuthService would refuse as this Worker's bug (400 invalid_arguments).
 */
function clientIpOf(request: Request): string | null {
  const ip = request.headers.get("cf-connecting-ip");
  return ip !== null && isIpAddress(ip) ? ip : null;
}

async function projectIdOfSlug(db: D1Database, slug: string): Promise<string | null> {
  return db.prepare("SELECT project_id FROM project_slugs WHERE slug = ?").bind(slug).first<string>("project_id");
}

interface SecretRow {
  id: string;
  project_id: string;
  environment: string;
  secret_path: string;
  secret_key: string;
  secret_value: string;
  secret_comment: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Infisical's raw secret shape (v3 and v4 field names), as its clients read it. */
function toSecret(r: SecretRow, viewSecretValue: boolean) {
  return {
    id: r.id,
    _id: r.id,
    workspace: r.project_id,
    workspaceId: r.project_id,
    environment: r.environment,
    secretPath: r.secret_path,
    secretKey: r.secret_key,
    secretValue: viewSecretValue ? r.secret_value : "<hidden-by-infisical>",
    secretValueHidden: !viewSecretValue,
    secretComment: r.secret_comment,
    type: "shared",
    version: r.version,
    tags: [],
    secretMetadata: [],
    skipMultilineEncoding: false,
    isRotatedSecret: false,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

// ---- seeding ---------------------------------------------------------------------------------------

interface SeedBody {
  projectId: string;
  /** Also register this slug for the project (for clients that send workspaceSlug). */
  projectSlug?: string;
  environment: string;
  secretPath?: string;
  secrets: Record<string, string>;
}

const SECRET_KEY = /^[A-Za-z0-9_.-]{1,256}$/;

function parseSeed(body: unknown): SeedBody | string {
  const b = body as Partial<SeedBody> | null;
  if (!b || typeof b !== "object") return "a JSON object is required";
  if (typeof b.projectId !== "string" || !b.projectId) return "projectId is required";
  if (b.projectSlug !== undefined && (typeof b.projectSlug !== "string" || !b.projectSlug)) return "projectSlug must be a string";
  if (typeof b.environment !== "string" || !b.environment) return "environment is required";
  if (b.secretPath !== undefined && (typeof b.secretPath !== "string" || normalizePath(b.secretPath) === null)) {
    return "secretPath must be an absolute folder path";
  }
  if (!b.secrets || typeof b.secrets !== "object" || Array.isArray(b.secrets)) return "secrets must be an object";
  for (const [key, value] of Object.entries(b.secrets)) {
    if (!SECRET_KEY.test(key)) return `invalid secret name ${JSON.stringify(key.slice(0, 64))}`;
    if (typeof value !== "string") return `secret ${key} must be a string`;
  }
  // edge-oidc-auth's ids are lower-case UUIDs; one sent in upper case names the same project.
  const projectId = /^[0-9a-f-]{36}$/i.test(b.projectId) ? b.projectId.toLowerCase() : b.projectId;
  return { ...(b as SeedBody), projectId };
}

/** PUT /admin/secrets: creates or updates secrets (a changed value gets the next version). */
async function seedSecrets(request: Request, env: Env): Promise<Response> {
  const presented = (request.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
  if (!env.SECRETS_ADMIN_KEY || !(await sameSecret(presented, env.SECRETS_ADMIN_KEY))) {
    return error(401, "credentials_invalid", "Send Authorization: Bearer <SECRETS_ADMIN_KEY>");
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return error(422, "invalid_request", "The body is not JSON");
  }
  const seed = parseSeed(body);
  if (typeof seed === "string") return error(422, "invalid_request", seed);

  const now = new Date().toISOString();
  const path = normalizePath(seed.secretPath ?? "/")!;
  const upsert = env.DB.prepare(
    `INSERT INTO secrets (id, project_id, environment, secret_path, secret_key, secret_value, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project_id, environment, secret_path, secret_key) DO UPDATE
       SET secret_value = excluded.secret_value, version = version + 1, updated_at = excluded.updated_at
       WHERE secret_value <> excluded.secret_value`,
  );
  const statements = Object.entries(seed.secrets).map(([key, value]) =>
    upsert.bind(crypto.randomUUID(), seed.projectId, seed.environment, path, key, value, now, now),
  );
  if (seed.projectSlug) {
    statements.push(
      env.DB.prepare(
        "INSERT INTO project_slugs (slug, project_id) VALUES (?, ?) ON CONFLICT (slug) DO UPDATE SET project_id = excluded.project_id",
      ).bind(seed.projectSlug, seed.projectId),
    );
  }
  if (statements.length) await env.DB.batch(statements);
  return json({ upserted: Object.keys(seed.secrets).length });
}

/** Constant-time comparison: both sides hashed to equal length first. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const digest = (s: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  return crypto.subtle.timingSafeEqual(x, y);
}

// ---- responses -------------------------------------------------------------------------------------

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });

/** The error shape edge-oidc-auth (and Infisical) use, so clients print the same kind of message. */
function error(status: number, reasonCode: string, message: string, headers: Record<string, string> = {}): Response {
  const body = { statusCode: status, error: STATUS_TEXT[status] ?? "Error", message, reqId: `req-${crypto.randomUUID()}`, reasonCode };
  return json(body, status, headers);
}

/**
 * A refused token, as AuthService reported it. Its 400 means this Worker called it wrongly (a bug here,
 * not the caller's fault): answer 500 rather than blame the caller.
 */
function refusal(auth: AuthenticateFailure): Response {
  if (auth.status === 400) return error(500, "internal_error", "Token validation was called incorrectly");
  const headers: Record<string, string> = auth.status === 401 ? { "WWW-Authenticate": 'Bearer realm="secrets"' } : {};
  if (auth.status === 503) headers["Retry-After"] = "1";
  return error(auth.status, auth.reasonCode, auth.message, headers);
}
