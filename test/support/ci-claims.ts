// Realistic GitLab CI and GitHub Actions ID-token claims (see the CI identity-token reference).
// Pure data: imported by the workerd tests (through ./idp) and the Node client tests alike.

export type Claims = Record<string, unknown>;

/** Defaults merged with overrides; an override of `undefined` removes the claim. */
function merge(defaults: Claims, overrides: Claims): Claims {
  const out: Claims = { ...defaults, ...overrides };
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete out[name];
  return out;
}

const GITLAB_SHA = "714a629c0b401fdce83e847fc9589983fc6f46bc";

/** GitLab CI `id_tokens:` claims for a push pipeline on protected branch main (iss/iat/nbf/exp/jti come from mint). */
export function gitlabClaims(overrides: Claims = {}): Claims {
  return merge(
    {
      sub: "project_path:mygroup/myproject:ref_type:branch:ref:main",
      aud: "https://edge-oidc-auth.example",
      namespace_id: "72",
      namespace_path: "mygroup",
      project_id: "20",
      project_path: "mygroup/myproject",
      job_project_id: "20",
      job_project_path: "mygroup/myproject",
      job_namespace_id: "72",
      job_namespace_path: "mygroup",
      user_id: "1",
      user_login: "sample-user",
      user_email: "sample-user@example.com",
      user_access_level: "developer",
      pipeline_id: "574",
      pipeline_source: "push",
      job_id: "302",
      ref: "main",
      ref_type: "branch",
      ref_path: "refs/heads/main",
      ref_protected: "true",
      runner_id: 1,
      runner_environment: "gitlab-hosted",
      sha: GITLAB_SHA,
      ci_config_ref_uri: "gitlab.com/mygroup/myproject//.gitlab-ci.yml@refs/heads/main",
      ci_config_sha: GITLAB_SHA,
      project_visibility: "private",
    },
    overrides,
  );
}

const GITHUB_SHA = "e3a2f1b9c0d4e5f60718293a4b5c6d7e8f901234";

/** GitHub Actions claims for a push to main (no environment; iss/iat/nbf/exp/jti come from mint). */
export function githubClaims(overrides: Claims = {}): Claims {
  return merge(
    {
      sub: "repo:octo-org/octo-repo:ref:refs/heads/main",
      aud: "https://github.com/octo-org",
      ref: "refs/heads/main",
      ref_type: "branch",
      ref_protected: "false",
      sha: GITHUB_SHA,
      repository: "octo-org/octo-repo",
      repository_id: "74",
      repository_owner: "octo-org",
      repository_owner_id: "65",
      repository_visibility: "private",
      run_id: "9876543210",
      run_number: "10",
      run_attempt: "1",
      actor: "octocat",
      actor_id: "12",
      workflow: "deploy",
      workflow_ref: "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
      workflow_sha: GITHUB_SHA,
      job_workflow_ref: "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
      job_workflow_sha: GITHUB_SHA,
      event_name: "push",
      base_ref: "",
      head_ref: "",
      runner_environment: "github-hosted",
    },
    overrides,
  );
}
