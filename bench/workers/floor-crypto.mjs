// Floor (a): only a login's crypto, over HTTP. Verifies one RS256 ID token with a key imported once,
// signs one ES256 token with a key imported once, with WebCrypto and nothing else: no router, no schema
// validation, no JOSE library, no storage. The login workloads are reported as a ratio to this.
//
// Bindings: IDP_JWK (the IdP's RS256 public JWK, JSON), SIGNING_KEYS (the same secret the service gets).
//
// Floor (a+w) is this Worker with the service's D1 bound as DB: it also writes what a login writes, one
// row per request (its audit event, which is also its token's ledger row: docs/architecture.md, "One row per
// login"), queued in the isolate and flushed once a second with the service's statement
// (src/storage/write-behind.ts, audit-log.ts; the SQL is mirrored
// here because these Workers run unbundled). Under Miniflare, D1 runs on the same workerd thread as the
// Worker, so this shows what the writes alone cost next to the crypto.

const enc = new TextEncoder();
const dec = new TextDecoder();

function b64urlDecode(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function b64urlEncode(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

let keys;
function loadKeys(env) {
  keys ??= (async () => {
    const idpJwk = JSON.parse(env.IDP_JWK);
    const signing = JSON.parse(env.SIGNING_KEYS);
    const ours = signing.keys.find((k) => k.kid === signing.active) ?? signing.keys[0];
    const verify = await crypto.subtle.importKey(
      "jwk",
      { kty: idpJwk.kty, n: idpJwk.n, e: idpJwk.e },
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const sign = await crypto.subtle.importKey(
      "jwk",
      { kty: ours.kty, crv: ours.crv, x: ours.x, y: ours.y, d: ours.d },
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    );
    return { verify, sign, kid: ours.kid };
  })();
  return keys;
}

const LOGIN_UPSERT = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details, first_issued_at, expires_at, max_expires_at, num_uses_limit, auth_method)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15, value->>16, value->>17
  FROM json_each(?) WHERE true
  ON CONFLICT(id) DO UPDATE SET created_at = excluded.created_at, event = excluded.event, outcome = excluded.outcome,
    org_id = excluded.org_id, identity_id = excluded.identity_id, actor = excluded.actor, client_ip = excluded.client_ip,
    country = excluded.country, colo = excluded.colo, token_id = excluded.token_id, details = excluded.details,
    first_issued_at = excluded.first_issued_at, max_expires_at = excluded.max_expires_at,
    num_uses_limit = excluded.num_uses_limit, auth_method = excluded.auth_method,
    expires_at = MAX(expires_at, excluded.expires_at), ledger_only = 0
  WHERE event = 'token.ledger'`;
const FLUSH_DELAY_MS = 1_000;
let rows = [];
let scheduled = false;

function queueLoginRows(env, ctx, claims, jti, now) {
  const identityId = "00000000-0000-4000-8000-000000000000";
  const checked = { iss: claims.iss, sub: claims.sub, aud: claims.aud, ref_protected: claims.ref_protected };
  rows.push(
    JSON.stringify([
      jti,
      Date.now(),
      "login",
      "success",
      null,
      "floor",
      identityId,
      `identity:${identityId}`,
      "198.51.100.7",
      null,
      null,
      jti,
      { claims: checked }, // embedded, as the service encodes an object's details (src/storage/audit-log.ts)
      now,
      now + 3600,
      now + 86400,
      0,
      "oidc-auth",
    ]),
  );
  if (scheduled) return;
  scheduled = true;
  ctx.waitUntil(
    new Promise((r) => setTimeout(r, FLUSH_DELAY_MS)).then(async () => {
      scheduled = false;
      const batch = rows;
      rows = [];
      await env.DB.batch([env.DB.prepare(LOGIN_UPSERT).bind(`[${batch.join(",")}]`)]);
    }),
  );
}

export default {
  async fetch(request, env, ctx) {
    const { jwt } = await request.json();
    const k = await loadKeys(env);
    const [h, p, s] = jwt.split(".");
    const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", k.verify, b64urlDecode(s), enc.encode(`${h}.${p}`));
    if (!ok) return new Response("bad signature", { status: 401 });
    const claims = JSON.parse(dec.decode(b64urlDecode(p)));
    const now = Math.floor(Date.now() / 1000);
    const header = b64urlEncode(enc.encode(JSON.stringify({ alg: "ES256", kid: k.kid, typ: "at+jwt" })));
    const jti = crypto.randomUUID();
    const payload = b64urlEncode(enc.encode(JSON.stringify({ sub: claims.sub, jti, iat: now, exp: now + 3600 })));
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, k.sign, enc.encode(`${header}.${payload}`));
    if (env.DB) queueLoginRows(env, ctx, claims, jti, now);
    return Response.json({ accessToken: `${header}.${payload}.${b64urlEncode(new Uint8Array(sig))}`, expiresIn: 3600 });
  },
};
