// Hostile or sloppy key sets (issue 4, docs/security.md "Key sets"): which published keys are used, and
// that keys are always scoped to the configured issuer. The IdP's JWKS is replaced with `jwksOverride`;
// tokens are signed by the tenant's real keys (or keys made here) so that only the key filter decides.
import { base64url, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { parseJwks, rejectKey, rsaModulusBits } from "../../src/oidc/jwks";
import { setupIdentity, login } from "../support/api";
import { createIdp, gitlabClaims, publicJwk, signJws } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { AUDIENCE, expectIssued, GITLAB_SUBJECT, scenario, type Scenario } from "../support/scenario";

const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (issuer: string) => ({
  ...gitlabClaims(),
  iss: issuer,
  iat: now(),
  nbf: now(),
  exp: now() + 300,
  jti: crypto.randomUUID(),
});

/** The tenant's RS256 key (private JWK) and a token it signed with header kid `kid`. */
async function rsaToken(s: Scenario, kid: string): Promise<{ key: JWK; jwt: string }> {
  const key = (await s.idp.keys()).find((k) => k.alg === "RS256")!;
  return { key, jwt: await s.idp.mint(gitlabClaims(), { kid: key.kid, header: { kid } }) };
}

/**
 * Publishes `keys` as the tenant's JWKS, after one usable key no test token names (another kid, an alg no
 * test signs with): a JWKS with no usable key at all is an unusable answer of the IdP (503, stale copies
 * kept: idp-failures.test.ts), so this keeps each case about which of the published keys the filter drops.
 */
async function publish(s: Scenario, keys: unknown[]) {
  const rsa = (await s.idp.keys()).find((k) => k.alg === "RS256")!;
  const decoy = { ...publicJwk(rsa), kid: "usable-decoy", alg: "PS512" };
  return s.idp.behaviour({ jwksOverride: { keys: [decoy, ...keys] } });
}

async function rsaJwk(
  modulusLength: number,
  publicExponent = new Uint8Array([1, 0, 1]),
): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength, publicExponent, hash: "SHA-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const { key_ops: _o, ext: _e, ...jwk } = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JWK;
  return { privateKey: pair.privateKey, jwk };
}

describe("which published keys are used", () => {
  it("control: the tenant's RS256 key published alone under another kid is used", async () => {
    const s = await scenario();
    const { key, jwt } = await rsaToken(s, "k1");
    await publish(s, [{ ...publicJwk(key), kid: "k1" }]);
    expectIssued(await s.loginJwt(jwt));
  });

  it.each<[string, (pub: JWK, priv: JWK) => Record<string, unknown>]>([
    ["use: enc", (pub) => ({ ...pub, use: "enc" })],
    ["an unknown use", (pub) => ({ ...pub, use: "sig " })],
    ["key_ops without verify", (pub) => ({ ...pub, use: undefined, key_ops: ["encrypt", "wrapKey"] })],
    ["key_ops that is not an array", (pub) => ({ ...pub, key_ops: "verify" })],
    ["an encryption alg", (pub) => ({ ...pub, alg: "RSA-OAEP-256" })],
    ["alg none", (pub) => ({ ...pub, alg: "none" })],
    ["the private key itself (d, p, q, ...)", (_pub, priv) => ({ ...priv })],
    ["the public key plus a stray d", (pub, priv) => ({ ...pub, d: priv.d })],
    ["e = 3", (pub) => ({ ...pub, e: "Aw" })],
    ["e = 65537 with a leading zero byte", (pub) => ({ ...pub, e: "AAEAAQ" })],
    ["n in standard base64 with padding", (pub) => ({ ...pub, n: `${(pub.n as string).replace(/-/g, "+").replace(/_/g, "/")}==` })],
    ["kty in lower case", (pub) => ({ ...pub, kty: "rsa" })],
  ])("ignores a key with %s (the token's kid then names no key)", async (_name, variant) => {
    const s = await scenario();
    const { key, jwt } = await rsaToken(s, "k1");
    await publish(s, [{ ...variant(publicJwk(key), key), kid: "k1" }]);
    expectRefusal(await s.loginJwt(jwt), 401, "key_not_found", { secrets: [jwt] });
  });

  it("ignores a symmetric key, and an HS256 token is refused before any key is read", async () => {
    const s = await scenario();
    const secret = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
    await publish(s, [{ kty: "oct", k: secret, kid: "k1", alg: "HS256" }]);
    const { jwt } = await rsaToken(s, "k1");
    expectRefusal(await s.loginJwt(jwt), 401, "key_not_found", { secrets: [jwt] });
    const hmac = await crypto.subtle.importKey("raw", base64url.decode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const input = `${base64url.encode(JSON.stringify({ alg: "HS256", kid: "k1" }))}.${base64url.encode(JSON.stringify(claimsFor(s.idp.issuer)))}`;
    const hs = `${input}.${base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(input))))}`;
    const before = await s.idp.stats();
    expectRefusal(await s.loginJwt(hs), 401, "alg_not_allowed", { secrets: [hs] });
    expect(await s.idp.stats()).toEqual(before);
  });

  it("ignores an RSA key under 2048 bits even when its modulus is zero-padded to 2048 bits", async () => {
    // The old size check estimated bits from the text length: 128 zero bytes + a 1024-bit modulus passed.
    const s = await scenario();
    const { key, jwt } = await rsaToken(s, "k1");
    const small = await rsaJwk(1024);
    const padded = base64url.encode(Uint8Array.from([...new Uint8Array(128), ...base64url.decode(small.jwk.n as string)]));
    expect(padded.length).toBe((publicJwk(key).n as string).length);
    await publish(s, [{ ...small.jwk, n: padded, kid: "k1", alg: "RS256", use: "sig" }]);
    expectRefusal(await s.loginJwt(jwt), 401, "key_not_found", { secrets: [jwt] });
  });

  it("ignores EC keys whose coordinates have the wrong size, and OKP keys on other curves", async () => {
    const s = await scenario();
    const es = (await s.idp.keys()).find((k) => k.alg === "ES256")!;
    const ed = (await s.idp.keys()).find((k) => k.alg === "EdDSA")!;
    const esJwt = await s.idp.mint(gitlabClaims(), { kid: es.kid, header: { kid: "e1" } });
    const edJwt = await s.idp.mint(gitlabClaims(), { kid: ed.kid, header: { kid: "o1" } });
    const x = base64url.decode(publicJwk(es).x as string);
    await publish(s, [
      { ...publicJwk(es), kid: "e1", x: base64url.encode(Uint8Array.from([0, ...x])) },
      { ...publicJwk(ed), kid: "o1", crv: "X25519" },
    ]);
    expectRefusal(await s.loginJwt(esJwt), 401, "key_not_found", { secrets: [esJwt] });
    expectRefusal(await s.loginJwt(edJwt), 401, "key_not_found", { secrets: [edJwt] });
  });

  it("refuses (never 500s on) a published EC point that is not on its curve", async () => {
    const s = await scenario();
    const es = (await s.idp.keys()).find((k) => k.alg === "ES256")!;
    const jwt = await s.idp.mint(gitlabClaims(), { kid: es.kid, header: { kid: "e1" } });
    const y = base64url.decode(publicJwk(es).y as string);
    y[31] = y[31]! ^ 1;
    await publish(s, [{ ...publicJwk(es), kid: "e1", y: base64url.encode(y) }]);
    expectRefusal(await s.loginJwt(jwt), 401, "key_not_found", { secrets: [jwt] });
  });

  it("ignores x5c/x5u in a published key: only n/e (or x/y) are read", async () => {
    const s = await scenario();
    const { key, jwt } = await rsaToken(s, "k1");
    await publish(s, [{ ...publicJwk(key), kid: "k1", x5c: ["bm90IGEgY2VydA"], x5u: "https://attacker.example/cert" }]);
    expectIssued(await s.loginJwt(jwt));
  });
});

describe("duplicate kids", () => {
  it("uses the signing key when an encryption key shares its kid", async () => {
    const s = await scenario();
    const { key, jwt } = await rsaToken(s, "dup");
    const other = await rsaJwk(2048);
    await publish(s, [
      { ...other.jwk, kid: "dup", use: "enc" },
      { ...publicJwk(key), kid: "dup" },
    ]);
    expectIssued(await s.loginJwt(jwt));
  });

  it("tries every signing key published under one kid (all are the issuer's), and nothing else", async () => {
    const s = await scenario();
    const { key, jwt } = await rsaToken(s, "dup");
    const other = await rsaJwk(2048);
    await publish(s, [
      { ...other.jwk, kid: "dup", alg: "RS256" },
      { ...publicJwk(key), kid: "dup" },
    ]);
    expectIssued(await s.loginJwt(jwt));
    const stranger = await rsaJwk(2048);
    const forged = await signJws(stranger.privateKey, "RS256", { alg: "RS256", kid: "dup" }, claimsFor(s.idp.issuer));
    expectRefusal(await s.loginJwt(forged), 401, "signature_invalid", { secrets: [forged] });
  });

  it("tries at most three keys per token: bounded work whatever the IdP publishes", async () => {
    const s = await scenario();
    const { key, jwt } = await rsaToken(s, "dup");
    const decoys = await Promise.all([1, 2, 3].map(() => rsaJwk(2048)));
    await publish(s, [...decoys.map((d) => ({ ...d.jwk, kid: "dup" })), { ...publicJwk(key), kid: "dup" }]);
    expectRefusal(await s.loginJwt(jwt), 401, "signature_invalid", { secrets: [jwt] });
  });

  it("counts the same key published twice (with and without x5c) once", () => {
    const jwk = { kty: "OKP", crv: "Ed25519", x: base64url.encode(new Uint8Array(32).fill(7)), kid: "k" };
    expect(parseJwks({ keys: [jwk, { ...jwk, x5c: ["AAAA"] }, jwk] }).keys).toHaveLength(1);
  });
});

describe("keys are scoped to the configured issuer", () => {
  it("a token from tenant B, signed by B's key under a kid tenant A also publishes, never logs in to A", async () => {
    const a = createIdp();
    const b = createIdp();
    const config = { boundSubject: GITLAB_SUBJECT, boundAudiences: AUDIENCE };
    const forA = await setupIdentity(a.issuer, config);
    const forB = await setupIdentity(b.issuer, config);
    const keyA = (await a.keys()).find((k) => k.alg === "RS256")!;
    const keyB = (await b.keys()).find((k) => k.alg === "RS256")!;
    await a.behaviour({ jwksOverride: { keys: [{ ...publicJwk(keyA), kid: "shared" }] } });
    await b.behaviour({ jwksOverride: { keys: [{ ...publicJwk(keyB), kid: "shared" }] } });

    // Both tenants' key sets are cached: B's through a genuine login to B.
    expectIssued(await login(forB.identity.id, await b.mint(gitlabClaims(), { header: { kid: "shared" } })));
    expectIssued(await login(forA.identity.id, await a.mint(gitlabClaims(), { header: { kid: "shared" } })));

    // B's key, A's issuer, the shared kid: A's key set is the only one consulted.
    const forged = await b.mint(gitlabClaims({ iss: a.issuer }), { header: { kid: "shared" } });
    expectRefusal(await login(forA.identity.id, forged), 401, "signature_invalid", { secrets: [forged] });
    // And B's genuine token (iss B) is refused by A too: A's key does not verify it.
    const genuineB = await b.mint(gitlabClaims(), { header: { kid: "shared" } });
    expectRefusal(await login(forA.identity.id, genuineB), 401, "signature_invalid", { secrets: [genuineB] });
    // B itself still admits it: nothing of A leaked into B's key set either.
    expectIssued(await login(forB.identity.id, genuineB));
  });
});

describe("parseJwks / rejectKey (the same rules for fetched keys and jwksJson)", () => {
  it("measures RSA moduli exactly", async () => {
    for (const bits of [1024, 2048, 3072, 4096]) {
      expect(rsaModulusBits((await rsaJwk(bits)).jwk.n as string)).toBe(bits);
    }
    expect(rsaModulusBits("AAAA")).toBe(0);
    expect(rsaModulusBits("AQ")).toBe(1);
    expect(rsaModulusBits("AP8")).toBe(8); // 0x00 0xff
    expect(rsaModulusBits("not base64url!")).toBeNull();
  });

  it("accepts 2048 to 8192 bits only", () => {
    const n = (bits: number) =>
      base64url.encode(Uint8Array.from({ length: Math.ceil(bits / 8) }, (_, i) => (i === 0 ? 1 << ((bits - 1) % 8) : 0xab)));
    expect(rejectKey({ kty: "RSA", e: "AQAB", n: n(2047) })).toMatch(/under 2048/);
    expect(rejectKey({ kty: "RSA", e: "AQAB", n: n(2048) })).toBeNull();
    expect(rejectKey({ kty: "RSA", e: "AQAB", n: n(8192) })).toBeNull();
    expect(rejectKey({ kty: "RSA", e: "AQAB", n: n(8193) })).toMatch(/over 8192/);
  });
});
