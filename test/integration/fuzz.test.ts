// Property-based fuzzing (fast-check) of the public and admin endpoints, through the real Worker:
// random and adversarial bodies (JSON, forms, raw bytes, invalid UTF-8, BOMs, deep nesting, duplicate
// and prototype-pollution keys), headers (content types, odd Authorization values, huge headers, odd
// client addresses), path parameters (unicode, `..`, percent-encoding, very long) and query strings.
//
// For every request: never a 5xx, never an unhandled error; every error body has the documented shape
// { statusCode, error, message, reqId, reasonCode } and never echoes a submitted JWT or the admin key.
// Run counts are bounded so the file stays well under a minute; a failure prints fast-check's seed and
// the shrunk counterexample (re-run with `seed`/`path` in fc.assert's options to reproduce).
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { call, createIdentity, createOrg, ok } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { scenario, type Scenario } from "../support/login-scenario";

const RUNS = { login: 300, token: 200, admin: 400, paths: 200, query: 150 };

// ----------------------------------------------------------------------------------------------------
// Sending requests and checking answers

interface Sent {
  method: string;
  path: string;
  headers: [string, string][];
  body?: string | Uint8Array;
  /** Strings that must never come back in an error body. */
  secrets: string[];
}

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

/** null when the test runtime itself refuses to build the request (a header value no client can send). */
function build(req: Sent): Request | null {
  try {
    const headers = new Headers();
    for (const [k, v] of req.headers) headers.append(k, v);
    const hasBody = req.body !== undefined && req.method !== "GET" && req.method !== "HEAD";
    return new Request(`http://edge-oidc-auth.test${req.path}`, { method: req.method, headers, body: hasBody ? req.body : undefined });
  } catch {
    return null;
  }
}

async function send(req: Sent): Promise<Answer | null> {
  const request = build(req);
  if (!request) return null;
  const res = await exports.default.fetch(request);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const ERROR_KEYS = ["statusCode", "error", "message", "reqId", "reasonCode"];

function check(req: Sent, res: Answer | null): void {
  if (!res) return;
  const where = `${req.method} ${req.path.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(200);
  expect(res.status, where).toBeLessThan(500);
  if (res.status < 400) return;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    throw new Error(`error body is not JSON: ${where}`);
  }
  expect(body.statusCode, where).toBe(res.status);
  expect(typeof body.error, where).toBe("string");
  expect(typeof body.message, where).toBe("string");
  expect(body.reqId, where).toMatch(/^req-[0-9a-f-]{36}$/);
  expect(typeof body.reasonCode === "string" && body.reasonCode.length > 0, where).toBe(true);
  for (const key of Object.keys(body)) expect([...ERROR_KEYS, "details"], where).toContain(key);
  expect(res.headers.get("x-request-id"), where).toBe(body.reqId);
  if (res.status === 401 && res.headers.has("www-authenticate")) {
    expect(res.headers.get("www-authenticate"), where).toMatch(/^Bearer realm="edge-oidc-auth"(, error="invalid_token")?$/);
  }
  if (res.status === 429) expect(Number(res.headers.get("retry-after")), where).toBeGreaterThan(0);
  // Secrets shorter than 16 characters (an empty "jwt", "x") may legitimately occur in any text.
  for (const secret of [...req.secrets, env.ADMIN_API_KEY!].filter((s) => s.length >= 16)) {
    for (const part of [secret, ...secret.split(".").filter((p) => p.length >= 16)]) {
      expect(res.text.includes(part), `${where} echoes ${part.slice(0, 32)}`).toBe(false);
    }
  }
}

// Every console line the Worker writes during the fuzz; an unhandled error shows up here (and as a 500).
let consoleLines: string[] = [];
beforeEach(() => {
  consoleLines = [];
  for (const m of ["log", "warn", "error"] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(" ")));
  }
  return () => {
    vi.restoreAllMocks();
    const bad = consoleLines.filter((l) => /"level":"error"/.test(l));
    expect(bad, bad.join("\n")).toEqual([]);
  };
});

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
afterAll(() => {
  // Prototype-pollution keys in bodies changed nothing shared.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

// ----------------------------------------------------------------------------------------------------
// Arbitraries

/** encodeURIComponent, with lone surrogates (which it refuses) replaced first. */
const enc = (s: string) =>
  encodeURIComponent(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"));

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const b64urlChars = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...B64URL.split("")), minLength: min, maxLength: max });

/** Looks like a JWT (and often starts like one): what a caller would send and we must never echo. */
const jwtLike = fc.oneof(
  fc.tuple(b64urlChars(16, 120), b64urlChars(16, 400), b64urlChars(16, 200)).map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`),
  fc.tuple(b64urlChars(16, 60), b64urlChars(16, 60)).map(([h, p]) => `eyJ${h}.eyJ${p}.`),
  fc
    .tuple(b64urlChars(16, 60), b64urlChars(16, 60), b64urlChars(16, 60), b64urlChars(16, 60), b64urlChars(16, 60))
    .map((parts) => `eyJ${parts.join(".")}`), // JWE-shaped: five segments
);

const oddStrings = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "\uFEFF",
  "..",
  "../..",
  "%2e%2e",
  "%00",
  "\u202E",
  "é",
  "e\u0301",
  "𝔞",
  "😀",
  "\uD800",
  "null",
  "undefined",
  "NaN",
  "true",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "admin",
  "details",
  "x".repeat(129),
  "x".repeat(5000),
  "<script>",
  "' OR 1=1 --",
  "${7*7}",
  "%s%s%n",
);

const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  oddStrings,
);

const numbers = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 1e308, -1e308, 2 ** 53 + 1, 315360001, 2592000),
);

const KEYS = [
  "identityId",
  "jwt",
  "organizationSlug",
  "accessToken",
  "name",
  "slug",
  "organizationId",
  "role",
  "roles",
  "oidcDiscoveryUrl",
  "boundIssuer",
  "boundSubject",
  "boundAudiences",
  "boundClaims",
  "claimMetadataMapping",
  "accessTokenTTL",
  "accessTokenMaxTTL",
  "accessTokenNumUsesLimit",
  "accessTokenTrustedIps",
  "caCert",
  "jwksUrl",
  "jwksJson",
  "__proto__",
  "constructor",
  "prototype",
];

/** A body value of interest: JSON of any shape, strings, JWT-likes, ids, nested junk. */
const value = (ids: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: anyString },
    { weight: 2, arbitrary: jwtLike },
    { weight: 1, arbitrary: numbers },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...ids, "member", "admin", "no-access", "viewer", "http://127.0.0.1:1/x", "https://example.com"),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.record({ role: anyString, ipAddress: anyString }, { requiredKeys: [] }), { maxLength: 3 }) },
  );

const bodyObject = (ids: string[]) =>
  fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: anyString }), value(ids), {
    maxKeys: 8,
  });

interface Body {
  contentType: string | null;
  body: string | Uint8Array | undefined;
  jwts: string[];
}

const contentTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencoded; charset=latin1",
  "text/plain",
  "multipart/form-data; boundary=x",
  "application/jwt",
  "",
  "*/*",
  "application/json, text/plain",
  "\u00e9/\u00e9",
);

/** Whole bodies, each encoded one of many ways. The JWT-likes inside are returned for the echo check. */
const body = (ids: string[]): fc.Arbitrary<Body> =>
  fc.oneof(
    // JSON objects of known and unknown keys
    fc.tuple(bodyObject(ids), fc.constantFrom("application/json", "APPLICATION/JSON; charset=utf-8", "text/plain")).map(([o, ct]) => ({
      contentType: ct,
      body: JSON.stringify(o),
      jwts: jwtsIn(o),
    })),
    // the same as a form
    bodyObject(ids).map((o) => ({
      contentType: "application/x-www-form-urlencoded",
      body: new URLSearchParams(
        Object.entries(o).map(([k, v]) => [k, typeof v === "string" ? v : (JSON.stringify(v) ?? "")]),
      ).toString(),
      jwts: jwtsIn(o),
    })),
    // duplicate form fields
    fc.tuple(fc.constantFrom(...KEYS), jwtLike, jwtLike).map(([k, a, b]) => ({
      contentType: "application/x-www-form-urlencoded",
      body: `${enc(k)}=${a}&${enc(k)}=${b}`,
      jwts: [a, b],
    })),
    // raw JSON texts: BOM, duplicate keys, __proto__, deep nesting, non-objects
    fc
      .tuple(jwtLike, fc.constantFrom(...ids), fc.integer({ min: 1, max: 3000 }), fc.constantFrom(0, 1, 2, 3, 4, 5, 6))
      .map(([jwt, id, depth, kind]) => {
        const texts = [
          `\uFEFF{"identityId":"${id}","jwt":"${jwt}"}`,
          `{"identityId":"${id}","jwt":"x","jwt":"${jwt}"}`,
          `{"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},"identityId":"${id}","jwt":"${jwt}","name":"n"}`,
          `${"[".repeat(depth)}"${jwt}"${"]".repeat(depth)}`,
          `{"a":${'{"a":'.repeat(depth)}"${jwt}"${"}".repeat(depth)}}`,
          `"${jwt}"`,
          `{"identityId":"${id}","jwt":"${jwt}"`, // truncated
        ];
        return { contentType: "application/json", body: texts[kind]!, jwts: [jwt] };
      }),
    // raw bytes: invalid UTF-8, UTF-16, NULs, with any content type
    fc.tuple(fc.uint8Array({ maxLength: 300 }), contentTypes).map(([bytes, ct]) => ({ contentType: ct, body: bytes, jwts: [] })),
    fc.tuple(jwtLike, contentTypes).map(([jwt, ct]) => {
      const utf16 = new Uint8Array([0xff, 0xfe, ...[...`{"jwt":"${jwt}"}`].flatMap((ch) => [ch.charCodeAt(0) & 0xff, 0])]);
      return { contentType: ct, body: utf16, jwts: [jwt] };
    }),
    fc.constantFrom<Body>(
      { contentType: "application/json", body: new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), jwts: [] },
      { contentType: "application/json", body: new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), jwts: [] },
      { contentType: "application/json", body: "", jwts: [] },
      { contentType: null, body: undefined, jwts: [] },
      { contentType: "application/json", body: "x".repeat(300 * 1024), jwts: [] },
      { contentType: "application/x-www-form-urlencoded", body: "a=%ZZ&b=%&c=%E0%A4%A&%=1", jwts: [] },
    ),
  );

function jwtsIn(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") {
    if (/^eyJ[A-Za-z0-9_-]{16,}\./.test(v)) out.push(v);
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      jwtsIn(k, out);
      jwtsIn(x, out);
    }
  }
  return out;
}

/** Authorization header values; `admin` marks the real admin key (which must then never be echoed). */
const authorization = (jwt: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.constant<string | null>(null),
    fc.constant(`Bearer ${env.ADMIN_API_KEY}`),
    fc.constant(`bearer ${env.ADMIN_API_KEY}`),
    jwt.map((j) => `Bearer ${j}`),
    fc.constantFrom(
      "Bearer",
      "Bearer ",
      "Basic dXNlcjpwYXNz",
      "Bearer a b c",
      `Bearer ${env.ADMIN_API_KEY} extra`,
      `Bearer ${"a".repeat(64 * 1024)}`,
      `Bearer ${"eyJ".repeat(3000)}.x.y`,
      "Bearer ====",
      "Bearer \u00e9\u00e9",
      `Bearer ${env.ADMIN_API_KEY}\u00e9`,
      "Digest x",
      `Bearer ${env.ADMIN_API_KEY?.slice(0, -1)}`,
    ),
    anyString.map((s) => `Bearer ${s}`),
  );

/** Client addresses: always set and varied, so the fuzz neither trips nor drains other tests' buckets. */
let ipCounter = 0;
const clientIp = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom("not-an-ip", "::ffff:1.2.3.4", "999.1.1.1", "1.2.3.4, 5.6.7.8", "[::1]:443").map((s) => `${s}#${++ipCounter}`),
);

const extraHeaders = fc.array(
  fc.oneof(
    fc.tuple(
      fc.constantFrom(
        "x-forwarded-for",
        "x-real-ip",
        "forwarded",
        "content-encoding",
        "transfer-encoding",
        "x-request-id",
        "accept",
        "origin",
        "cookie",
      ),
      anyString,
    ),
    fc.tuple(fc.constant("x-huge"), fc.constant("h".repeat(32 * 1024))),
  ),
  { maxLength: 3 },
);

// ----------------------------------------------------------------------------------------------------
// Fixtures

let login: Scenario; // an identity that can really log in (its tokens are valid)
let validIdToken = "";
let accessToken = ""; // fuzzed on renew/revoke (may end up revoked)
let memberToken = ""; // a non-admin identity's token, as an admin credential on the audit log
let victim: { orgId: string; identityId: string; projectId: string } = { orgId: "", identityId: "", projectId: "" };

beforeAll(async () => {
  login = await scenario();
  validIdToken = await login.idp.mint(gitlabClaims());
  const res = await call("POST", "/api/v1/auth/oidc-auth/login", {
    body: { identityId: login.identity.id, jwt: validIdToken },
    token: null,
    ip: "192.0.2.200",
  });
  expect(res.status).toBe(200);
  accessToken = res.body.accessToken;
  const again = await call("POST", "/api/v1/auth/oidc-auth/login", {
    body: { identityId: login.identity.id, jwt: validIdToken },
    token: null,
    ip: "192.0.2.201",
  });
  memberToken = again.body.accessToken;
  const org = await createOrg();
  const identity = await createIdentity(org.id, "member");
  const project = (await ok("POST", "/api/v1/projects", { body: { name: "fuzz", organizationId: org.id } })).project;
  victim = { orgId: org.id, identityId: identity.id, projectId: project.id };
});

const ids = () => [login.identity.id, login.org.id, victim.orgId, victim.identityId, victim.projectId, crypto.randomUUID()];
/** Ids the admin fuzz may touch (and delete): never the login fixture's. */
const victimIds = () => [victim.orgId, victim.identityId, victim.projectId, crypto.randomUUID()];

/**
 * Header values as an HTTP client can send them: printable ASCII (workerd would otherwise send non-ASCII
 * as UTF-8 with a warning per request; control characters cannot be sent at all).
 */
const headerSafe = (v: string) => v.replace(/[^\x20-\x7e]/g, "?");

function headersOf(b: Body, auth: string | null, ip: string, extra: [string, string][]): [string, string][] {
  const h: [string, string][] = [["cf-connecting-ip", ip], ...extra];
  if (b.contentType !== null) h.push(["content-type", b.contentType]);
  if (auth !== null) h.push(["authorization", auth]);
  return h.map(([k, v]) => [k, headerSafe(v)]);
}

const authJwts = (auth: string | null) => (auth && /^Bearer eyJ/.test(auth) ? [auth.slice(7)] : []);

// ----------------------------------------------------------------------------------------------------
// Properties

describe("fuzz: public endpoints", () => {
  it(`login: ${RUNS.login} random and adversarial requests`, async () => {
    const loginBody = fc.oneof(
      body(ids()),
      // well-formed envelopes around hostile or real tokens
      fc
        .tuple(
          fc.constantFrom(login.identity.id, login.identity.id.toUpperCase(), crypto.randomUUID()),
          fc.oneof(jwtLike, fc.constant(validIdToken), anyString),
          fc.boolean(),
        )
        .map(
          ([identityId, jwt, form]): Body =>
            form
              ? {
                  contentType: "application/x-www-form-urlencoded",
                  body: new URLSearchParams({ identityId, jwt }).toString(),
                  jwts: [jwt],
                }
              : { contentType: "application/json", body: JSON.stringify({ identityId, jwt }), jwts: [jwt] },
        ),
    );
    await fc.assert(
      fc.asyncProperty(
        loginBody,
        authorization(jwtLike),
        clientIp,
        extraHeaders,
        fc.constantFrom("POST", "POST", "POST", "POST", "POST", "POST", "GET", "PUT"),
        async (b, auth, ip, extra, method) => {
          const req: Sent = {
            method,
            path: "/api/v1/auth/oidc-auth/login",
            headers: headersOf(b, auth, ip, extra),
            body: b.body,
            secrets: [...b.jwts, ...authJwts(auth)],
          };
          check(req, await send(req));
        },
      ),
      { numRuns: RUNS.login },
    );
  });

  it(`renew, revoke and details: ${RUNS.token} requests each`, async () => {
    const tokenBody = fc.oneof(
      body(ids()),
      fc.tuple(fc.oneof(jwtLike, anyString, fc.constant(accessToken), fc.constant(accessToken.slice(0, -2) + "AA")), fc.boolean()).map(
        ([t, form]): Body =>
          form
            ? {
                contentType: "application/x-www-form-urlencoded",
                body: new URLSearchParams({ accessToken: t }).toString(),
                jwts: [t],
              }
            : { contentType: "application/json", body: JSON.stringify({ accessToken: t }), jwts: [t] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/api/v1/auth/token/renew", "/api/v1/auth/token/revoke", "/api/v1/identities/details"),
        tokenBody,
        authorization(jwtLike),
        clientIp,
        extraHeaders,
        async (path, b, auth, ip, extra) => {
          const method = path.endsWith("details") ? "GET" : "POST";
          const req: Sent = {
            method,
            path,
            headers: headersOf(b, auth, ip, extra),
            body: b.body,
            secrets: [...b.jwts, ...authJwts(auth)],
          };
          check(req, await send(req));
        },
      ),
      { numRuns: RUNS.token },
    );
  });
});

const ADMIN_ROUTES: [string, string][] = [
  ["POST", "/api/v1/organizations"],
  ["GET", "/api/v1/organizations"],
  ["GET", "/api/v1/organizations/:a"],
  ["POST", "/api/v1/identities"],
  ["GET", "/api/v1/identities"],
  ["GET", "/api/v1/identities/:a"],
  ["PATCH", "/api/v1/identities/:a"],
  ["DELETE", "/api/v1/identities/:a"],
  ["GET", "/api/v1/identities/:a/access-tokens"],
  ["POST", "/api/v1/identities/:a/access-tokens/:b/revoke"],
  ["POST", "/api/v1/auth/oidc-auth/identities/:a"],
  ["PATCH", "/api/v1/auth/oidc-auth/identities/:a"],
  ["GET", "/api/v1/auth/oidc-auth/identities/:a"],
  ["DELETE", "/api/v1/auth/oidc-auth/identities/:a"],
  ["POST", "/api/v1/projects"],
  ["GET", "/api/v1/projects"],
  ["GET", "/api/v1/projects/:a"],
  ["DELETE", "/api/v1/projects/:a"],
  ["GET", "/api/v1/projects/:a/memberships/identities"],
  ["POST", "/api/v1/projects/:a/memberships/identities/:b"],
  ["GET", "/api/v1/projects/:a/memberships/identities/:b"],
  ["PATCH", "/api/v1/projects/:a/memberships/identities/:b"],
  ["DELETE", "/api/v1/projects/:a/memberships/identities/:b"],
  ["GET", "/api/v1/audit-logs"],
];

/** A path parameter: real ids, odd strings, unicode, traversal, percent-encoding games, very long. */
const pathParam = (known: string[]) =>
  fc.oneof(
    fc.constantFrom(...known).map(enc),
    anyString.map(enc),
    fc.constantFrom(
      "..",
      "%2e%2e",
      "%2E%2E%2F%2E%2E",
      ".%2e",
      "%2F",
      "%5C",
      "%00",
      "%ff",
      "%E0%A4%A",
      "%",
      "%%",
      "%u002e",
      "a%2Fb",
      "details",
      "__proto__",
      "constructor",
      "x".repeat(8000),
      "%ED%A0%80",
      "%C0%AE%C0%AE",
      "%F0%9F%98%80",
      "😀",
      "é",
      ";x=1",
      "%3Fq=1",
    ),
    fc.uuid().map((u) => u.toUpperCase()),
  );

describe("fuzz: admin endpoints", () => {
  it(`every admin route, with the admin key and without: ${RUNS.admin} requests`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ADMIN_ROUTES),
        pathParam(victimIds()),
        pathParam(victimIds()),
        body(victimIds()),
        authorization(jwtLike),
        clientIp,
        extraHeaders,
        async ([method, template], a, b, bd, auth, ip, extra) => {
          const path = template.replace(":a", a).replace(":b", b);
          const req: Sent = {
            method,
            path,
            headers: headersOf(bd, auth, ip, extra),
            body: bd.body,
            secrets: [...bd.jwts, ...authJwts(auth)],
          };
          check(req, await send(req));
        },
      ),
      { numRuns: RUNS.admin },
    );
  });

  it(`odd paths anywhere under /api (and unknown methods): ${RUNS.paths} requests with the admin key`, async () => {
    const segment = fc.oneof(
      pathParam(victimIds()),
      fc.constantFrom(
        "api",
        "v1",
        "identities",
        "auth",
        "oidc-auth",
        "login",
        "token",
        "projects",
        "organizations",
        "memberships",
        "audit-logs",
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 7 }),
        fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS", "HEAD", "PROPFIND"),
        fc.constantFrom("/api/v1/", "/", "//", "/api/v1//", "/api/v1/./"),
        async (segments, method, prefix) => {
          const req: Sent = {
            method,
            path: prefix + segments.join("/"),
            headers: [
              ["authorization", `Bearer ${env.ADMIN_API_KEY}`],
              ["cf-connecting-ip", "192.0.2.77"],
            ],
            secrets: [],
          };
          const res = await send(req);
          // HEAD answers carry no body to check.
          if (method === "HEAD") expect(res?.status ?? 200).toBeLessThan(500);
          else check(req, res);
        },
      ),
      { numRuns: RUNS.paths },
    );
  });

  it(`audit-log queries: ${RUNS.query} random query strings, with the admin key and a non-admin identity's token`, async () => {
    const param = fc.tuple(
      fc.constantFrom("organizationId", "identityId", "outcome", "event", "from", "to", "limit", "cursor", "__proto__", "x"),
      fc.oneof(
        anyString,
        fc.constantFrom(
          "0",
          "-1",
          "501",
          "1e3",
          "9".repeat(40),
          "2026-13-45T99:99:99Z",
          "1:1",
          `${Date.now()}:${crypto.randomUUID()}`,
          "success",
          "failure",
          "login",
        ),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(param, { maxLength: 6 }), authorization(fc.constant(memberToken)), async (params, auth) => {
        const qs = params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
        const req: Sent = {
          method: "GET",
          path: `/api/v1/audit-logs?${qs}`,
          headers: [["cf-connecting-ip", "192.0.2.78"], ...(auth ? [["authorization", headerSafe(auth)] as [string, string]] : [])],
          secrets: [memberToken],
        };
        check(req, await send(req));
      }),
      { numRuns: RUNS.query },
    );
  });
});
