// The pattern language end to end: `*` stops at `/`, `**` does not, `?` is one character, comma lists
// are any-of, arrays match if any element does, numbers and booleans match their text, keys may be dot
// paths. Each case logs in once with a token that must be admitted and once with one that must not.
import { describe, it } from "vitest";
import type { Claims } from "../support/idp";
import { AUDIENCE, expectIssued, expectRefused, GITLAB_SUBJECT, scenario } from "../support/login-scenario";

interface GlobCase {
  name: string;
  config: Record<string, unknown>;
  admits: Claims[];
  refuses: Claims[];
  reasonCode: string;
}

const subjectFor = (path: string, ref = "main", refType = "branch") => `project_path:${path}:ref_type:${refType}:ref:${ref}`;

/** One identity; every `admits` token logs in, every `refuses` token is refused with `reasonCode`. */
async function checkGlob(c: GlobCase) {
  const s = await scenario(c.config);
  for (const claims of c.admits) expectIssued(await s.loginWith(claims));
  for (const claims of c.refuses) {
    const res = await s.loginWith(claims);
    expectRefused(res, 401, c.reasonCode, [res.jwt]);
  }
}

describe("subject patterns", () => {
  it.each<GlobCase>([
    {
      name: "`*` matches within one path segment only",
      config: { boundSubject: subjectFor("mygroup/*") },
      admits: [{ sub: subjectFor("mygroup/myproject") }, { sub: subjectFor("mygroup/other") }],
      refuses: [{ sub: subjectFor("mygroup/sub/project") }, { sub: subjectFor("othergroup/myproject") }],
      reasonCode: "subject_not_allowed",
    },
    {
      name: "`**` crosses `/`",
      config: { boundSubject: subjectFor("mygroup/**") },
      admits: [{ sub: subjectFor("mygroup/myproject") }, { sub: subjectFor("mygroup/sub/deeper/project") }],
      refuses: [{ sub: subjectFor("mygroupx/project") }, { sub: subjectFor("othergroup/mygroup/project") }],
      reasonCode: "subject_not_allowed",
    },
    {
      name: "`*` in a ref does not admit a ref containing `/`",
      config: { boundSubject: subjectFor("mygroup/myproject", "release-*") },
      admits: [{ sub: subjectFor("mygroup/myproject", "release-1.2") }, { sub: subjectFor("mygroup/myproject", "release-") }],
      refuses: [{ sub: subjectFor("mygroup/myproject", "release-1/hotfix") }, { sub: subjectFor("mygroup/myproject", "main") }],
      reasonCode: "subject_not_allowed",
    },
    {
      name: "`?` matches exactly one character",
      config: { boundSubject: subjectFor("mygroup/myproject", "v?", "tag") },
      admits: [{ sub: subjectFor("mygroup/myproject", "v1", "tag") }, { sub: subjectFor("mygroup/myproject", "v2", "tag") }],
      refuses: [
        { sub: subjectFor("mygroup/myproject", "v10", "tag") },
        { sub: subjectFor("mygroup/myproject", "v", "tag") },
        { sub: subjectFor("mygroup/myproject", "v/", "tag") },
      ],
      reasonCode: "subject_not_allowed",
    },
    {
      name: "the whole subject must match (patterns are anchored)",
      config: { boundSubject: "repo:octo-org/octo-repo:*" },
      admits: [{ sub: "repo:octo-org/octo-repo:environment:production" }, { sub: "repo:octo-org/octo-repo:pull_request" }],
      refuses: [{ sub: "repo:octo-org/octo-repo-fork:pull_request" }, { sub: "xrepo:octo-org/octo-repo:pull_request" }],
      reasonCode: "subject_not_allowed",
    },
    {
      name: "regex metacharacters are literal",
      config: { boundSubject: "repo:octo.org/octo-repo:ref:refs/heads/main" },
      admits: [{ sub: "repo:octo.org/octo-repo:ref:refs/heads/main" }],
      refuses: [{ sub: "repo:octoXorg/octo-repo:ref:refs/heads/main" }],
      reasonCode: "subject_not_allowed",
    },
  ])("$name", checkGlob);
});

describe("audience patterns", () => {
  it.each<GlobCase>([
    {
      name: "a comma list admits any one of its audiences",
      config: { boundAudiences: "https://a.example, https://edge-oidc-auth.example ,https://b.example" },
      admits: [{ aud: AUDIENCE }, { aud: "https://a.example" }, { aud: "https://b.example" }],
      refuses: [{ aud: "https://c.example" }, { aud: "https://a.example, https://b.example" }],
      reasonCode: "audience_not_allowed",
    },
    {
      name: "an aud array is admitted when any entry matches",
      config: { boundAudiences: AUDIENCE },
      admits: [{ aud: ["https://other.example", AUDIENCE] }, { aud: [AUDIENCE] }],
      refuses: [{ aud: ["https://other.example", "https://edge-oidc-auth.example/"] }],
      reasonCode: "audience_not_allowed",
    },
    {
      name: "`*` in an audience stays within one path segment",
      config: { boundAudiences: "https://github.com/*" },
      admits: [{ aud: "https://github.com/octo-org" }],
      refuses: [{ aud: "https://github.com/octo-org/octo-repo" }, { aud: "https://github.com.evil.example/octo-org" }],
      reasonCode: "audience_not_allowed",
    },
  ])("$name", checkGlob);
});

describe("claim patterns", () => {
  it.each<GlobCase>([
    {
      name: "a comma list of refs",
      config: { boundClaims: { ref: "main, release-*" } },
      admits: [{ ref: "main" }, { ref: "release-2024" }],
      refuses: [{ ref: "dev" }, { ref: "release-1/x" }, { ref: "Main" }],
      reasonCode: "claim_not_allowed: ref",
    },
    {
      name: "`**` across a path claim",
      config: { boundClaims: { ci_config_ref_uri: "gitlab.com/mygroup/**@refs/heads/main" } },
      admits: [{}, { ci_config_ref_uri: "gitlab.com/mygroup/a/b//.gitlab-ci.yml@refs/heads/main" }],
      refuses: [{ ci_config_ref_uri: "gitlab.com/mygroup/myproject//.gitlab-ci.yml@refs/heads/dev" }],
      reasonCode: "claim_not_allowed: ci_config_ref_uri",
    },
    {
      name: "`?` in a claim",
      config: { boundClaims: { pipeline_id: "57?" } },
      admits: [{ pipeline_id: "574" }, { pipeline_id: "570" }],
      refuses: [{ pipeline_id: "57" }, { pipeline_id: "5740" }],
      reasonCode: "claim_not_allowed: pipeline_id",
    },
    {
      name: "a numeric claim matches its decimal text (runner_id)",
      config: { boundClaims: { runner_id: "1,12*" } },
      admits: [{ runner_id: 1 }, { runner_id: 123 }, { runner_id: "1" }],
      refuses: [{ runner_id: 2 }, { runner_id: 21 }, { runner_id: 1.5 }],
      reasonCode: "claim_not_allowed: runner_id",
    },
    {
      name: 'a boolean claim matches "true" or "false"',
      config: { boundClaims: { environment_protected: "true" } },
      admits: [{ environment_protected: true }, { environment_protected: "true" }],
      refuses: [{ environment_protected: false }, { environment_protected: "True" }, { environment_protected: 1 }],
      reasonCode: "claim_not_allowed: environment_protected",
    },
    {
      name: "an array claim matches if any element matches",
      config: { boundClaims: { groups: "deployers" } },
      admits: [{ groups: ["readers", "deployers"] }, { groups: ["deployers"] }],
      refuses: [{ groups: ["readers"] }, { groups: [] }, { groups: [["deployers"]] }],
      reasonCode: "claim_not_allowed: groups",
    },
    {
      name: "a dot path reads a nested claim",
      config: { boundClaims: { "ext.team.name": "platform" } },
      admits: [{ ext: { team: { name: "platform", oncall: true } } }],
      refuses: [
        { ext: { team: { name: "ops" } } },
        { ext: { team: { oncall: true } } },
        { ext: { team: "platform" } },
        { ext: { "team.name": "platform" } },
        { ext: undefined },
      ],
      reasonCode: "claim_not_allowed: ext.team.name",
    },
    {
      name: "a dot path to a nested boolean",
      config: { boundClaims: { "ext.team.oncall": "true" } },
      admits: [{ ext: { team: { name: "platform", oncall: true } } }],
      refuses: [{ ext: { team: { name: "platform", oncall: false } } }, { ext: { team: { name: "platform" } } }],
      reasonCode: "claim_not_allowed: ext.team.oncall",
    },
    {
      name: "a `*` pattern never matches a missing claim",
      config: { boundClaims: { environment: "*" } },
      admits: [{ environment: "production" }, { environment: "" }],
      refuses: [{ environment: undefined }, { environment: null }],
      reasonCode: "claim_not_allowed: environment",
    },
    {
      name: "a claim name containing dots is read as a whole before as a path",
      config: { boundClaims: { "https://example.com/claims.team": "platform" } },
      admits: [{ "https://example.com/claims.team": "platform" }],
      refuses: [{ "https://example.com/claims.team": "ops" }],
      reasonCode: "claim_not_allowed: https://example.com/claims.team",
    },
  ])("$name", checkGlob);

  it("refuses a nested-claim token on the first failing claim in name order", async () => {
    // Both bound claims fail; the reported one is deterministic (sorted by claim name).
    await checkGlob({
      name: "",
      config: { boundClaims: { "ext.team.name": "platform", "ext.team.oncall": "true" } },
      admits: [],
      refuses: [{ ext: { team: { name: "ops", oncall: false } } }],
      reasonCode: "claim_not_allowed: ext.team.name",
    });
  });

  it("keeps the default seed subject binding while claims vary", async () => {
    // Sanity: the claims above were judged with the subject bound too (setupIdentity's default).
    await checkGlob({
      name: "",
      config: { boundClaims: { ref: "main" } },
      admits: [{ sub: GITLAB_SUBJECT }],
      refuses: [{ sub: subjectFor("mygroup/myproject", "dev") }],
      reasonCode: "subject_not_allowed",
    });
  });
});
