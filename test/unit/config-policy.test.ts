// What a configuration must satisfy beyond its schema (src/oidc/config-policy.ts): its condition compiles,
// then it pins an owner; and the warnings about an accepted or stored configuration. The rules of owner
// pinning themselves are test/unit/owner-pinning.test.ts; through the API, test/integration/oidc-config.test.ts.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/errors";
import { configWarnings, enforceConfigPolicy, type PolicyFields } from "../../src/oidc/config-policy";

const AUDIENCE = "https://edge-oidc-auth.example";
const fields = (f: Partial<PolicyFields>): PolicyFields => ({
  boundSubject: "",
  boundAudiences: AUDIENCE,
  boundClaims: {},
  condition: "",
  ...f,
});

/** The refusal enforceConfigPolicy throws for these fields. */
function refusal(f: Partial<PolicyFields>): DomainError {
  try {
    enforceConfigPolicy(fields(f));
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(f)}`);
}

function expectTooBroad(f: Partial<PolicyFields>, field: string) {
  const err = refusal(f);
  expect(err.reason).toBe("binding_too_broad");
  expect(err.details).toEqual([{ field, message: expect.any(String) }]);
  const [detail] = err.details as { message: string }[];
  expect(detail!.message).toContain(field === "condition" ? "the condition" : field);
  expect(err.message).toBe(detail!.message);
}

describe("owner pinning, enforced", () => {
  describe("refuses what admits every user of a shared issuer (binding_too_broad, naming the field)", () => {
    it.each(["project_path:**", "project_path:*/*:ref_type:branch:ref:main", "repo:*/*:ref:refs/heads/main", "*", "**", "?", "*?**"])(
      "the subject %j",
      (boundSubject) => expectTooBroad({ boundSubject }, "boundSubject"),
    );

    it.each<Record<string, string>>([
      { ref_protected: "true" },
      { ref_type: "branch", ref: "main" },
      { project_id: "*" },
      { project_id: "20,*" },
      { project_id: "**, 20" },
      { project_id: "" },
      { iss: "https://gitlab.com" },
      { aud: AUDIENCE },
      { exp: "1*" },
      { jti: "a*" },
    ])("the claims %j without a subject", (boundClaims) => expectTooBroad({ boundClaims }, "boundClaims"));

    it("nothing bound at all, the audience alone included", () => {
      expectTooBroad({}, "boundSubject");
      expectTooBroad({ boundAudiences: AUDIENCE }, "boundSubject");
    });

    it("a condition that fixes only what any user controls", () => {
      expectTooBroad({ condition: 'claims.ref_protected == "true" && claims.ref == "main"' }, "condition");
      expectTooBroad({ boundSubject: "project_path:**", condition: 'claims.namespace_path.startsWith("mygroup")' }, "boundSubject");
      expectTooBroad({ condition: 'claims.namespace_id == "72" || true' }, "condition");
    });
  });

  describe("admits a configuration that pins an owner", () => {
    it.each<Partial<PolicyFields>>([
      { boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main" },
      { boundSubject: "project_path:mygroup/**" },
      { boundSubject: "repo:octo-org/*" },
      { boundClaims: { namespace_id: "72" } },
      { boundClaims: { repository_owner_id: "65", ref: "refs/heads/main" } },
      { boundSubject: "project_path:**", condition: 'claims.namespace_id == "72"' },
      { condition: 'claims.ref_protected == "true" && claims.project_path in ["mygroup/app", "mygroup/lib"]' },
      { boundSubject: "system:serviceaccount:ci:deployer" },
      { boundClaims: { workload: "billing" } },
    ])("%j", (f) => {
      expect(() => enforceConfigPolicy(fields(f))).not.toThrow();
    });
  });
});

describe("the condition, compiled first", () => {
  it("refuses a syntax error with condition_invalid and its position", () => {
    const err = refusal({ boundSubject: "project_path:mygroup/*", condition: 'claims.ref == "main" &&\n  claims.ref ==== "x"' });
    expect(err.reason).toBe("condition_invalid");
    expect(err.message).toMatch(/^The condition does not compile at line 2, column 16: /);
    expect(err.details).toEqual([
      { field: "condition", message: expect.stringMatching(/^line 2, column 16: /), position: { offset: 39, line: 2, column: 16 } },
    ]);
  });

  it("refuses a type error, before judging the bindings", () => {
    const err = refusal({ condition: 'claims.ref == "main" && 1 + "a" == 2' });
    expect(err.reason).toBe("condition_invalid");
    expect(err.details).toEqual([expect.objectContaining({ position: { offset: 24, line: 1, column: 25 } })]);
  });
});

describe("warnings", () => {
  const pinned = { boundSubject: "project_path:mygroup/*" };

  it("none for a pinned configuration with a bound audience", () => {
    expect(configWarnings(fields(pinned))).toEqual([]);
    for (const boundAudiences of ["https://a.example, https://b.example", "https://*.example", "?x"]) {
      expect(configWarnings(fields({ ...pinned, boundAudiences }))).toEqual([]);
    }
  });

  it("audience_unbound for an empty boundAudiences, or one with a wildcard-only entry, explaining the replay", () => {
    for (const boundAudiences of ["", " ", "*", "**, ?", "https://edge.example, **", "x,*", "?, https://edge.example"]) {
      expect(configWarnings(fields({ ...pinned, boundAudiences }))).toEqual([
        { code: "audience_unbound", field: "boundAudiences", message: expect.stringMatching(/replay/) },
      ]);
    }
  });

  it("binding_too_broad for a stored configuration that pins no owner, naming the field", () => {
    expect(configWarnings(fields({ boundClaims: { ref_protected: "true" }, boundAudiences: "" }))).toEqual([
      { code: "binding_too_broad", field: "boundClaims", message: expect.stringMatching(/^boundClaims pins no owner.*still logs in/) },
      expect.objectContaining({ code: "audience_unbound" }),
    ]);
  });

  it("condition_invalid for a stored condition that does not compile", () => {
    expect(configWarnings(fields({ ...pinned, condition: "claims.ref ==" }))).toEqual([
      { code: "condition_invalid", field: "condition", message: expect.stringMatching(/line 1, column 14.*every login is refused/) },
    ]);
  });
});
