// Real OAuth 2.0 clients that we do not write, against edge-oidc-auth built as it deploys (Miniflare):
// - Google's google-auth-library: an `external_account` credential (workload identity federation) whose
//   token_url is our POST /oauth/token, reading the CI job's ID token from a file (GitLab: a file-type
//   `id_tokens` variable) or from a URL (GitHub Actions: the runner's ID token endpoint), then using the
//   access token it got on our API with its own request().
// - openid-client (and oauth4webapi under it): discovery of our metadata with the issuer check, the token
//   exchange as a generic grant, introspection as a resource server, revocation.
import { GoogleAuth, type AuthClient } from "google-auth-library";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, baseUrl, githubClaims, gitlabClaims, setUpPipeline, type Pipeline } from "./support";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

const GITLAB = {
  boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  boundAudiences: "https://edge-oidc-auth.example",
  boundClaims: { project_id: "20", ref_protected: "true" },
};
const GITHUB = {
  boundSubject: "repo:octo-org/octo-repo:ref:refs/heads/main",
  boundAudiences: "https://github.com/octo-org",
  boundClaims: { repository_owner: "octo-org" },
};

// node:fs, node:os, node:http, typed locally: the project type-checks against workers-types only.
const fs = process.getBuiltinModule("node:fs") as {
  mkdtempSync(prefix: string): string;
  writeFileSync(path: string, data: string): void;
  rmSync(path: string, opts: { recursive: boolean; force: boolean }): void;
};
const os = process.getBuiltinModule("node:os") as { tmpdir(): string };
interface NodeServer {
  listen(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  close(cb: () => void): void;
}
const http = process.getBuiltinModule("node:http") as {
  createServer(
    handler: (
      req: { url?: string; headers: Record<string, string | undefined> },
      res: { writeHead(status: number, headers: Record<string, string>): void; end(body: string): void },
    ) => void,
  ): NodeServer;
};

const jwtPayload = (token: string) => JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(`${os.tmpdir()}/edge-oidc-auth-oauth-`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a GitLab job has with `id_tokens: { GCP_ID_TOKEN: { aud: ... } }` written to a file. */
function idTokenFile(jwt: string): string {
  const path = `${dir}/${crypto.randomUUID()}.jwt`;
  fs.writeFileSync(path, `${jwt}\n`);
  return path;
}

/** A GoogleAuth client from an external_account credential whose token_url is ours. */
async function googleClient(p: Pipeline, credentialSource: Record<string, unknown>, subjectTokenType = JWT_TYPE): Promise<AuthClient> {
  const auth = new GoogleAuth({
    credentials: {
      type: "external_account",
      audience: p.identityId,
      subject_token_type: subjectTokenType,
      token_url: `${baseUrl()}/oauth/token`,
      credential_source: credentialSource,
    } as never,
  });
  return auth.getClient();
}

describe("google-auth-library (external_account credential, token_url = our /oauth/token)", () => {
  it("GitLab: reads the ID token from a file, exchanges it, and calls our API with the access token", async () => {
    const p = await setUpPipeline(GITLAB);
    const client = await googleClient(p, { file: idTokenFile(await p.mint(gitlabClaims())) });
    const { token } = await client.getAccessToken();
    expect(token).toEqual(expect.any(String));
    expect(jwtPayload(token!)).toMatchObject({ iss: baseUrl(), sub: p.identityId, org: p.orgId, auth_method: "oidc-auth" });
    expect(client.credentials.expiry_date! - Date.now()).toBeGreaterThan(3500_000); // from expires_in 3600

    // The library's own request(): Authorization: Bearer <our access token>.
    const details = await client.request<{ identityDetails: { identity: { id: string } } }>({
      url: `${baseUrl()}/api/v1/identities/details`,
    });
    expect(details.data.identityDetails.identity.id).toBe(p.identityId);

    // The example secrets Worker takes it too, as it takes the login's.
    const secrets = await client.request<{ secrets: { secretKey: string }[] }>({
      url: `${baseUrl()}/api/v4/secrets?projectId=${p.projectId}&environment=production`,
    });
    expect(secrets.data.secrets.map((s) => s.secretKey)).toEqual(["DATABASE_URL", "DEPLOY_TOKEN"]);
  });

  it("GitHub Actions: fetches the ID token from the runner's URL (JSON `value`), as google-github-actions/auth configures it", async () => {
    const p = await setUpPipeline(GITHUB);
    const jwt = await p.mint(githubClaims());
    // The runner's ID token endpoint: ACTIONS_ID_TOKEN_REQUEST_URL, with ACTIONS_ID_TOKEN_REQUEST_TOKEN as bearer.
    const runner = http.createServer((req, res) => {
      const ok = req.headers.authorization === "Bearer runner-request-token" && req.url?.includes("audience=");
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(ok ? JSON.stringify({ count: 1, value: jwt }) : "{}");
    });
    await new Promise<void>((resolve) => runner.listen(0, "127.0.0.1", resolve));
    try {
      const client = await googleClient(
        p,
        {
          url: `http://127.0.0.1:${runner.address().port}/_apis/token?audience=${encodeURIComponent("https://edge-oidc-auth.example")}`,
          headers: { Authorization: "Bearer runner-request-token" },
          format: { type: "json", subject_token_field_name: "value" },
        },
        ID_TOKEN_TYPE,
      );
      const { token } = await client.getAccessToken();
      expect(jwtPayload(token!)).toMatchObject({ sub: p.identityId });
    } finally {
      await new Promise<void>((resolve) => runner.close(() => resolve()));
    }
  });

  it("surfaces a refused ID token as the OAuth error, with our reason", async () => {
    const p = await setUpPipeline(GITLAB);
    const client = await googleClient(p, { file: idTokenFile(await p.mint(gitlabClaims({ ref: "dev", ref_protected: "false" }))) });
    const err = await client.getAccessToken().then(
      () => null,
      (e: Error & { status?: number }) => e,
    );
    expect(err?.message).toMatch(/^Error code invalid_grant: /);
    expect(err?.status).toBe(400);
  });
});

describe("openid-client", () => {
  const insecure = { execute: [oidc.allowInsecureRequests] }; // the test Worker is served over http://127.0.0.1

  it("discovers the metadata (both well-known locations) and accepts its issuer, the origin it asked", async () => {
    for (const algorithm of ["oauth2", "oidc"] as const) {
      const config = await oidc.discovery(new URL(baseUrl()), "ci-pipeline", undefined, oidc.None(), { ...insecure, algorithm });
      const meta = config.serverMetadata();
      expect(meta.issuer).toBe(baseUrl());
      expect(meta.token_endpoint).toBe(`${baseUrl()}/oauth/token`);
      expect(meta.grant_types_supported).toEqual([TOKEN_EXCHANGE]);
    }
  });

  it("exchanges an ID token (generic grant), introspects as a resource server, revokes", async () => {
    const p = await setUpPipeline(GITLAB);
    const config = await oidc.discovery(new URL(baseUrl()), "ci-pipeline", undefined, oidc.None(), insecure);
    const tokens = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: await p.mint(gitlabClaims()),
      subject_token_type: JWT_TYPE,
      audience: p.identityId,
      requested_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(tokens).toMatchObject({ token_type: "bearer", issued_token_type: ACCESS_TOKEN_TYPE, expires_in: 3600 });
    expect(tokens.expiresIn()).toBeGreaterThan(3590);

    // A resource server of the same organization: an identity with role member, logged in the same way,
    // authenticating to the introspection endpoint with its own access token.
    const rs = (await admin("POST", "/api/v1/identities", { name: "resource-server", organizationId: p.orgId, role: "member" }))
      .identity;
    await admin("POST", `/api/v1/auth/oidc-auth/identities/${rs.id}`, {
      oidcDiscoveryUrl: p.issuer,
      boundIssuer: p.issuer,
      ...GITLAB,
    });
    const rsTokens = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: await p.mint(gitlabClaims()),
      subject_token_type: ID_TOKEN_TYPE,
      audience: rs.id,
    });
    const bearer: oidc.ClientAuth = (_as, _client, _body, headers) => headers.set("authorization", `Bearer ${rsTokens.access_token}`);
    const rsConfig = await oidc.discovery(new URL(baseUrl()), "resource-server", undefined, bearer, insecure);
    const info = await oidc.tokenIntrospection(rsConfig, tokens.access_token, { client_ip: "203.0.113.9" });
    expect(info).toMatchObject({ active: true, sub: p.identityId, organization_id: p.orgId, iss: baseUrl(), uses_left: null });
    expect(info.project_roles).toEqual({ [p.projectId]: ["viewer"] });

    await oidc.tokenRevocation(config, tokens.access_token);
    expect(await oidc.tokenIntrospection(rsConfig, tokens.access_token)).toEqual({ active: false });
    await oidc.tokenRevocation(config, "not-one-of-ours"); // RFC 7009: 200 all the same
  });

  it("throws the OAuth error of a refused exchange, with our reasonCode in the body", async () => {
    const p = await setUpPipeline(GITLAB);
    const config = await oidc.discovery(new URL(baseUrl()), "ci-pipeline", undefined, oidc.None(), insecure);
    const refused = await oidc
      .genericGrantRequest(config, TOKEN_EXCHANGE, {
        subject_token: await p.mint(gitlabClaims({ aud: "https://elsewhere.example" })),
        subject_token_type: JWT_TYPE,
        audience: p.identityId,
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    expect(refused).toMatchObject({ error: "invalid_grant", status: 400, cause: { reasonCode: "audience_not_allowed" } });

    const unknown = await oidc
      .genericGrantRequest(config, TOKEN_EXCHANGE, {
        subject_token: "x.y.z",
        subject_token_type: JWT_TYPE,
        audience: crypto.randomUUID(),
      })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ error: "invalid_target", cause: { reasonCode: "identity_not_found" } });
  });
});
