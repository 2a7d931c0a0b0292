// Reaching IdPs the Worker cannot fetch from (issue 4, docs/security.md "Reaching a private IdP"):
// `jwksJson`, a key set the admin supplies (validated like a fetched JWKS, never a private key), and
// `caCert`, which Workers' fetch cannot use: validated structurally, stored, informational.
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, login, ok, setupIdentity } from "../support/api";
import { createIdp, gitlabClaims, publicJwk, signJws } from "../support/idp";
import { expectIssued, expectRefused, GITLAB_SUBJECT } from "../support/login-scenario";
import { TEST_CA_CERT } from "../support/certificates";

const path = (identityId: string) => `/api/v1/auth/oidc-auth/identities/${identityId}`;
const ISSUER = "https://gitlab.example.com";
const MINIMAL = { oidcDiscoveryUrl: ISSUER, boundIssuer: ISSUER, boundSubject: GITLAB_SUBJECT };

const CERT = TEST_CA_CERT;

async function newIdentity() {
  return createIdentity((await createOrg()).id);
}

/** Refused with 422 invalid_oidc_config on `field`, with a message matching `message`. */
async function expectInvalid(config: Record<string, unknown>, field: string, message?: RegExp) {
  const res = await call("POST", path((await newIdentity()).id), { body: config });
  expectRefused(res, 422, "invalid_oidc_config");
  const issue = (res.body.details as { field: string; message: string }[]).find((d) => d.field === field);
  expect(issue, JSON.stringify(res.body)).toBeDefined();
  if (message) expect(issue!.message).toMatch(message);
  return res;
}

describe("jwksJson: keys the admin supplies", () => {
  it("logs in with no discovery or JWKS request at all, even with the IdP down", async () => {
    const idp = createIdp();
    const keys = (await idp.keys()).map(publicJwk);
    const { identity } = await setupIdentity(idp.issuer, { jwksJson: JSON.stringify({ keys }) });
    await idp.behaviour({ mode: "down" });
    for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
      expectIssued(await login(identity.id, await idp.mint(gitlabClaims(), { alg })));
    }
    expect(await idp.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it("applies every token rule: a key not in the set, an unknown kid, a forged signature", async () => {
    const idp = createIdp();
    const [rsa] = await idp.keys();
    const { identity } = await setupIdentity(idp.issuer, { jwksJson: JSON.stringify({ keys: [publicJwk(rsa!)] }) });
    const es = await login(identity.id, await idp.mint(gitlabClaims(), { alg: "ES256" }));
    expectRefused(es, 401, "key_not_found");
    const unknown = await login(identity.id, await idp.mint(gitlabClaims(), { kid: "rotated" }));
    expectRefused(unknown, 401, "key_not_found");
    const stranger = await idp.jwkPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const forged = await signJws(
      stranger.privateJwk,
      "RS256",
      { alg: "RS256", kid: rsa!.kid },
      { ...gitlabClaims(), iss: idp.issuer, exp: now + 60 },
    );
    expectRefused(await login(identity.id, forged), 401, "signature_invalid", [forged]);
    expect(await idp.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it("is used instead of discovery, so the discovery document's issuer is not consulted", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, { jwksJson: JSON.stringify({ keys: (await idp.keys()).map(publicJwk) }) });
    await idp.behaviour({ issuerOverride: "https://elsewhere.example" });
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));
  });

  it.each<[string, (pair: { privateJwk: Record<string, unknown>; publicJwk: Record<string, unknown> }) => unknown]>([
    ["a private RSA key", (p) => ({ keys: [p.privateJwk] })],
    ["a public key with a stray d", (p) => ({ keys: [{ ...p.publicJwk, d: "AAAA" }] })],
    ["a private key next to a public one", (p) => ({ keys: [p.publicJwk, p.privateJwk] })],
    ["a symmetric key", () => ({ keys: [{ kty: "oct", k: base64url.encode(new Uint8Array(32)), alg: "HS256" }] })],
  ])("refuses %s with a clear field error", async (_name, build) => {
    const pair = await createIdp().jwkPair("RS256");
    await expectInvalid({ ...MINIMAL, jwksJson: JSON.stringify(build(pair as never)) }, "jwksJson", /private or symmetric/);
  });

  it.each<[string, string, RegExp]>([
    ["not JSON", "{keys:[]}", /JWKS/],
    ["a JSON array of keys", "[]", /JWKS/],
    ["duplicate member names", '{"keys":[],"keys":[]}', /JWKS/],
    ["no keys array", '{"key":[]}', /keys/],
    ["an empty keys array", '{"keys":[]}', /keys/],
    ["a key that is not an object", '{"keys":["AQAB"]}', /not a JSON object/],
    ["only an encryption key", "", /no usable public signing key/],
    ["only a 1024-bit RSA key", "", /no usable public signing key/],
  ])("refuses %s", async (name, text, message) => {
    let jwksJson = text;
    if (name === "only an encryption key") {
      const pair = await createIdp().jwkPair("RS256");
      jwksJson = JSON.stringify({ keys: [{ ...pair.publicJwk, use: "enc" }] });
    } else if (name === "only a 1024-bit RSA key") {
      const key = (await crypto.subtle.generateKey(
        { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        true,
        ["sign", "verify"],
      )) as CryptoKeyPair;
      jwksJson = JSON.stringify({ keys: [await crypto.subtle.exportKey("jwk", key.publicKey)] });
    }
    await expectInvalid({ ...MINIMAL, jwksJson }, "jwksJson", message);
  });

  it("accepts a set that also holds unusable keys, as long as one key is usable", async () => {
    const pair = await createIdp().jwkPair("ES256");
    const other = await createIdp().jwkPair("RS256");
    const jwksJson = JSON.stringify({ keys: [{ ...other.publicJwk, use: "enc" }, pair.publicJwk] });
    const { identityOidcAuth } = await ok("POST", path((await newIdentity()).id), { body: { ...MINIMAL, jwksJson } });
    expect(identityOidcAuth.jwksJson).toBe(jwksJson);
  });
});

describe("caCert: validated, stored, informational", () => {
  it("stores a certificate and a chain of certificates as given", async () => {
    for (const caCert of [CERT, `${CERT}\n`, `${CERT}\n${CERT}\n`, CERT.replace(/\n/g, "\r\n")]) {
      const { identityOidcAuth } = await ok("POST", path((await newIdentity()).id), { body: { ...MINIMAL, caCert } });
      expect(identityOidcAuth.caCert).toBe(caCert);
    }
  });

  it("does not change how the IdP is reached: logins work the same with a caCert", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, { caCert: CERT });
    expectIssued(await login(identity.id, await idp.mint(gitlabClaims())));
  });

  const body = CERT.split("\n").slice(1, -1).join("\n");
  it.each<[string, string, RegExp]>([
    [
      "a private key",
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----",
      /private key/,
    ],
    ["an EC private key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----", /private key/],
    [
      "a certificate with its private key appended",
      `${CERT}\n-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----`,
      /private key/,
    ],
    ["a public key", `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`, /only certificates/],
    ["base64 without the PEM armour", body, /PEM certificate/],
    ["a PEM block with garbage inside", "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----", /base64/],
    [
      "a PEM block that is base64 but not DER",
      `-----BEGIN CERTIFICATE-----\n${btoa("hello, this is not a certificate")}\n-----END CERTIFICATE-----`,
      /X\.509/,
    ],
    ["a truncated certificate", `-----BEGIN CERTIFICATE-----\n${body.slice(0, 200)}\n-----END CERTIFICATE-----`, /base64|X\.509/],
    [
      "the old test placeholder (a DER header, then nothing)",
      "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Fz\nZm9vYmFy\n-----END CERTIFICATE-----",
      /X\.509/,
    ],
    ["text before the certificate", `hello\n${CERT}`, /only PEM certificates/],
    ["text after the certificate", `${CERT}\nhello`, /only PEM certificates/],
    ["mismatched armour", CERT.replace("END CERTIFICATE", "END X509 CRL"), /certificate/],
  ])("refuses %s", async (_name, caCert, message) => {
    await expectInvalid({ ...MINIMAL, caCert }, "caCert", message);
  });
});
