// The IdP's discovery document and keys: fetched once and cached, refetched when a token names a kid we
// have not seen (the IdP rotated), with a cooldown so bogus kids cannot make us hammer the IdP.
import { describe, expect, it } from "vitest";
import { gitlabClaims, type SigningAlg } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario } from "../support/scenario";

describe("caching", () => {
  it("20 sequential logins cost one discovery and one JWKS fetch", async () => {
    const s = await scenario();
    for (let i = 0; i < 20; i++) expectIssued(await s.loginWith({ job_id: String(1000 + i) }));
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 1 });
  });

  it("20 concurrent logins cost one discovery and one JWKS fetch", async () => {
    // A pipeline fanning out to many jobs logs them all in at once, before anything is cached.
    const s = await scenario();
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => s.idp.mint(gitlabClaims({ job_id: String(i) }))));
    const results = await Promise.all(tokens.map((jwt) => s.loginJwt(jwt)));
    for (const res of results) expectIssued(res);
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 1 });
  });

  it("refusals are served from the cache too", async () => {
    const s = await scenario();
    await s.login();
    for (let i = 0; i < 5; i++) {
      const res = await s.loginWith({ ref_protected: "false", sub: `project_path:mygroup/myproject:ref_type:branch:ref:f${i}` });
      expectRefusal(res, 401, "subject_not_allowed", { secrets: [res.jwt] });
    }
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 1 });
  });

  it("keeps admitting logins from cache while the IdP is down", async () => {
    const s = await scenario();
    await s.login();
    await s.idp.behaviour({ mode: "down" });
    await s.login();
  });

  it("answers 503 idp_unavailable, not 401, when the IdP is down and nothing is cached", async () => {
    const s = await scenario();
    await s.idp.behaviour({ mode: "error500" });
    const res = await s.loginWith();
    expectRefusal(res, 503, "idp_unavailable", { secrets: [res.jwt] });
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
  });
});

describe("key rotation", () => {
  it.each<SigningAlg>(["RS256", "ES256", "EdDSA"])("admits a token from a freshly rotated %s key at once", async (alg) => {
    const s = await scenario();
    expectIssued(await s.loginWith({}, { alg })); // caches the JWKS without the new key
    const newKid = await s.idp.rotate(alg);
    const res = await s.loginWith({}, { alg });
    expect(JSON.parse(atob(res.jwt.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))).kid).toBe(newKid);
    expectIssued(res);
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 2 });
  });

  it("admits every one of 10 concurrent jobs presenting a just-rotated kid, with one refetch", async () => {
    const s = await scenario();
    await s.login();
    await s.idp.rotate("RS256");
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => s.idp.mint(gitlabClaims({ job_id: String(i) }))));
    const results = await Promise.all(tokens.map((jwt) => s.loginJwt(jwt)));
    for (const res of results) expectIssued(res);
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 2 });
  });

  it("keeps admitting the old key while it is still published", async () => {
    const s = await scenario();
    const [oldKey] = await s.idp.keys();
    await s.login();
    await s.idp.rotate("RS256");
    await s.login(); // new kid: refetch
    expectIssued(await s.loginWith({}, { kid: oldKey!.kid }));
    expect((await s.idp.stats()).jwks).toBe(2);
  });

  it("stops admitting a retired key once the refetch has seen the new key set", async () => {
    const s = await scenario();
    const [oldKey] = await s.idp.keys();
    await s.login();
    await s.idp.rotate("RS256");
    await s.idp.retire(oldKey!.kid!);
    await s.login(); // new kid: refetch, which no longer lists the old key
    const res = await s.loginWith({}, { kid: oldKey!.kid });
    expectRefusal(res, 401, "key_not_found", { secrets: [res.jwt] });
  });

  it("refetches at most once per cooldown for unknown kids", async () => {
    const s = await scenario();
    await s.login();
    for (const kid of ["bogus-1", "bogus-2", "bogus-3"]) {
      const res = await s.loginWith({}, { kid });
      expectRefusal(res, 401, "key_not_found", { secrets: [res.jwt] });
    }
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 2 });
  });

  it("does not refetch for a token without kid", async () => {
    const s = await scenario();
    await s.login();
    expectIssued(await s.loginWith({}, { header: { kid: null } }));
    expect(await s.idp.stats()).toEqual({ discovery: 1, jwks: 1 });
  });
});
