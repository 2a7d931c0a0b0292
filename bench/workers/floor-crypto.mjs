// Floor (a): only a login's crypto, over HTTP. Verifies one RS256 ID token with a key imported once,
// signs one ES256 token with a key imported once, with WebCrypto and nothing else: no router, no schema
// validation, no JOSE library, no storage. The login workloads are reported as a ratio to this.
//
// Bindings: IDP_JWK (the IdP's RS256 public JWK, JSON), SIGNING_KEYS (the same secret the service gets).

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
      "jwk", { kty: idpJwk.kty, n: idpJwk.n, e: idpJwk.e }, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
    const sign = await crypto.subtle.importKey(
      "jwk", { kty: ours.kty, crv: ours.crv, x: ours.x, y: ours.y, d: ours.d }, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    return { verify, sign, kid: ours.kid };
  })();
  return keys;
}

export default {
  async fetch(request, env) {
    const { jwt } = await request.json();
    const k = await loadKeys(env);
    const [h, p, s] = jwt.split(".");
    const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", k.verify, b64urlDecode(s), enc.encode(`${h}.${p}`));
    if (!ok) return new Response("bad signature", { status: 401 });
    const claims = JSON.parse(dec.decode(b64urlDecode(p)));
    const now = Math.floor(Date.now() / 1000);
    const header = b64urlEncode(enc.encode(JSON.stringify({ alg: "ES256", kid: k.kid, typ: "at+jwt" })));
    const payload = b64urlEncode(enc.encode(JSON.stringify({ sub: claims.sub, jti: crypto.randomUUID(), iat: now, exp: now + 3600 })));
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, k.sign, enc.encode(`${header}.${payload}`));
    return Response.json({ accessToken: `${header}.${payload}.${b64urlEncode(new Uint8Array(sig))}`, expiresIn: 3600 });
  },
};
