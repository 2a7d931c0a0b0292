import type { JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { checkBindings, checkCondition } from "../../src/oidc/bindings";
import type { OidcAuthConfig } from "../../src/storage/records";

const SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";
const AUDIENCE = "https://edge-oidc-auth.example";

/** A verified GitLab ID token payload, as checkBindings receives it. */
function gitlabPayload(overrides: Record<string, unknown> = {}): JWTPayload {
  const payload: Record<string, unknown> = {
    iss: "https://gitlab.com",
    sub: SUBJECT,
    aud: AUDIENCE,
    exp: 2_000_000_000,
    project_id: "20",
    project_path: "mygroup/myproject",
    ref: "main",
    ref_protected: "true",
    runner_id: 1,
    ...overrides,
  };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete payload[k];
  return payload as JWTPayload;
}

function config(
  bindings: Partial<Pick<OidcAuthConfig, "boundSubject" | "boundAudiences" | "boundClaims" | "condition">>,
): OidcAuthConfig {
  return {
    id: "cfg",
    identityId: "identity",
    oidcDiscoveryUrl: "https://gitlab.com",
    boundIssuer: "https://gitlab.com",
    caCert: "",
    boundSubject: "",
    boundAudiences: "",
    boundClaims: {},
    condition: "",
    claimMetadataMapping: null,
    accessTokenTTL: 600,
    accessTokenMaxTTL: 3600,
    accessTokenNumUsesLimit: 0,
    accessTokenTrustedIps: [],
    jwksUrl: null,
    jwksJson: null,
    replayProtection: false,
    createdAt: "",
    updatedAt: "",
    ...bindings,
  };
}

const SEED = config({ boundSubject: SUBJECT, boundAudiences: AUDIENCE, boundClaims: { project_id: "20", ref_protected: "true" } });

/** A refusal with the wire code `reasonCode` ("claim_not_allowed: <claim>" carries its qualifier). */
const refusedWith = (reasonCode: string) => {
  const [reason, qualifier] = reasonCode.split(": ");
  return { ok: false, reason, ...(qualifier ? { qualifier } : {}), message: expect.any(String) };
};

describe("checkBindings", () => {
  it("admits the seed pipeline's token", () => {
    expect(checkBindings(gitlabPayload(), SEED)).toEqual({ ok: true });
  });

  it("binds nothing that is left empty", () => {
    expect(checkBindings(gitlabPayload({ sub: "anything", aud: "anyone" }), config({}))).toEqual({ ok: true });
  });

  describe("subject", () => {
    it.each<[string, unknown]>([
      ["another subject", "project_path:mygroup/myproject:ref_type:branch:ref:dev"],
      ["no sub", undefined],
      ["a numeric sub", 20],
      ["an array sub", [SUBJECT]],
      ["a differently cased sub", SUBJECT.toUpperCase()],
      ["the sub with a trailing space", `${SUBJECT} `],
    ])("refuses %s", (_name, sub) => {
      expect(checkBindings(gitlabPayload({ sub }), SEED)).toEqual(refusedWith("subject_not_allowed"));
    });

    it("treats the subject as one pattern, not a comma list", () => {
      const cfg = config({ boundSubject: "a,b" });
      expect(checkBindings(gitlabPayload({ sub: "a" }), cfg).ok).toBe(false);
      expect(checkBindings(gitlabPayload({ sub: "a,b" }), cfg).ok).toBe(true);
    });

    it("applies globs", () => {
      const cfg = config({ boundSubject: "project_path:mygroup/*:ref_type:*:ref:**" });
      expect(checkBindings(gitlabPayload({ sub: "project_path:mygroup/x:ref_type:tag:ref:v1/rc" }), cfg).ok).toBe(true);
      expect(checkBindings(gitlabPayload({ sub: "project_path:mygroup/x/y:ref_type:tag:ref:v1" }), cfg).ok).toBe(false);
    });
  });

  describe("audiences", () => {
    it.each<[string, unknown]>([
      ["another audience", "https://other.example"],
      ["no aud", undefined],
      ["an empty array", []],
      ["an array without the audience", ["https://a.example", "https://b.example"]],
      ["an audience with a trailing slash", `${AUDIENCE}/`],
    ])("refuses %s", (_name, aud) => {
      expect(checkBindings(gitlabPayload({ aud }), SEED)).toEqual(refusedWith("audience_not_allowed"));
    });

    it("admits an aud array with one matching entry", () => {
      expect(checkBindings(gitlabPayload({ aud: ["https://a.example", AUDIENCE] }), SEED)).toEqual({ ok: true });
    });

    it("admits any audience of a comma list", () => {
      const cfg = config({ boundAudiences: "https://a.example , https://b.example" });
      expect(checkBindings(gitlabPayload({ aud: "https://b.example" }), cfg).ok).toBe(true);
      expect(checkBindings(gitlabPayload({ aud: "https://c.example" }), cfg).ok).toBe(false);
    });
  });

  describe("claims", () => {
    it.each<[string, Record<string, unknown>, string]>([
      ["a wrong project_id", { project_id: "21" }, "project_id"],
      ["a missing project_id", { project_id: undefined }, "project_id"],
      ["ref_protected false", { ref_protected: "false" }, "ref_protected"],
      ["a null ref_protected", { ref_protected: null }, "ref_protected"],
      ["an object ref_protected", { ref_protected: { v: "true" } }, "ref_protected"],
    ])("refuses %s naming the claim", (_name, overrides, claim) => {
      expect(checkBindings(gitlabPayload(overrides), SEED)).toEqual(refusedWith(`claim_not_allowed: ${claim}`));
    });

    it("names the first failing claim in sorted order, whatever the order of the configuration", () => {
      const a = config({ boundClaims: { z_claim: "1", a_claim: "1" } });
      const b = config({ boundClaims: { a_claim: "1", z_claim: "1" } });
      expect(checkBindings(gitlabPayload(), a)).toEqual(refusedWith("claim_not_allowed: a_claim"));
      expect(checkBindings(gitlabPayload(), b)).toEqual(refusedWith("claim_not_allowed: a_claim"));
    });

    it("matches numbers and booleans by their text", () => {
      const cfg = config({ boundClaims: { runner_id: "1", protected: "true" } });
      expect(checkBindings(gitlabPayload({ runner_id: 1, protected: true }), cfg).ok).toBe(true);
      expect(checkBindings(gitlabPayload({ runner_id: 10, protected: true }), cfg)).toEqual(
        refusedWith("claim_not_allowed: runner_id"),
      );
      expect(checkBindings(gitlabPayload({ runner_id: 1, protected: false }), cfg)).toEqual(
        refusedWith("claim_not_allowed: protected"),
      );
    });

    it("reads dot paths into nested objects", () => {
      const cfg = config({ boundClaims: { "ext.team.name": "platform" } });
      expect(checkBindings(gitlabPayload({ ext: { team: { name: "platform" } } }), cfg).ok).toBe(true);
      expect(checkBindings(gitlabPayload({ ext: { team: { name: "ops" } } }), cfg)).toEqual(
        refusedWith("claim_not_allowed: ext.team.name"),
      );
      expect(checkBindings(gitlabPayload({ ext: {} }), cfg)).toEqual(refusedWith("claim_not_allowed: ext.team.name"));
    });

    it("never resolves a path through the prototype", () => {
      const cfg = config({ boundClaims: { "constructor.name": "Object", toString: "*" } });
      expect(checkBindings(gitlabPayload(), cfg).ok).toBe(false);
    });

    it("admits an array claim when any element matches", () => {
      const cfg = config({ boundClaims: { groups: "deploy*" } });
      expect(checkBindings(gitlabPayload({ groups: ["read", "deployers"] }), cfg).ok).toBe(true);
      expect(checkBindings(gitlabPayload({ groups: ["read"] }), cfg).ok).toBe(false);
    });

    it("never matches a missing claim, even with `*`", () => {
      expect(checkBindings(gitlabPayload(), config({ boundClaims: { environment: "*" } }))).toEqual(
        refusedWith("claim_not_allowed: environment"),
      );
      expect(checkBindings(gitlabPayload({ environment: "" }), config({ boundClaims: { environment: "*" } })).ok).toBe(true);
    });

    it("never matches a bound claim whose pattern list is empty", () => {
      expect(checkBindings(gitlabPayload({ ref: "" }), config({ boundClaims: { ref: " , " } }))).toEqual(
        refusedWith("claim_not_allowed: ref"),
      );
    });
  });

  describe("condition", () => {
    const PROTECTED_MAIN = config({
      boundSubject: SUBJECT,
      condition: 'claims.ref_protected == "true" && claims.ref in ["main", "release"]',
    });

    it("admits when it holds, refuses with condition_failed when it does not", () => {
      expect(checkBindings(gitlabPayload(), PROTECTED_MAIN)).toEqual({ ok: true });
      expect(checkBindings(gitlabPayload({ ref_protected: "false" }), PROTECTED_MAIN)).toEqual(refusedWith("condition_failed"));
    });

    it("refuses a missing claim, and a stored condition that does not compile", () => {
      expect(checkBindings(gitlabPayload({ ref: undefined }), PROTECTED_MAIN)).toEqual(refusedWith("condition_failed"));
      expect(checkBindings(gitlabPayload(), config({ condition: "claims.ref ==" }))).toEqual(refusedWith("condition_failed"));
    });

    it("names the conjunct for the admin, not for the caller", () => {
      const result = checkBindings(gitlabPayload({ ref: "secret-ref" }), PROTECTED_MAIN);
      expect(JSON.stringify(result)).not.toContain("secret-");
      expect(JSON.stringify(result)).not.toContain("claims.ref");
      expect(checkCondition(gitlabPayload({ ref: "secret-ref" }), PROTECTED_MAIN.condition)).toEqual({
        ok: false,
        conjunct: { text: 'claims.ref in ["main", "release"]', offset: 34 },
      });
    });
  });

  describe("order of the rules", () => {
    it("checks subject, then audience, then claims, then the condition", () => {
      const seed = { ...SEED, condition: "claims.project_id == claims.job_project_id" };
      const all = gitlabPayload({ sub: "x", aud: "x", project_id: "x" });
      expect(checkBindings(all, seed)).toEqual(refusedWith("subject_not_allowed"));
      expect(checkBindings(gitlabPayload({ aud: "x", project_id: "x" }), seed)).toEqual(refusedWith("audience_not_allowed"));
      expect(checkBindings(gitlabPayload({ project_id: "x" }), seed)).toEqual(refusedWith("claim_not_allowed: project_id"));
      expect(checkBindings(gitlabPayload({ job_project_id: "x" }), seed)).toEqual(refusedWith("condition_failed"));
    });
  });

  it("never puts claim values in the message", () => {
    const result = checkBindings(gitlabPayload({ sub: "secret-subject-value", project_id: "secret-project" }), SEED);
    expect(JSON.stringify(result)).not.toContain("secret-");
  });
});
