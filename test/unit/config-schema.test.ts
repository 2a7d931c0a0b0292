import { describe, expect, it } from "vitest";
import { parseOidcConfig, type ConfigParseResult } from "../../src/oidc/config-schema";
import type { OidcAuthConfig } from "../../src/storage/records";
import { TEST_CA_CERT } from "../support/certificates";

const STRICT = { allowInsecure: false };
const INSECURE = { allowInsecure: true };
const GITLAB = "https://gitlab.com";
const SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";
const MINIMAL = { oidcDiscoveryUrl: GITLAB, boundIssuer: GITLAB, boundSubject: SUBJECT };

function accepted(input: unknown, existing: OidcAuthConfig | null = null, opts = STRICT) {
  const result = parseOidcConfig(input, existing, opts);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.issues)}`);
  return result.fields;
}

function issuesOf(result: ConfigParseResult) {
  expect(result.ok, "expected the configuration to be refused").toBe(false);
  return result.ok ? [] : result.issues;
}

/** Refused, with an issue on `field` (whose message matches `message` when given). */
function expectRefused(input: unknown, field: string, opts = STRICT, existing: OidcAuthConfig | null = null, message?: RegExp) {
  const issues = issuesOf(parseOidcConfig(input, existing, opts));
  const issue = issues.find((i) => i.field === field);
  expect(issue, `no issue on ${field}: ${JSON.stringify(issues)}`).toBeDefined();
  if (message) expect(issue!.message).toMatch(message);
}

/** A stored configuration, as PATCH receives it. */
function stored(input: Record<string, unknown>): OidcAuthConfig {
  return {
    ...accepted(input),
    id: "cfg-1",
    identityId: "id-1",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

describe("parseOidcConfig: a new configuration (POST)", () => {
  it("applies Infisical's defaults", () => {
    expect(accepted(MINIMAL)).toEqual({
      oidcDiscoveryUrl: GITLAB,
      boundIssuer: GITLAB,
      caCert: "",
      boundSubject: SUBJECT,
      boundAudiences: "",
      boundClaims: {},
      condition: "",
      claimMetadataMapping: null,
      accessTokenTTL: 2592000,
      accessTokenMaxTTL: 2592000,
      accessTokenNumUsesLimit: 0,
      accessTokenTrustedIps: [{ ipAddress: "0.0.0.0/0" }, { ipAddress: "::/0" }],
      jwksUrl: null,
      jwksJson: null,
      replayProtection: false,
    });
  });

  it("requires oidcDiscoveryUrl and boundIssuer", () => {
    const issues = issuesOf(parseOidcConfig({ boundSubject: SUBJECT }, null, STRICT));
    expect(issues.map((i) => i.field).sort()).toEqual(["boundIssuer", "oidcDiscoveryUrl"]);
  });

  it("reports every issue at once, each with its field", () => {
    const issues = issuesOf(
      parseOidcConfig(
        { oidcDiscoveryUrl: "http://gitlab.com", boundIssuer: GITLAB, accessTokenTTL: 10, accessTokenMaxTTL: 5 },
        null,
        STRICT,
      ),
    );
    expect(issues.map((i) => i.field).sort()).toEqual(["accessTokenTTL", "oidcDiscoveryUrl"]);
  });

  it.each([null, [], "config", 42])("refuses a body that is not an object: %j", (input) => {
    expect(parseOidcConfig(input, null, STRICT).ok).toBe(false);
  });

  it("ignores unknown fields (the API names them in a warning: src/http/ignored-keys.ts)", () => {
    const fields = accepted({ ...MINIMAL, boundSubjects: "x", identityId: "id", createdAt: "2026-01-01" });
    expect(fields).not.toHaveProperty("boundSubjects");
    expect(fields).not.toHaveProperty("identityId");
  });

  it("trims the discovery URL", () => {
    expect(accepted({ ...MINIMAL, oidcDiscoveryUrl: `  ${GITLAB}/ ` }).oidcDiscoveryUrl).toBe(`${GITLAB}/`);
  });
});

describe("parseOidcConfig: URL policy", () => {
  describe("strict (a deployment: ALLOW_INSECURE_ISSUERS unset)", () => {
    it.each([
      GITLAB,
      "https://gitlab.example.com/",
      "https://token.actions.githubusercontent.com",
      "https://ghes.example.com/_services/token",
      "https://gitlab.com:8443/.well-known/openid-configuration",
    ])("accepts %s", (url) => {
      expect(accepted({ ...MINIMAL, oidcDiscoveryUrl: url }).oidcDiscoveryUrl).toBe(url);
    });

    it.each([
      ["http", "http://gitlab.com", /https/],
      ["an IPv4 literal", "https://203.0.113.10", /IP address/],
      ["a private IPv4 literal", "https://10.0.0.1", /IP address/],
      ["a numeric IPv4 spelling", "https://2130706433", /IP address/],
      ["an IPv6 literal", "https://[2001:db8::1]", /IP address/],
      ["loopback", "https://127.0.0.1:8443", /IP address/],
      ["localhost", "https://localhost", /localhost/],
      ["a .localhost name", "https://idp.localhost", /localhost/],
      ["an .internal name", "https://gitlab.corp.internal", /local or internal/],
      ["a .local name", "https://gitlab.local", /local or internal/],
      ["a single-label host", "https://gitlab", /fully qualified/],
      ["credentials", "https://user:secret@gitlab.com", /credentials/],
      ["a fragment", "https://gitlab.com/#frag", /fragment/],
      ["a relative URL", "/.well-known/openid-configuration", /valid absolute URL/],
      ["a javascript: URL", "javascript:alert(1)", /https/],
    ])("refuses %s as oidcDiscoveryUrl", (_name, url, message) => {
      expectRefused({ ...MINIMAL, oidcDiscoveryUrl: url }, "oidcDiscoveryUrl", STRICT, null, message);
    });

    it("applies the same policy to jwksUrl", () => {
      expect(accepted({ ...MINIMAL, jwksUrl: "https://gitlab.com/oauth/discovery/keys" }).jwksUrl).toBe(
        "https://gitlab.com/oauth/discovery/keys",
      );
      expectRefused({ ...MINIMAL, jwksUrl: "http://gitlab.com/oauth/discovery/keys" }, "jwksUrl", STRICT, null, /https/);
      expectRefused({ ...MINIMAL, jwksUrl: "https://169.254.169.254/keys" }, "jwksUrl", STRICT, null, /IP address/);
    });
  });

  describe("insecure (local dev and tests: ALLOW_INSECURE_ISSUERS=true)", () => {
    it("accepts http and loopback", () => {
      const url = "http://127.0.0.1:9999/t/dev";
      expect(accepted({ ...MINIMAL, oidcDiscoveryUrl: url, boundIssuer: url }, null, INSECURE).oidcDiscoveryUrl).toBe(url);
      expect(accepted({ ...MINIMAL, oidcDiscoveryUrl: "http://localhost:8080" }, null, INSECURE).oidcDiscoveryUrl).toBe(
        "http://localhost:8080",
      );
    });

    it("still refuses other schemes, credentials and non-URLs", () => {
      expectRefused({ ...MINIMAL, oidcDiscoveryUrl: "file:///etc/passwd" }, "oidcDiscoveryUrl", INSECURE);
      expectRefused({ ...MINIMAL, oidcDiscoveryUrl: "http://u:p@127.0.0.1" }, "oidcDiscoveryUrl", INSECURE);
      expectRefused({ ...MINIMAL, oidcDiscoveryUrl: "gitlab.com" }, "oidcDiscoveryUrl", INSECURE);
    });
  });
});

describe("parseOidcConfig: trusted IPs", () => {
  it("keeps addresses and ranges as written (trimmed), v4 and v6", () => {
    const fields = accepted({
      ...MINIMAL,
      accessTokenTrustedIps: [
        { ipAddress: "203.0.113.7" },
        { ipAddress: " 198.51.100.0/24 " },
        { ipAddress: "2001:DB8::/32" },
        { ipAddress: "::1" },
      ],
    });
    expect(fields.accessTokenTrustedIps).toEqual([
      { ipAddress: "203.0.113.7" },
      { ipAddress: "198.51.100.0/24" },
      { ipAddress: "2001:DB8::/32" },
      { ipAddress: "::1" },
    ]);
  });

  it("takes Infisical's answer shape back: address, type and prefix", () => {
    const fields = accepted({
      ...MINIMAL,
      accessTokenTrustedIps: [
        { ipAddress: "10.0.0.0", type: "ipv4", prefix: 8 },
        { ipAddress: "203.0.113.7", type: "ipv4" },
        { ipAddress: "2001:db8::", type: "ipv6", prefix: 32 },
        { ipAddress: "192.0.2.0/24", prefix: 24, type: null },
        { ipAddress: "192.0.2.9", prefix: null },
      ],
    });
    expect(fields.accessTokenTrustedIps).toEqual([
      { ipAddress: "10.0.0.0/8" },
      { ipAddress: "203.0.113.7" },
      { ipAddress: "2001:db8::/32" },
      { ipAddress: "192.0.2.0/24" },
      { ipAddress: "192.0.2.9" },
    ]);
  });

  it.each([
    [{ ipAddress: "10.0.0.0/8", prefix: 16 }, "accessTokenTrustedIps.0.prefix"],
    [{ ipAddress: "10.0.0.0", type: "ipv6", prefix: 8 }, "accessTokenTrustedIps.0.type"],
    [{ ipAddress: "2001:db8::", type: "ipv4" }, "accessTokenTrustedIps.0.type"],
    [{ ipAddress: "10.0.0.0", prefix: 33 }, "accessTokenTrustedIps.0.ipAddress"],
    [{ ipAddress: "10.0.0.0", prefix: "8" }, "accessTokenTrustedIps.0.prefix"],
    [{ ipAddress: "10.0.0.0", type: "IPv4" }, "accessTokenTrustedIps.0.type"],
  ])("refuses a contradictory or malformed answer-shaped entry %j", (entry, field) => {
    expectRefused({ ...MINIMAL, accessTokenTrustedIps: [entry] }, field);
  });

  it.each(["10.0.0.0/33", "256.0.0.1", "10.0.0", "2001:db8::/129", "2001:db8:::1", "example.com", "", "10.0.0.0/-1", "1.2.3.4/ 8"])(
    "refuses %j",
    (ipAddress) => {
      expectRefused({ ...MINIMAL, accessTokenTrustedIps: [{ ipAddress }] }, "accessTokenTrustedIps.0.ipAddress");
    },
  );

  it("refuses an empty list and a list of more than 100", () => {
    expectRefused({ ...MINIMAL, accessTokenTrustedIps: [] }, "accessTokenTrustedIps");
    const many = Array.from({ length: 101 }, (_, i) => ({ ipAddress: `10.0.${i}.0/24` }));
    expectRefused({ ...MINIMAL, accessTokenTrustedIps: many }, "accessTokenTrustedIps");
  });

  it("refuses entries in another shape", () => {
    expectRefused({ ...MINIMAL, accessTokenTrustedIps: ["10.0.0.0/8"] }, "accessTokenTrustedIps.0");
  });
});

describe("parseOidcConfig: TTLs and limits", () => {
  it("refuses accessTokenTTL greater than accessTokenMaxTTL", () => {
    expectRefused({ ...MINIMAL, accessTokenTTL: 3601, accessTokenMaxTTL: 3600 }, "accessTokenTTL", STRICT, null, /accessTokenMaxTTL/);
  });

  it("accepts a TTL equal to the max TTL", () => {
    expect(accepted({ ...MINIMAL, accessTokenTTL: 3600, accessTokenMaxTTL: 3600 })).toMatchObject({
      accessTokenTTL: 3600,
      accessTokenMaxTTL: 3600,
    });
  });

  it("treats a max TTL of 0 as no limit of its own", () => {
    expect(accepted({ ...MINIMAL, accessTokenTTL: 86400, accessTokenMaxTTL: 0 })).toMatchObject({
      accessTokenTTL: 86400,
      accessTokenMaxTTL: 0,
    });
  });

  it.each([
    ["accessTokenTTL", -1],
    ["accessTokenTTL", 315360001],
    ["accessTokenTTL", 60.5],
    ["accessTokenTTL", "1h"],
    ["accessTokenTTL", null],
    ["accessTokenMaxTTL", 315360001],
    ["accessTokenNumUsesLimit", -1],
    ["accessTokenNumUsesLimit", 1.5],
  ])("refuses %s = %j", (field, value) => {
    expectRefused({ ...MINIMAL, accessTokenTTL: 0, [field]: value }, field);
  });

  it("accepts digit strings (HTML forms send them)", () => {
    expect(accepted({ ...MINIMAL, accessTokenTTL: "600", accessTokenMaxTTL: " 3600 ", accessTokenNumUsesLimit: "3" })).toMatchObject({
      accessTokenTTL: 600,
      accessTokenMaxTTL: 3600,
      accessTokenNumUsesLimit: 3,
    });
  });

  it.each([
    ["accessTokenTTL", "1e3"],
    ["accessTokenMaxTTL", "abc"],
    ["accessTokenNumUsesLimit", "3.5"],
  ])("refuses %s = %j saying which strings it takes", (field, value) => {
    expectRefused({ ...MINIMAL, [field]: value }, field, STRICT, null, /^expected a whole number, or a string of decimal digits$/);
  });

  it("accepts the 10-year bound", () => {
    expect(accepted({ ...MINIMAL, accessTokenTTL: 315360000, accessTokenMaxTTL: 315360000 }).accessTokenMaxTTL).toBe(315360000);
  });
});

describe("parseOidcConfig: bindings and the condition", () => {
  const noBinding = { oidcDiscoveryUrl: GITLAB, boundIssuer: GITLAB };

  it("leaves what the bindings admit to the policy (test/unit/config-policy.test.ts): the fields alone are valid", () => {
    expect(accepted(noBinding)).toMatchObject({ boundSubject: "", boundClaims: {}, condition: "" });
  });

  it("stores a condition as sent, a blank one as none, and refuses one over 4096 characters", () => {
    const condition = '\n  claims.ref == "main"\n';
    expect(accepted({ ...MINIMAL, condition }).condition).toBe(condition);
    expect(accepted({ ...MINIMAL, condition: " \n\t" }).condition).toBe("");
    expectRefused({ ...MINIMAL, condition: `claims.ref == "${"x".repeat(4096)}"` }, "condition");
    expectRefused({ ...MINIMAL, condition: true }, "condition");
  });

  it("refuses non-string claim values, and more than 64 claims", () => {
    expectRefused({ ...MINIMAL, boundClaims: { runner_id: 1 } }, "boundClaims.runner_id");
    expectRefused({ ...MINIMAL, boundClaims: { flag: true } }, "boundClaims.flag");
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, "x"]));
    expectRefused({ ...MINIMAL, boundClaims: many }, "boundClaims");
  });
});

describe("parseOidcConfig: other fields", () => {
  const PEM = `${TEST_CA_CERT}\n`;

  it("accepts a PEM certificate or an empty caCert, and refuses anything else", () => {
    expect(accepted({ ...MINIMAL, caCert: PEM }).caCert).toBe(PEM);
    expect(accepted({ ...MINIMAL, caCert: "" }).caCert).toBe("");
    expectRefused({ ...MINIMAL, caCert: "MIIBszCCAVmgAwIBAgIU" }, "caCert");
    expectRefused({ ...MINIMAL, caCert: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----" }, "caCert");
  });

  it("accepts a claimMetadataMapping and refuses odd keys", () => {
    expect(
      accepted({ ...MINIMAL, claimMetadataMapping: { "project.path": "project_path", ref_1: "ref" } }).claimMetadataMapping,
    ).toEqual({
      "project.path": "project_path",
      ref_1: "ref",
    });
    expectRefused({ ...MINIMAL, claimMetadataMapping: { "a b": "sub" } }, "claimMetadataMapping.a b");
    expectRefused({ ...MINIMAL, claimMetadataMapping: { a: "" } }, "claimMetadataMapping.a");
  });

  it("refuses wrong types", () => {
    expectRefused({ ...MINIMAL, boundSubject: 7 }, "boundSubject");
    expectRefused({ ...MINIMAL, boundAudiences: ["a", "b"] }, "boundAudiences");
    expectRefused({ ...MINIMAL, boundClaims: "project_id=20" }, "boundClaims");
    expectRefused({ ...MINIMAL, replayProtection: "yes" }, "replayProtection");
  });
});

describe("parseOidcConfig: changes (PATCH)", () => {
  const existing = stored({
    ...MINIMAL,
    boundAudiences: "aud-1",
    boundClaims: { project_id: "20" },
    accessTokenTTL: 600,
    accessTokenMaxTTL: 3600,
  });

  it("merges the fields sent over the stored configuration", () => {
    const fields = accepted({ boundAudiences: "aud-2" }, existing);
    expect(fields).toMatchObject({
      oidcDiscoveryUrl: GITLAB,
      boundIssuer: GITLAB,
      boundSubject: SUBJECT,
      boundAudiences: "aud-2",
      boundClaims: { project_id: "20" },
      accessTokenTTL: 600,
      accessTokenMaxTTL: 3600,
    });
  });

  it("accepts an empty PATCH as no change", () => {
    expect(accepted({}, existing)).toMatchObject({ boundAudiences: "aud-1", accessTokenTTL: 600 });
  });

  it("judges cross-field rules on the merged result", () => {
    expectRefused({ accessTokenTTL: 7200 }, "accessTokenTTL", STRICT, existing);
    expectRefused({ accessTokenMaxTTL: 300 }, "accessTokenTTL", STRICT, existing);
    expect(accepted({ accessTokenTTL: 7200, accessTokenMaxTTL: 7200 }, existing)).toMatchObject({ accessTokenTTL: 7200 });
  });

  it("keeps the condition when it is absent (Infisical's clients never send it), and clears it with an empty string", () => {
    const withCondition = stored({ ...MINIMAL, condition: 'claims.ref == "main"' });
    expect(accepted({ boundAudiences: "x" }, withCondition).condition).toBe('claims.ref == "main"');
    expect(accepted({ condition: "" }, withCondition).condition).toBe("");
  });

  it("replaces boundClaims as a whole rather than merging keys", () => {
    expect(accepted({ boundClaims: { ref: "main" } }, existing).boundClaims).toEqual({ ref: "main" });
  });

  it("clears nullable fields with null and keeps them when absent", () => {
    const withMapping = stored({ ...MINIMAL, claimMetadataMapping: { p: "project_path" }, jwksUrl: "https://gitlab.com/keys" });
    expect(accepted({ boundAudiences: "x" }, withMapping)).toMatchObject({
      claimMetadataMapping: { p: "project_path" },
      jwksUrl: "https://gitlab.com/keys",
    });
    expect(accepted({ claimMetadataMapping: null, jwksUrl: null }, withMapping)).toMatchObject({
      claimMetadataMapping: null,
      jwksUrl: null,
    });
  });

  it("applies the URL policy to a changed URL", () => {
    expectRefused({ oidcDiscoveryUrl: "http://gitlab.com" }, "oidcDiscoveryUrl", STRICT, existing);
  });
});
