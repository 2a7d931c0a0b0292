import { describe, expect, it } from "vitest";
import { checkBindings } from "../../src/oidc/bindings";
import { claimSnapshot } from "../../src/oidc/claim-snapshot";
import { AUDIT_VALUE_MAX, evaluateConfig, type EvaluatedConfig } from "../../src/oidc/evaluate";
import type { OidcAuthConfig } from "../../src/storage/records";
import { gitlabClaims } from "../support/ci-claims";

const ISSUER = "https://gitlab.example";
const config: EvaluatedConfig = {
  boundIssuer: ISSUER,
  boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main",
  boundAudiences: "https://edge-oidc-auth.example",
  boundClaims: { ref_protected: "true", "ctx.team": "ops" },
  condition: "",
};
const token = (overrides: Record<string, unknown> = {}) =>
  ({ ...gitlabClaims(), iss: ISSUER, ctx: { team: "ops" }, ...overrides }) as Record<string, unknown>;

describe("evaluateConfig", () => {
  it("admits a token every rule admits", () => {
    expect(evaluateConfig(config, token())).toEqual({ admitted: true });
  });

  it("names the first rule that refuses, in the login's order, with the pattern and the token's value", () => {
    const refused = (claims: Record<string, unknown>) => {
      const v = evaluateConfig(config, claims);
      return v.admitted ? null : { reason: v.refusal.reason, qualifier: v.refusal.qualifier, failedRule: v.failedRule };
    };
    expect(refused(token({ iss: "https://other.example", sub: "x" }))).toEqual({
      reason: "issuer_mismatch",
      qualifier: undefined,
      failedRule: { rule: "issuer", expected: ISSUER, actual: "https://other.example" },
    });
    expect(refused(token({ sub: "x", aud: "y" }))?.failedRule).toEqual({
      rule: "subject",
      expected: config.boundSubject,
      actual: "x",
    });
    expect(refused(token({ aud: ["a", 1] }))?.failedRule).toEqual({
      rule: "audience",
      expected: config.boundAudiences,
      actual: ["a", "1"],
    });
    expect(refused(token({ ref_protected: undefined }))).toEqual({
      reason: "claim_not_allowed",
      qualifier: "ref_protected",
      failedRule: { rule: "claim", claim: "ref_protected", expected: "true" },
    });
    expect(refused(token({ ctx: { team: { lead: "x" } } }))?.failedRule).toEqual({
      rule: "claim",
      claim: "ctx.team",
      expected: "ops",
      actual: '{"lead":"x"}',
    });
  });

  it("cuts long values and patterns to AUDIT_VALUE_MAX characters", () => {
    const long = "x".repeat(1000);
    const v = evaluateConfig({ ...config, boundSubject: `${long}*` }, token({ sub: long.slice(1) }));
    expect(v.admitted).toBe(false);
    if (v.admitted) return;
    expect(v.failedRule.expected).toHaveLength(AUDIT_VALUE_MAX);
    expect(v.failedRule.actual).toHaveLength(AUDIT_VALUE_MAX);
    const many = evaluateConfig(config, token({ aud: Array.from({ length: 40 }, (_, i) => `${i}`.repeat(100)) }));
    const shown = many.admitted ? [] : (many.failedRule.actual as string[]);
    expect(shown.join("")).toHaveLength(AUDIT_VALUE_MAX);
    expect(shown).toHaveLength(3);
  });

  it("decides a token and its claim snapshot alike, and as checkBindings does", () => {
    for (const claims of [token(), token({ sub: "x" }), token({ aud: "z" }), token({ ref_protected: "false" })]) {
      const whole = evaluateConfig(config, claims);
      expect(evaluateConfig(config, claimSnapshot(claims))).toEqual(whole);
      const bindings = checkBindings(claims, config as OidcAuthConfig);
      expect(whole.admitted ? bindings : whole.refusal).toEqual(bindings);
    }
  });
});

describe("the condition", () => {
  it("is the last rule, and names the conjunct that failed, not the claim's value", () => {
    const withCondition = { ...config, condition: 'claims.ref_type == "branch" && claims.ref == "release"' };
    const verdict = evaluateConfig(withCondition, token({ ref: "secret-branch-name" }));
    expect(verdict).toMatchObject({
      admitted: false,
      refusal: { reason: "condition_failed" },
      failedRule: { rule: "condition", expected: withCondition.condition, conjunct: 'claims.ref == "release"' },
    });
    expect(JSON.stringify(verdict)).not.toContain("secret-branch-name");
    expect(evaluateConfig(withCondition, token({ ref: "release" }))).toEqual({ admitted: true });
  });
});
