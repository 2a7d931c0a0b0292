// Hostile or failing IdPs (issue 4, docs/security.md "Hostile or failing IdPs"): every failure of the
// discovery or JWKS fetch is, with nothing cached, a 503 idp_unavailable with Retry-After (never a 500 and
// never an admission); with a copy cached, logins go on for the stale-if-error window. Unknown-kid refetches
// are shared across isolates through KV. Complements login-keys.test.ts (caching and rotation).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { JWKS_CACHE_TTL_SECONDS, DISCOVERY_CACHE_TTL_SECONDS } from "../../src/constants";
import { forgetDiscovery, IDP_STALE_IF_ERROR_SECONDS } from "../../src/oidc/discovery";
import { IDP_FETCH_TIMEOUT_MS } from "../../src/oidc/fetch-json";
import { forgetKeys } from "../../src/oidc/issuer-keys";
import { createIdp, type Behaviour } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario, type Scenario } from "../support/scenario";

function expectUnavailable(res: Awaited<ReturnType<Scenario["loginWith"]>>) {
  expectRefusal(res, 503, "idp_unavailable", { secrets: [res.jwt] });
  expect(res.headers.get("retry-after")).toBe("30");
}

/** Waits until the Worker's after-response KV write of `key` has landed. */
async function kvWritten(key: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await env.CACHE.get(key)) !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`KV key ${key} was never written`);
}

/** What another isolate would have cached: the IdP's current documents, fetched at `fetchedAt`. */
async function writeKvCopies(s: Scenario, fetchedAt: number, which: ("discovery" | "jwks")[] = ["discovery", "jwks"]) {
  for (const doc of which) {
    const url = doc === "discovery" ? s.idp.wellKnownUrl : s.idp.jwksUrl;
    const raw = await (await fetch(url)).json();
    await env.CACHE.put(`${doc}:${url}`, JSON.stringify({ raw, fetchedAt }));
  }
  await s.idp.resetStats();
}

/** A new isolate: nothing in memory; KV is shared. */
function freshIsolate() {
  forgetKeys();
  forgetDiscovery();
}

describe("cold cache: every IdP failure is a 503 idp_unavailable with Retry-After, never a 500", () => {
  it.each<[string, Behaviour]>([
    ["down (connection dropped), discovery", { mode: "down", only: "discovery" }],
    ["down (connection dropped), JWKS", { mode: "down", only: "jwks" }],
    ["HTTP 500", { mode: "error500" }],
    ["HTTP 404 on the JWKS", { status: 404, only: "jwks" }],
    ["HTTP 204 on discovery", { status: 204, body: "", only: "discovery" }],
    ["an HTML login page (200 text/html)", { mode: "html" }],
    ["JSON served as text/plain", { contentType: "text/plain" }],
    ["JSON served without a content type", { contentType: "" }],
    ["a body over 512 KB, chunked without Content-Length", { mode: "oversized", only: "jwks" }],
    ["a body over 512 KB, discovery", { mode: "oversized", only: "discovery" }],
    ["malformed JSON", { body: '{"issuer": "x", ', only: "discovery" }],
    ["a JSON array", { body: "[]", only: "jwks" }],
    ["a JSON string", { body: '"keys"', only: "jwks" }],
    ["a discovery document without jwks_uri", { discoveryOverride: { jwks_uri: null } }],
    ["a discovery document with a numeric issuer", { body: '{"issuer": 1, "jwks_uri": "x"}', only: "discovery" }],
    ["a JWKS without a keys array", { jwksOverride: { keys: "none" } }],
    ["a JWKS with no keys", { jwksOverride: { keys: [] } }],
    ["a JWKS with no usable key (a shared secret only)", { jwksOverride: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }],
  ])("%s", async (_name, behaviour) => {
    const s = await scenario();
    await s.idp.behaviour(behaviour);
    expectUnavailable(await s.loginWith());
    await s.idp.behaviour({});
    await s.login(); // and it recovers as soon as the IdP does
  });

  it("a redirect is not followed (discovery)", async () => {
    const s = await scenario();
    const target = createIdp(`${s.idp.tenant}-redirected`);
    await s.idp.behaviour({ mode: "redirect", only: "discovery" });
    expectUnavailable(await s.loginWith());
    expect(await target.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it("a redirect is not followed (JWKS)", async () => {
    const s = await scenario();
    const target = createIdp(`${s.idp.tenant}-redirected`);
    await s.idp.behaviour({ mode: "redirect", only: "jwks" });
    expectUnavailable(await s.loginWith());
    expect(await target.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it(`an IdP slower than the ${IDP_FETCH_TIMEOUT_MS} ms timeout`, { timeout: 20_000 }, async () => {
    const s = await scenario();
    await s.idp.behaviour({ mode: "slow", delayMs: IDP_FETCH_TIMEOUT_MS + 3_000, only: "jwks" });
    const started = Date.now();
    const res = await s.loginWith();
    const elapsed = Date.now() - started;
    expectUnavailable(res);
    expect(elapsed).toBeGreaterThanOrEqual(IDP_FETCH_TIMEOUT_MS - 100);
    expect(elapsed).toBeLessThan(IDP_FETCH_TIMEOUT_MS + 2_500);
  });

  it("a discovery document naming issuer twice is malformed, whichever comes last (503, as any unusable answer)", async () => {
    const s = await scenario();
    const genuine = await (await fetch(`${s.idp.issuer}/.well-known/openid-configuration`)).text();
    // A lenient reader keeps the last issuer, the genuine one, and would admit.
    await s.idp.behaviour({ body: `{"issuer":"https://evil.example",${genuine.trim().slice(1)}`, only: "discovery" });
    expectUnavailable(await s.loginWith());
  });

  it("a discovery document naming another issuer is a 401, not a 503 (the IdP answered)", async () => {
    const s = await scenario();
    await s.idp.behaviour({ issuerOverride: `${s.idp.issuer}/` });
    const res = await s.loginWith();
    expectRefusal(res, 401, "discovery_issuer_mismatch", { secrets: [res.jwt] });
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 0 });
  });
});

describe("stale-if-error: copies past their TTL keep logins working while the IdP fails", () => {
  const hoursAgo = (h: number) => Date.now() - h * 3600_000;

  it("admits with KV copies past their TTL (but inside the window) while the IdP is down, and tried to refresh", async () => {
    const s = await scenario();
    // Past both TTLs (discovery 1 h, JWKS 10 min), inside the 6 h window.
    const age = Math.max(DISCOVERY_CACHE_TTL_SECONDS, JWKS_CACHE_TTL_SECONDS) / 3600 + 1;
    expect(age * 3600).toBeLessThan(DISCOVERY_CACHE_TTL_SECONDS + IDP_STALE_IF_ERROR_SECONDS);
    await writeKvCopies(s, hoursAgo(age));
    freshIsolate();
    await s.idp.behaviour({ mode: "down" });
    await s.login();
    const stats = await s.idp.stats();
    expect(stats.discovery).toBeGreaterThanOrEqual(1); // it did try the IdP first
    expect(stats.jwks).toBeGreaterThanOrEqual(1);
  });

  it.each<[string, Behaviour]>([
    ["HTTP 500", { mode: "error500" }],
    ["HTML", { mode: "html" }],
    ["an unusable JWKS", { jwksOverride: { nokeys: true } }],
    ["a JWKS with no keys", { jwksOverride: { keys: [] } }],
    ["a JWKS with no usable key", { jwksOverride: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }],
  ])("serves the stale copy when the IdP answers %s", async (_name, behaviour) => {
    const s = await scenario();
    await writeKvCopies(s, hoursAgo(2));
    freshIsolate();
    await s.idp.behaviour(behaviour);
    await s.login();
  });

  it("refreshes copies past their TTL when the IdP is up", async () => {
    const s = await scenario();
    const old = hoursAgo(2);
    await writeKvCopies(s, old);
    freshIsolate();
    await s.login();
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 1 });
    for (let i = 0; i < 100; i++) {
      const entry = await env.CACHE.get<{ fetchedAt: number }>(`jwks:${s.idp.jwksUrl}`, "json");
      if (entry && entry.fetchedAt > old) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error("the refreshed JWKS never reached KV");
  });

  it("answers 503 once the copies are older than the window", async () => {
    const s = await scenario();
    await writeKvCopies(s, hoursAgo(1 + IDP_STALE_IF_ERROR_SECONDS / 3600 + 1));
    freshIsolate();
    await s.idp.behaviour({ mode: "down" });
    expectUnavailable(await s.loginWith());
  });

  it("a fresh isolate with fresh KV copies makes no request to the IdP at all", async () => {
    const s = await scenario();
    await writeKvCopies(s, Date.now());
    freshIsolate();
    await s.idp.behaviour({ mode: "down" });
    await s.login();
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });
  });
});

describe("unknown-kid refetches are shared across isolates", () => {
  it("an isolate inside the cooldown adopts the newer JWKS another isolate wrote to KV", async () => {
    const s = await scenario();
    await s.login(); // this isolate caches the key set without the next key
    await kvWritten(`jwks:${s.idp.jwksUrl}`);
    const kid = await s.idp.rotate("RS256");

    // Another isolate saw `kid`, refetched (the cooldown marker) and wrote the new set to KV.
    await writeKvCopies(s, Date.now(), ["jwks"]);
    await env.CACHE.put(`jwks-refetch:${s.idp.jwksUrl}`, String(Date.now()));

    const res = await s.loginWith({}, { kid });
    expectIssued(res);
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 }); // the cooldown held; KV had the keys
  });

  it("also when this isolate's own cooldown is what blocks the refetch", async () => {
    const s = await scenario();
    await s.login();
    const bogus = await s.loginWith({}, { kid: "bogus" }); // this isolate refetches: its own cooldown starts
    expectRefusal(bogus, 401, "key_not_found", { secrets: [bogus.jwt] });
    expect((await s.idp.stats()).jwks).toBe(2);

    const kid = await s.idp.rotate("RS256");
    await writeKvCopies(s, Date.now(), ["jwks"]); // another isolate, later, refetched after the rotation
    expectIssued(await s.loginWith({}, { kid }));
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it("refuses (key_not_found) when KV has nothing newer either, without asking the IdP", async () => {
    const s = await scenario();
    await s.login();
    await kvWritten(`jwks:${s.idp.jwksUrl}`);
    await env.CACHE.put(`jwks-refetch:${s.idp.jwksUrl}`, String(Date.now()));
    await s.idp.resetStats();
    const kid = await s.idp.rotate("RS256");
    const res = await s.loginWith({}, { kid });
    expectRefusal(res, 401, "key_not_found", { secrets: [res.jwt] });
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });
  });
});
