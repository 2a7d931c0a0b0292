// Local OpenID Connect identity provider for the test suite. Runs in Node (started by global-setup.ts);
// the Worker under test reaches it over loopback.
//
// Multi-tenant, so test files stay isolated: tenant T has
//   issuer     http://127.0.0.1:PORT/t/T
//   discovery  /t/T/.well-known/openid-configuration
//   JWKS       /t/T/jwks
//   control    /t/T/_control/<op>   (JSON in/out, see `controlRoutes` below; never affected by behaviour)
// A tenant is created on the first request that names it, with one RS256, one ES256 and one EdDSA key.
//
// Type-stripping friendly (no enums, namespaces or parameter properties) so it also runs under
// `node --experimental-strip-types`.

import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

// ---------------------------------------------------------------------------------------------------
// Wire types shared with the in-Worker helper (test/support/idp.ts imports them as types only).

export type SigningAlg = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512" | "EdDSA" | "Ed25519";

export type BehaviourMode = "ok" | "down" | "error500" | "slow" | "oversized" | "html" | "redirect";

/** How the public endpoints (discovery, JWKS) misbehave. Each POST replaces the previous behaviour; `{}` resets. */
export interface Behaviour {
  /** ok (default) | down: socket destroyed, no answer | error500 | slow: wait delayMs, then answer normally |
   *  oversized: valid JSON > 2 MB, chunked, no Content-Length | html: 200 text/html | redirect: 302 to the
   *  same path on tenant `redirectTo`. */
  mode?: BehaviourMode;
  /** Delay before answering, in any mode. Default 5000 for 'slow', else 0. */
  delayMs?: number;
  /** Apply mode/delayMs only to this endpoint (default both). */
  only?: "discovery" | "jwks";
  /** Tenant that 'redirect' points at (default `<tenant>-redirected`, a normal tenant with its own keys). */
  redirectTo?: string;
  /** Replaces the `issuer` field of the discovery document. */
  issuerOverride?: string;
  /** Served verbatim as the JWKS document. */
  jwksOverride?: unknown;
  /** Shallow-merged over the discovery document; a `null` value removes that field. */
  discoveryOverride?: Record<string, unknown>;
  /** Mode 'ok' only: answer with this HTTP status instead of 200. */
  status?: number;
  /** Mode 'ok' only: answer with this Content-Type instead of application/json. */
  contentType?: string;
  /** Mode 'ok' only: answer with this text verbatim instead of the JSON document (e.g. '[]', '{"a":'). */
  body?: string;
}

export interface MintRequest {
  /** Claims; they override the defaults (iss = tenant issuer, iat = nbf = now, exp = now + expiresIn, jti). */
  claims: Record<string, unknown> | string;
  /** Default RS256 (or the alg of the key named by `kid`). Signs with the tenant's current key for the alg,
   *  generating and publishing one first if the tenant has none. */
  alg?: SigningAlg;
  /** Sign with this published key; if no published key has this kid, sign with the current key for `alg`
   *  and just put this kid in the header. */
  kid?: string;
  /** Extra/override protected-header fields, applied last (`alg` here only lies; the signature still uses
   *  the key's real algorithm). A `null` value removes the field, e.g. `{ kid: null }`. */
  header?: Record<string, unknown>;
  /** Seconds until exp (default 300; negative for already-expired tokens). */
  expiresIn?: number;
  /** Claim names to leave out of the payload, e.g. ['exp']. */
  omit?: string[];
  /** Payload is exactly `claims` (no default claims); a string `claims` is used verbatim as the payload. */
  raw?: boolean;
  /** The protected header's JSON text, verbatim (e.g. with a duplicate member); `header` is then ignored. */
  rawHeader?: string;
}

export interface IdpStats {
  /** Discovery / JWKS requests received for the tenant (counted on arrival, whatever the behaviour). */
  discovery: number;
  jwks: number;
}

export interface JwkPair {
  privateJwk: JWK;
  publicJwk: JWK;
}

// ---------------------------------------------------------------------------------------------------
// node:http, typed locally: the project type-checks against workers-types only (no @types/node).

interface NodeRequest extends AsyncIterable<Uint8Array> {
  method?: string;
  url?: string;
  socket: { destroy(): void };
}
interface NodeResponse {
  headersSent: boolean;
  writeHead(status: number, headers?: Record<string, string>): unknown;
  write(chunk: string): boolean;
  end(body?: string): unknown;
}
interface NodeServer {
  listen(port: number, host: string, onListening: () => void): unknown;
  once(event: "error", listener: (err: Error) => void): unknown;
  address(): { port: number } | string | null;
  close(onClosed: (err?: Error) => void): unknown;
  closeAllConnections(): void;
}
const http = process.getBuiltinModule("node:http") as {
  createServer(handler: (req: NodeRequest, res: NodeResponse) => void): NodeServer;
};

// ---------------------------------------------------------------------------------------------------

interface Key {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  privateJwk: JWK;
  publicJwk: JWK;
}

interface Tenant {
  name: string;
  issuer: string;
  /** Published keys, oldest first. The current key for an alg is the newest one with that alg. */
  keys: Key[];
  behaviour: Behaviour;
  stats: IdpStats;
}

class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const DEFAULT_ALGS: SigningAlg[] = ["RS256", "ES256", "EdDSA"];
const TENANT_NAME = /^[A-Za-z0-9._-]{1,100}$/;

async function newKey(alg: SigningAlg): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwkOf = async (k: CryptoKey): Promise<JWK> => {
    const { key_ops: _ops, ext: _ext, ...jwk } = await exportJWK(k);
    return jwk;
  };
  const publicJwk = await jwkOf(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg,
    privateKey,
    publicJwk: { ...publicJwk, kid, alg, use: "sig" },
    privateJwk: { ...(await jwkOf(privateKey)), kid, alg, use: "sig" },
  };
}

function signParams(alg: string): SubtleCryptoSignAlgorithm {
  if (alg.startsWith("RS")) return { name: "RSASSA-PKCS1-v1_5" };
  if (alg.startsWith("PS")) return { name: "RSA-PSS", saltLength: Number(alg.slice(2)) / 8 };
  if (alg.startsWith("ES")) return { name: "ECDSA", hash: `SHA-${alg.slice(2)}` };
  return { name: "Ed25519" };
}

/** Compact JWS by hand, so the header may say anything (jose would refuse a lying `alg`). */
async function sign(key: Key, header: Record<string, unknown> | string, payload: string): Promise<string> {
  const enc = (s: string) => base64url.encode(new TextEncoder().encode(s));
  const input = `${enc(typeof header === "string" ? header : JSON.stringify(header))}.${enc(payload)}`;
  const signature = await crypto.subtle.sign(signParams(key.alg), key.privateKey, new TextEncoder().encode(input));
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

function withoutNulls(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null));
}

async function readJson(req: NodeRequest): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of req) text += decoder.decode(chunk, { stream: true });
  text += decoder.decode();
  if (!text) return {};
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, "body must be a JSON object");
}

function send(res: NodeResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(body);
}

function sendJson(res: NodeResponse, status: number, body: unknown): void {
  send(res, status, "application/json", JSON.stringify(body));
}

export interface IdpServer {
  /** http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

export async function startIdpServer(port = 0): Promise<IdpServer> {
  let baseUrl = "";
  const tenants = new Map<string, Promise<Tenant>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  function tenant(name: string): Promise<Tenant> {
    if (!TENANT_NAME.test(name)) throw new HttpError(400, `bad tenant name ${JSON.stringify(name)}`);
    let t = tenants.get(name);
    if (!t) {
      t = Promise.all(DEFAULT_ALGS.map(newKey)).then((keys) => ({
        name,
        issuer: `${baseUrl}/t/${name}`,
        keys,
        behaviour: {},
        stats: { discovery: 0, jwks: 0 },
      }));
      tenants.set(name, t);
    }
    return t;
  }

  async function currentKey(t: Tenant, alg: SigningAlg): Promise<Key> {
    const existing = t.keys.findLast((k) => k.alg === alg);
    if (existing) return existing;
    const key = await newKey(alg);
    t.keys.push(key);
    return key;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function discoveryDocument(t: Tenant): Record<string, unknown> {
    const doc = {
      issuer: t.behaviour.issuerOverride ?? t.issuer,
      jwks_uri: `${t.issuer}/jwks`,
      id_token_signing_alg_values_supported: [...new Set(t.keys.map((k) => k.alg))],
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      claims_supported: ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"],
    };
    return withoutNulls({ ...doc, ...t.behaviour.discoveryOverride });
  }

  function jwksDocument(t: Tenant): unknown {
    return t.behaviour.jwksOverride ?? { keys: t.keys.map((k) => k.publicJwk) };
  }

  async function servePublic(t: Tenant, endpoint: "discovery" | "jwks", path: string, req: NodeRequest, res: NodeResponse) {
    t.stats[endpoint]++;
    const b = t.behaviour;
    const applies = !b.only || b.only === endpoint;
    const mode = applies ? (b.mode ?? "ok") : "ok";
    const delayMs = applies ? (b.delayMs ?? (mode === "slow" ? 5000 : 0)) : 0;
    if (delayMs > 0) await sleep(delayMs);

    const body = endpoint === "discovery" ? discoveryDocument(t) : jwksDocument(t);
    switch (mode) {
      case "down":
        req.socket.destroy();
        return;
      case "error500":
        return sendJson(res, 500, { error: "server_error" });
      case "html":
        return send(res, 200, "text/html; charset=utf-8", "<!doctype html><html><body><h1>Sign in</h1></body></html>");
      case "redirect": {
        const target = await tenant(b.redirectTo ?? `${t.name}-redirected`);
        res.writeHead(302, { location: `${target.issuer}${path}` });
        res.end();
        return;
      }
      case "oversized": {
        // Valid JSON of ~3 MB, written in chunks so there is no Content-Length to reject up front.
        const big = JSON.stringify({ ...(body as object), padding: "x".repeat(3 * 1024 * 1024) });
        res.writeHead(200, { "content-type": "application/json" });
        for (let i = 0; i < big.length; i += 64 * 1024) res.write(big.slice(i, i + 64 * 1024));
        res.end();
        return;
      }
      default:
        if (applies && (b.status !== undefined || b.contentType !== undefined || b.body !== undefined)) {
          return send(res, b.status ?? 200, b.contentType ?? "application/json", b.body ?? JSON.stringify(body));
        }
        return sendJson(res, 200, body);
    }
  }

  const controlRoutes: Record<string, (t: Tenant, body: Record<string, unknown>) => Promise<unknown>> = {
    async "POST mint"(t, body) {
      const req = body as unknown as MintRequest;
      const named = req.kid === undefined ? undefined : t.keys.find((k) => k.kid === req.kid);
      if (named && req.alg && named.alg !== req.alg) {
        throw new HttpError(400, `key ${named.kid} is ${named.alg}, not ${req.alg} (use header.alg to lie)`);
      }
      const key = named ?? (await currentKey(t, req.alg ?? "RS256"));
      const claims = req.claims ?? {};
      let payload: string;
      if (typeof claims === "string") {
        payload = claims;
      } else {
        const now = Math.floor(Date.now() / 1000);
        const defaults = req.raw
          ? {}
          : { iss: t.issuer, iat: now, nbf: now, exp: now + (req.expiresIn ?? 300), jti: crypto.randomUUID() };
        const all: Record<string, unknown> = { ...defaults, ...claims };
        for (const name of req.omit ?? []) delete all[name];
        payload = JSON.stringify(all);
      }
      const header = withoutNulls({ alg: key.alg, kid: req.kid ?? key.kid, typ: "JWT", ...req.header });
      return { token: await sign(key, req.rawHeader ?? header, payload) };
    },
    async "POST rotate"(t, body) {
      const key = await newKey((body.alg as SigningAlg | undefined) ?? "RS256");
      t.keys.push(key);
      return { kid: key.kid };
    },
    async "POST retire"(t, body) {
      const before = t.keys.length;
      t.keys = t.keys.filter((k) => k.kid !== body.kid);
      if (t.keys.length === before) throw new HttpError(404, `no published key ${JSON.stringify(body.kid)}`);
      return { ok: true };
    },
    async "POST behaviour"(t, body) {
      t.behaviour = body as Behaviour;
      return { ok: true };
    },
    async "GET stats"(t) {
      return t.stats;
    },
    async "POST reset-stats"(t) {
      t.stats = { discovery: 0, jwks: 0 };
      return { ok: true };
    },
    async "GET keys"(t) {
      return { keys: t.keys.map((k) => k.privateJwk) };
    },
    async "POST jwk-pair"(_t, body) {
      const key = await newKey((body.alg as SigningAlg | undefined) ?? "RS256");
      return { privateJwk: key.privateJwk, publicJwk: key.publicJwk } satisfies JwkPair;
    },
  };

  async function handle(req: NodeRequest, res: NodeResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? "/", baseUrl);
    const match = /^\/t\/([^/]+)(\/.*)?$/.exec(pathname);
    if (!match) return sendJson(res, 404, { error: "not found" });
    const t = await tenant(decodeURIComponent(match[1] ?? ""));
    const path = match[2] ?? "";
    const method = req.method ?? "GET";

    if (method === "GET" && path === "/.well-known/openid-configuration") return servePublic(t, "discovery", path, req, res);
    if (method === "GET" && path === "/jwks") return servePublic(t, "jwks", path, req, res);
    if (path.startsWith("/_control/")) {
      const route = controlRoutes[`${method} ${path.slice("/_control/".length)}`];
      if (route) return sendJson(res, 200, await route(t, method === "POST" ? await readJson(req) : {}));
    }
    sendJson(res, 404, { error: `no route ${method} ${path}` });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      const status = err instanceof HttpError ? err.status : 500;
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("test IdP: unexpected server address");
  baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    url: baseUrl,
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
