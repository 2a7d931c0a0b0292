// Floor (a): only a login's crypto, over HTTP. Verifies one RS256 ID token with a key imported once,
// signs one ES256 token with a key imported once, with WebCrypto and nothing else: no router, no schema
// validation, no JOSE library, no storage. The login workloads are reported as a ratio to this.
//
// Bindings: IDP_JWK (the IdP's RS256 public JWK, JSON), SIGNING_KEYS (the same secret the service gets),
// LOGIN_ROWS ("2": an audit row and a ledger row per login, as the service writes today; "1": the audit row
// only, for a service that writes one D1 row per login; bench/run.mjs LOGIN_D1_ROWS sets it).
//
// Floor (a+w) is this Worker with the service's D1 bound as DB: it also writes what a login writes, an
// audit row and a token ledger row per request, queued in the isolate and flushed once a second with the
// service's statements (src/storage/write-behind.ts, audit-log.ts, access-tokens.ts; the SQL is mirrored
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

const AUDIT_INSERT = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12 FROM json_each(?)`;
const LEDGER_UPSERT = `INSERT INTO access_tokens (id, identity_id, org_id, auth_method, first_issued_at, expires_at,
    max_expires_at, num_uses_limit, client_ip)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8
  FROM json_each(?) WHERE true
  ON CONFLICT(id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`;
const FLUSH_DELAY_MS = 1_000;
let audit = [];
let ledger = [];
let scheduled = false;

function queueLoginRows(env, ctx, claims, jti, now) {
  const identityId = "00000000-0000-4000-8000-000000000000";
  const checked = { iss: claims.iss, sub: claims.sub, aud: claims.aud, ref_protected: claims.ref_protected };
  audit.push(
    JSON.stringify([
      crypto.randomUUID(),
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
      JSON.stringify({ claims: checked }),
    ]),
  );
  if (env.LOGIN_ROWS !== "1")
    ledger.push(JSON.stringify([jti, identityId, "floor", "oidc-auth", now, now + 3600, now + 86400, 0, "198.51.100.7"]));
  if (scheduled) return;
  scheduled = true;
  ctx.waitUntil(
    new Promise((r) => setTimeout(r, FLUSH_DELAY_MS)).then(async () => {
      scheduled = false;
      const [a, l] = [audit, ledger];
      audit = [];
      ledger = [];
      const statements = [env.DB.prepare(AUDIT_INSERT).bind(`[${a.join(",")}]`)];
      if (l.length) statements.push(env.DB.prepare(LEDGER_UPSERT).bind(`[${l.join(",")}]`));
      await env.DB.batch(statements);
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
