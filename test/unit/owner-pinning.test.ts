import { describe, expect, it } from "vitest";
import { checkOwnerPinning, type PinningInput } from "../../src/oidc/owner-pinning";

const verdict = (input: Partial<PinningInput>) => checkOwnerPinning({ boundSubject: "", boundClaims: {}, ...input });
const pinned = (input: Partial<PinningInput>) => verdict(input).pinned;

describe("owner pinning", () => {
  describe("refuses configurations that admit every user of a shared issuer", () => {
    it.each([
      ["project_path:**"],
      ["project_path:*/*:ref_type:branch:ref:main"],
      ["project_path:*"],
      ["project_path:my*/app:ref_type:branch:ref:main"],
      ["project_path:?ygroup/app"],
      ["project_path:mygroup*"],
      ["project_path:mygroup**"],
      ["repo:*/*:ref:refs/heads/main"],
      ["repo:*"],
      ["repo:octo*/app:ref:refs/heads/main"],
      // patterns that can stand for the prefix itself
      ["**"],
      ["repo**"],
      ["r*/**"],
      ["*:octo-org/*"],
      ["p?oject_path:mygroup/**"],
      ["project_path**"],
    ])("subject %s", (boundSubject) => {
      const v = verdict({ boundSubject });
      expect(v).toMatchObject({ pinned: false, field: "boundSubject" });
      expect(v.message).toMatch(/^boundSubject /);
    });

    it.each([
      [{ ref_protected: "true" }],
      [{ ref_type: "branch", ref: "main" }],
      [{ environment: "production", environment_protected: "true" }],
      [{ pipeline_source: "push", user_login: "alice" }],
      [{ actor: "octocat", event_name: "push", runner_environment: "github-hosted" }],
      [{ iss: "https://gitlab.com", aud: "https://vault.example" }],
      [{ namespace_path: "*/x" }],
      [{ project_path: "*/app" }],
      [{ repository: "*/app" }],
      [{ namespace_id: "12*" }],
      [{ namespace_path: "mygroup*" }],
      [{ repository_owner: "*" }],
      [{ project_id: "42, *" }], // any-of: one alternative admits everyone
      // the subject bound as a claim is judged as the subject is
      [{ sub: "project_path:**" }],
      [{ sub: "project_path:*/*:ref_type:branch:ref:main" }],
      [{ sub: "repo:*/*:ref:refs/heads/main" }],
      [{ sub: "repo:octo-org/*, repo:*/*" }],
      [{ sub: "*:octo-org/*" }],
      // claims any user sets in a project or account of their own
      [{ actor_id: "12345" }],
      [{ deployment_tier: "production" }],
      [{ project_visibility: "private" }],
      [{ repository_visibility: "private" }],
      [{ workflow: "deploy" }],
      [{ head_ref: "main", base_ref: "main" }],
      [{ user_access_level: "maintainer" }],
      [{ sha: "0123abcd" }],
      // where a definition lives: any project may run a public one
      [{ job_workflow_ref: "*/*/.github/workflows/deploy.yml@refs/heads/main" }],
      [{ job_workflow_ref: "octo-org/workflows/.github/workflows/deploy.yml@refs/heads/main" }],
      [{ ci_config_ref_uri: "gitlab.com/*/*//.gitlab-ci.yml@refs/heads/main" }],
      [{ workflow_ref: "*/app/.github/workflows/deploy.yml@refs/heads/main" }],
    ])("claims %o without a subject", (boundClaims) => {
      const v = verdict({ boundClaims });
      expect(v).toMatchObject({ pinned: false, field: "boundClaims" });
      expect(v.message).toMatch(/^boundClaims pins no owner/);
    });

    it("says which bound claims never pin an owner", () => {
      expect(verdict({ boundClaims: { ref_type: "branch", ref: "main" } }).message).toMatch(
        /\(ref_type, ref do not pin one: a job in anyone's project can carry the same values\)/,
      );
      expect(verdict({ boundClaims: { job_workflow_ref: "o/r/.github/workflows/d.yml@refs/heads/main" } }).message).toMatch(
        /\(job_workflow_ref does not pin one: a job in anyone's project can carry the same value\)/,
      );
    });

    it("names the condition when only a condition is there to fix", () => {
      expect(verdict({ hasCondition: true, conditionPins: [{ claim: "ref", values: ["main"] }] })).toMatchObject({
        pinned: false,
        field: "condition",
        message: expect.stringMatching(/^the condition pins no owner/),
      });
    });

    it("does not count a never-pinning claim even next to a broad shaped subject", () => {
      expect(pinned({ boundSubject: "project_path:**", boundClaims: { ref: "main", ref_protected: "true" } })).toBe(false);
    });

    it("names every shared issuer's subjects a broad subject can match, not only GitLab's", () => {
      for (const boundSubject of ["*/*:environment:production", "**:environment:production"]) {
        expect(verdict({ boundSubject }).message, boundSubject).toMatch(
          /can match GitLab subjects \(project_path:\.\.\.\) and GitHub subjects \(repo:\.\.\.\) of any owner/,
        );
      }
      expect(verdict({ boundSubject: "project_**" }).message).toMatch(
        /can match GitLab subjects \(project_path:\.\.\.\) of any owner/,
      );
      expect(verdict({ boundSubject: "re*/**" }).message).toMatch(/can match GitHub subjects \(repo:\.\.\.\) of any owner/);
    });

    it("nothing bound at all names the subject", () => {
      expect(verdict({})).toMatchObject({ pinned: false, field: "boundSubject" });
    });
  });

  describe("admits configurations that fix the owner", () => {
    it.each([
      ["project_path:mygroup/myproject:ref_type:branch:ref:main"],
      ["project_path:mygroup/*:ref_type:branch:ref:main"],
      ["project_path:mygroup/**"],
      ["repo:octo-org/app:ref:refs/heads/main"],
      ["repo:octo-org/*:environment:production"],
    ])("subject %s", (boundSubject) => {
      expect(pinned({ boundSubject })).toBe(true);
    });

    it.each([
      [{ namespace_path: "mygroup" }],
      [{ namespace_path: "mygroup/sub, other" }],
      [{ namespace_id: "1234" }],
      [{ root_namespace_id: "1234" }],
      [{ project_id: "42, 43" }],
      [{ project_path: "mygroup/app" }],
      [{ root_namespace_path: "mygroup/sub" }],
      [{ repository_owner: "octo-org" }],
      [{ repository_owner_id: "9919" }],
      [{ repository: "octo-org/*" }],
      [{ repository_id: "123456" }],
      [{ job_project_path: "mygroup/app" }],
      [{ job_namespace_id: "1234" }],
      [{ workflow_ref: "octo-org/app/.github/workflows/deploy.yml@refs/heads/main" }],
      [{ sub: "project_path:mygroup/*:ref_type:branch:ref:main" }],
      [{ sub: "repo:octo-org/*, repo:octo-org/app:environment:prod" }],
    ])("claims %o", (boundClaims) => {
      expect(verdict({ boundClaims })).toMatchObject({ pinned: true, field: "boundClaims" });
    });

    it("a pin names what pins", () => {
      expect(verdict({ boundClaims: { namespace_id: "1234" } }).message).toBe("boundClaims.namespace_id pins the owner");
      expect(verdict({ conditionPins: [{ claim: "namespace_id", values: ["1234"] }] })).toMatchObject({
        pinned: true,
        field: "condition",
      });
      expect(verdict({ boundSubject: "repo:octo-org/*" }).message).toBe("the GitHub subject fixes the owner");
    });

    it("a broad shaped subject is fine when an owner claim pins", () => {
      expect(pinned({ boundSubject: "project_path:**", boundClaims: { namespace_id: "1234" } })).toBe(true);
    });

    it("a literal condition conjunct on an owner claim pins", () => {
      expect(pinned({ boundSubject: "repo:*/*", conditionPins: [{ claim: "repository_owner_id", values: ["9919"] }] })).toBe(true);
      expect(pinned({ conditionPins: [{ claim: "project_path", values: ["mygroup/app", "other/app"] }] })).toBe(true);
      expect(pinned({ conditionPins: [{ claim: "ref", values: ["main"] }] })).toBe(false);
      expect(pinned({ conditionPins: [{ claim: "project_id", values: [] }] })).toBe(false);
    });
  });

  describe("other issuers keep the literal-text rule, without claims any user controls", () => {
    it("admits a custom subject with literal text", () => {
      expect(pinned({ boundSubject: "system:serviceaccount:ci:deployer" })).toBe(true);
    });
    it("admits an identifying custom claim", () => {
      expect(pinned({ boundClaims: { workload: "billing-*" } })).toBe(true);
    });
    it("admits a pattern that cannot match a shared issuer's subjects (no / and no **)", () => {
      expect(pinned({ boundSubject: "*-deployer" })).toBe(true);
      expect(pinned({ boundSubject: "system:serviceaccount:ci:*" })).toBe(true);
    });
    it("admits a condition that fixes an identifying custom claim, not one any user controls", () => {
      expect(verdict({ conditionPins: [{ claim: "workload", values: ["billing"] }] })).toMatchObject({
        pinned: true,
        field: "condition",
      });
      expect(pinned({ conditionPins: [{ claim: "environment", values: ["production"] }] })).toBe(false);
      expect(pinned({ conditionPins: [{ claim: "workload", values: [""] }] })).toBe(false);
    });
    it("refuses wildcard-only subjects and claims", () => {
      expect(pinned({ boundSubject: "**" })).toBe(false);
      expect(pinned({ boundClaims: { workload: "*, ?" } })).toBe(false);
    });
  });
});
