import { describe, expect, it } from "vitest";
import { claimSnapshot } from "../../src/oidc/claim-snapshot";
import { configAdmitsClaims, configFingerprint, keySourceFingerprint, liveRules, type LiveRules } from "../../src/oidc/live-rules";
import type { OidcAuthConfig } from "../../src/storage/records";
import { withoutLastClaims } from "../../src/tokens/issued-for";

const ISSUER = "https://gitlab.com";
const SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";
const AUDIENCE = "https://edge-oidc-auth.example";

function config(over: Partial<OidcAuthConfig> = {}): OidcAuthConfig {
  return {
    id: "cfg",
    identityId: "identity",
    oidcDiscoveryUrl: ISSUER,
    boundIssuer: ISSUER,
    caCert: "",
    boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:*",
    boundAudiences: AUDIENCE,
    boundClaims: { ref_protected: "true", project_id: "20" },
    condition: "",
    claimMetadataMapping: null,
    accessTokenTTL: 600,
    accessTokenMaxTTL: 3600,
    accessTokenNumUsesLimit: 0,
    accessTokenTrustedIps: [{ ipAddress: "0.0.0.0/0" }, { ipAddress: "::/0" }],
    jwksUrl: null,
    jwksJson: null,
    replayProtection: false,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-02T00:00:00.000Z",
    ...over,
  };
}

/** A GitLab ID token's snapshot, as a login signs it into the access token. */
const snapshot = (over: Record<string, unknown> = {}) =>
  claimSnapshot({
    iss: ISSUER,
    sub: SUBJECT,
    aud: AUDIENCE,
    exp: 2_000_000_000,
    project_id: "20",
    ref: "main",
    ref_protected: "true",
    deployment: { tier: "production" },
    ...over,
  });

/** The re-check of a token issued under `before` by the configuration `after`: the refusal's reason, or "admitted". */
async function recheck(before: OidcAuthConfig, after: OidcAuthConfig, claims = snapshot()): Promise<string> {
  const issuedUnder = await liveRules(before);
  const refused = configAdmitsClaims(await liveRules(after), { claims, keySource: issuedUnder.keySource });
  return refused === null ? "admitted" : `${refused.reason}${refused.qualifier ? `: ${refused.qualifier}` : ""}`;
}

describe("configAdmitsClaims", () => {
  it("admits the claims a login admitted, under the same or a looser configuration", async () => {
    expect(await recheck(config(), config())).toBe("admitted");
    expect(await recheck(config(), config({ boundClaims: {}, boundSubject: "project_path:mygroup/*" }))).toBe("admitted");
  });

  it("refuses with the reason a login would get: subject, audiences, each bound claim (dot paths too)", async () => {
    const before = config();
    expect(await recheck(before, config({ boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:dev" }))).toBe(
      "subject_not_allowed",
    );
    expect(await recheck(before, config({ boundAudiences: "https://other.example" }))).toBe("audience_not_allowed");
    expect(await recheck(before, config({ boundClaims: { ref_protected: "false" } }))).toBe("claim_not_allowed: ref_protected");
    expect(await recheck(before, config({ boundClaims: { "deployment.tier": "staging" } }))).toBe(
      "claim_not_allowed: deployment.tier",
    );
    expect(await recheck(before, config({ boundClaims: { "deployment.tier": "prod*" } }))).toBe("admitted");
  });

  it("a claim the snapshot does not hold (left out as too long, or never there) matches nothing", async () => {
    const claims = snapshot({ environment: "x".repeat(600) });
    expect(claims.environment).toBeUndefined();
    expect(await recheck(config(), config({ boundClaims: { environment: "*" } }), claims)).toBe("claim_not_allowed: environment");
  });

  it("refuses every token after a change of issuer or of where the keys come from", async () => {
    const before = config();
    expect(
      await recheck(before, config({ boundIssuer: "https://gitlab.example.com", oidcDiscoveryUrl: "https://gitlab.example.com" })),
    ).toBe("key_not_found");
    expect(await recheck(before, config({ boundIssuer: `${ISSUER}/` }))).toBe("issuer_mismatch");
    expect(await recheck(before, config({ jwksUrl: `${ISSUER}/oauth/discovery/keys` }))).toBe("key_not_found");
    expect(await recheck(before, config({ jwksJson: '{"keys":[]}' }))).toBe("key_not_found");
  });
});

describe("fingerprints", () => {
  it("the configuration's: any field but the timestamps, whatever the order its members were read in", async () => {
    const base = await configFingerprint(config());
    expect(await configFingerprint(config({ updatedAt: "2027-01-01T00:00:00.000Z", createdAt: "" }))).toBe(base);
    const reordered = Object.fromEntries(Object.entries(config()).reverse()) as unknown as OidcAuthConfig;
    reordered.boundClaims = { project_id: "20", ref_protected: "true" };
    expect(await configFingerprint(reordered)).toBe(base);
    for (const over of [
      { boundSubject: "x" },
      { boundClaims: { ref_protected: "true" } },
      { accessTokenTTL: 601 },
      { accessTokenTrustedIps: [{ ipAddress: "10.0.0.0/8" }] },
      { replayProtection: true },
    ] as Partial<OidcAuthConfig>[]) {
      expect(await configFingerprint(config(over)), JSON.stringify(over)).not.toBe(base);
    }
    expect(base).toMatch(/^[\w-]{22}$/);
  });

  it("the key source's: the discovery URL, jwksUrl and jwksJson, nothing else", async () => {
    const base = await keySourceFingerprint(config());
    expect(await keySourceFingerprint(config({ boundSubject: "x", boundIssuer: "y", accessTokenTTL: 1 }))).toBe(base);
    for (const over of [{ oidcDiscoveryUrl: "https://gitlab.example.com" }, { jwksUrl: "https://k.example" }, { jwksJson: "{}" }]) {
      expect(await keySourceFingerprint(config(over))).not.toBe(base);
    }
  });

  it("liveRules carries the bindings, both fingerprints and updatedAt in ms, computed once per configuration object", async () => {
    const c = config();
    const rules: LiveRules = await liveRules(c);
    expect(rules).toEqual({
      boundIssuer: ISSUER,
      boundSubject: c.boundSubject,
      boundAudiences: AUDIENCE,
      boundClaims: c.boundClaims,
      condition: "",
      keySource: await keySourceFingerprint(c),
      version: await configFingerprint(c),
      updatedAtMs: Date.parse(c.updatedAt),
    });
    expect(liveRules(c)).toBe(liveRules(c));
  });
});

describe("withoutLastClaims", () => {
  it("drops claims from the end until enough UTF-8 bytes are gone, at least one", () => {
    const s = { iss: "i", sub: "s", a: "é".repeat(10), b: "x" };
    // With colon and comma, "b":"x" is 8 bytes, "a":"éé..." 27 (é is 2 bytes), "sub":"s" 10.
    expect(withoutLastClaims(s, 1)).toEqual({ iss: "i", sub: "s", a: "é".repeat(10) });
    expect(withoutLastClaims(s, 8)).toEqual({ iss: "i", sub: "s", a: "é".repeat(10) });
    expect(withoutLastClaims(s, 9)).toEqual({ iss: "i", sub: "s" });
    expect(withoutLastClaims(s, 35)).toEqual({ iss: "i", sub: "s" });
    expect(withoutLastClaims(s, 36)).toEqual({ iss: "i" });
    expect(withoutLastClaims({}, 10)).toEqual({});
  });
});
