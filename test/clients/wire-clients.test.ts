// Infisical's Go and JavaScript clients that cannot run here (the CLI and the Go SDK are Go binaries, the
// GitHub Action needs a runner), imitated byte for byte: each request below has exactly the method, path,
// query, headers and body that client sends, as read from its source. The comment above each request
// names the client, its version and the code it imitates.
//
// Go clients use go-resty v2 on net/http: a JSON body comes with `Content-Type: application/json` and
// `Accept: application/json` (resty sets Accept from a JSON Content-Type), net/http adds
// `Accept-Encoding: gzip`, and resty encodes query parameters sorted by name (url.Values.Encode).
import { describe, expect, it } from "vitest";
import { admin, gitlabClaims, githubClaims, setUpPipeline, wire, type Pipeline } from "./support";

const GITLAB = {
  boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  boundAudiences: "https://edge-oidc-auth.example",
  boundClaims: { project_id: "20", ref_protected: "true" },
};

/** Go's encoding/json on a struct: fields in declaration order, no spaces. */
const goJson = (fields: [string, string][]) => `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
/** url.Values.Encode(): sorted by key, url.QueryEscape values. */
const goQuery = (params: Record<string, string>) =>
  Object.keys(params)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k]!).replace(/%20/g, "+")}`)
    .join("&");

function expectToken(res: { status: number; json: any; text: string }) {
  expect(res.status, res.text).toBe(200);
  expect(res.json).toEqual({ accessToken: expect.any(String), expiresIn: 3600, accessTokenMaxTTL: 7200, tokenType: "Bearer" });
  return res.json.accessToken as string;
}

describe("Infisical CLI (Go)", () => {
  it("`infisical login --method=oidc-auth --machine-identity-id=... --jwt=... --domain=...` (JSON body)", async () => {
    const p = await setUpPipeline(GITLAB);
    const jwt = await p.mint(gitlabClaims());
    // Infisical/cli packages/util/auth.go HandleOidcAuthLogin -> go-sdk Auth().OidcAuthLogin ->
    // packages/api/auth/oidc_auth_login.go CallOidcAuthLogin: resty POST {domain}/api + /v1/auth/oidc-auth/login,
    // SetBody(OidcAuthLoginRequest{IdentityID, JWT, OrganizationSlug `omitempty`}); client User-Agent = api.USER_AGENT "cli".
    const res = await wire(
      "POST",
      "/api/v1/auth/oidc-auth/login",
      { "User-Agent": "cli", "Content-Type": "application/json", Accept: "application/json", "Accept-Encoding": "gzip" },
      goJson([
        ["identityId", p.identityId],
        ["jwt", jwt],
      ]),
    );
    expectToken(res);
  });

  it("`infisical run --projectId=... --env=production -- <build>` reads secrets (current CLI: GET /api/v4/secrets)", async () => {
    const p = await setUpPipeline(GITLAB);
    const token = await cliLogin(p);
    // Infisical/cli packages/util/secrets.go GetPlainTextSecretsV4 -> packages/api/api.go CallGetSecretsV4:
    // SetAuthToken(token), Accept application/json, User-Agent cli; query projectId, environment, secretPath,
    // includeImports, recursive, expandSecretReferences, includePersonalOverrides (always sent).
    const query = goQuery({
      projectId: p.projectId,
      environment: "production",
      secretPath: "/",
      includeImports: "true",
      recursive: "false",
      expandSecretReferences: "true",
      includePersonalOverrides: "false",
    });
    const res = await wire("GET", `/api/v4/secrets?${query}`, {
      "User-Agent": "cli",
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      "Accept-Encoding": "gzip",
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.secrets.map((s: any) => [s.secretKey, s.secretValue, s.type, s.workspace])).toEqual([
      ["DATABASE_URL", "postgres://db.internal/prod", "shared", p.projectId],
      ["DEPLOY_TOKEN", "s3cr3t-deploy-token", "shared", p.projectId],
    ]);
    expect(res.json.imports).toEqual([]);
  });

  it("older CLIs (GET /api/v3/secrets/raw, only the flags that are set) and `infisical secrets get`", async () => {
    const p = await setUpPipeline(GITLAB);
    const token = await cliLogin(p);
    const headers = { "User-Agent": "cli", Authorization: `Bearer ${token}`, Accept: "application/json", "Accept-Encoding": "gzip" };
    // Infisical/cli (before v4) packages/api/api.go CallGetRawSecretsV3: workspaceId, environment, secretPath,
    // then include_imports=true / recursive=true / expandSecretReferences=true only when set.
    const list = await wire(
      "GET",
      `/api/v3/secrets/raw?${goQuery({ workspaceId: p.projectId, environment: "production", secretPath: "/build", include_imports: "true", expandSecretReferences: "true" })}`,
      headers,
    );
    expect(list.status, list.text).toBe(200);
    expect(list.json.secrets.map((s: any) => s.secretKey)).toEqual(["NPM_TOKEN"]);
    // CallFetchSingleSecretByName (v4): GET /api/v4/secrets/{name}?expandSecretReferences=true&includeImports=true&environment&secretPath&projectId&type=shared
    const one = await wire(
      "GET",
      `/api/v4/secrets/DEPLOY_TOKEN?${goQuery({ expandSecretReferences: "true", includeImports: "true", environment: "production", secretPath: "/", projectId: p.projectId, type: "shared" })}`,
      headers,
    );
    expect(one.status, one.text).toBe(200);
    expect(one.json.secret).toMatchObject({ secretKey: "DEPLOY_TOKEN", secretValue: "s3cr3t-deploy-token" });
  });
});

describe("Infisical Go SDK", () => {
  it("Auth().WithOrganizationSlug(slug).OidcAuthLogin(identityId, jwt), then the token renewal it schedules", async () => {
    const p = await setUpPipeline(GITLAB);
    const org = await orgSlug(p);
    const headers = {
      "User-Agent": "infisical-go-sdk",
      "Content-Type": "application/json",
      Accept: "application/json",
      "Accept-Encoding": "gzip",
    };
    // go-sdk auth.go OidcAuthLogin -> CallOidcAuthLogin, default Config.UserAgent "infisical-go-sdk".
    const token = expectToken(
      await wire(
        "POST",
        "/api/v1/auth/oidc-auth/login",
        headers,
        goJson([
          ["identityId", p.identityId],
          ["jwt", await p.mint(gitlabClaims())],
          ["organizationSlug", org],
        ]),
      ),
    );
    // go-sdk packages/api/auth/renew_access_token.go CallRenewAccessToken: POST /v1/auth/token/renew {"accessToken"} (no Authorization).
    const renewed = expectToken(await wire("POST", "/api/v1/auth/token/renew", headers, goJson([["accessToken", token]])));
    expect(renewed).not.toBe(token);

    // go-sdk packages/api/secrets/list_secrets.go CallListSecretsV3: every parameter, workspaceSlug empty.
    const list = await wire(
      "GET",
      `/api/v3/secrets/raw?${goQuery({ workspaceId: p.projectId, workspaceSlug: "", environment: "production", secretPath: "/", expandSecretReferences: "true", include_imports: "false", recursive: "true" })}`,
      { "User-Agent": "infisical-go-sdk", Authorization: `Bearer ${renewed}`, "Accept-Encoding": "gzip" },
    );
    expect(list.status, list.text).toBe(200);
    expect(list.json.secrets.map((s: any) => `${s.secretPath}:${s.secretKey}`)).toEqual([
      "/:DATABASE_URL",
      "/:DEPLOY_TOKEN",
      "/build:NPM_TOKEN",
    ]);
  });

  it("a login the bindings refuse is a 401 naming the rule (the CLI adds its domain hint on 401/403)", async () => {
    const p = await setUpPipeline(GITLAB);
    const res = await wire(
      "POST",
      "/api/v1/auth/oidc-auth/login",
      { "User-Agent": "cli", "Content-Type": "application/json", Accept: "application/json", "Accept-Encoding": "gzip" },
      goJson([
        ["identityId", p.identityId],
        ["jwt", await p.mint(gitlabClaims({ ref_protected: "false" }))],
      ]),
    );
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ statusCode: 401, error: "Unauthorized", reasonCode: "claim_not_allowed: ref_protected" });
    expect(res.text).not.toContain("eyJ");
  });
});

describe("Infisical GitHub Action (Infisical/secrets-action v1.0.15, method: oidc)", () => {
  const GITHUB = {
    boundSubject: "repo:octo-org/octo-repo:ref:refs/heads/main",
    boundAudiences: "https://github.com/octo-org",
    boundClaims: { repository_id: "74" },
  };
  // axios 1.6.8 on Node 20 (the action's lockfile): its default headers.
  const AXIOS = {
    Accept: "application/json, text/plain, */*",
    "User-Agent": "axios/1.6.8",
    "Accept-Encoding": "gzip, compress, deflate, br",
  };

  it("logs in with a form body, then reads the project's secrets by slug", async () => {
    const p = await setUpPipeline(GITHUB);
    // src/infisical.ts oidcLogin: core.getIDToken(oidc-audience), then POST /api/v1/auth/oidc-auth/login with
    // Content-Type application/x-www-form-urlencoded and querystring.stringify({ identityId, jwt }).
    const jwt = await p.mint(githubClaims());
    const form = `identityId=${encodeURIComponent(p.identityId)}&jwt=${encodeURIComponent(jwt)}`;
    const token = expectToken(
      await wire("POST", "/api/v1/auth/oidc-auth/login", { ...AXIOS, "Content-Type": "application/x-www-form-urlencoded" }, form),
    );

    // src/infisical.ts getRawSecrets: GET /api/v3/secrets/raw, params in this order (axios keeps it),
    // booleans as true/false, "/" escaped by encodeURIComponent.
    const params = `secretPath=%2F&environment=production&include_imports=true&recursive=false&workspaceSlug=${p.projectSlug}&expandSecretReferences=true`;
    const res = await wire("GET", `/api/v3/secrets/raw?${params}`, { ...AXIOS, Authorization: `Bearer ${token}` });
    expect(res.status, res.text).toBe(200);
    const env = Object.fromEntries(res.json.secrets.map((s: any) => [s.secretKey, s.secretValue]));
    expect(env).toEqual({ DATABASE_URL: "postgres://db.internal/prod", DEPLOY_TOKEN: "s3cr3t-deploy-token" });
  });

  it("a pull request workflow (sub repo:O/R:pull_request) is refused by a branch-bound identity", async () => {
    const p = await setUpPipeline(GITHUB);
    const jwt = await p.mint(githubClaims({ sub: "repo:octo-org/octo-repo:pull_request", event_name: "pull_request" }));
    const res = await wire(
      "POST",
      "/api/v1/auth/oidc-auth/login",
      { ...AXIOS, "Content-Type": "application/x-www-form-urlencoded" },
      `identityId=${p.identityId}&jwt=${jwt}`,
    );
    expect(res.status).toBe(401);
    expect(res.json.reasonCode).toBe("subject_not_allowed");
  });
});

async function cliLogin(p: Pipeline): Promise<string> {
  return expectToken(
    await wire(
      "POST",
      "/api/v1/auth/oidc-auth/login",
      { "User-Agent": "cli", "Content-Type": "application/json", Accept: "application/json", "Accept-Encoding": "gzip" },
      goJson([
        ["identityId", p.identityId],
        ["jwt", await p.mint(gitlabClaims())],
      ]),
    ),
  );
}

async function orgSlug(p: Pipeline): Promise<string> {
  return (await admin("GET", `/api/v1/organizations/${p.orgId}`)).organization.slug;
}
