// The real @infisical/sdk (npm) against edge-oidc-auth and the example secrets Worker, on one origin.
// The SDK has no OIDC login of its own: a program logs in over HTTP and hands the token to
// `client.auth().accessToken(token)`; from there on everything below is the SDK's own code and requests.
import { InfisicalSDK } from "@infisical/sdk";
import { describe, expect, it } from "vitest";
import { baseUrl, gitlabClaims, setUpPipeline, type Pipeline } from "./support";

const GITLAB_BINDINGS = {
  boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  boundAudiences: "https://edge-oidc-auth.example",
  boundClaims: { project_id: "20", ref_protected: "true" },
};

/** The OIDC login a Node program makes before using the SDK (what docs/consumers.md shows). */
async function oidcLogin(p: Pipeline) {
  const res = await fetch(`${baseUrl()}/api/v1/auth/oidc-auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ identityId: p.identityId, jwt: await p.mint(gitlabClaims()) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { accessToken: string; expiresIn: number; accessTokenMaxTTL: number; tokenType: string };
}

const jti = (token: string) => JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).jti as string;

describe("@infisical/sdk", () => {
  it("logs in over HTTP, renews with the SDK, then lists secrets with the SDK", async () => {
    const p = await setUpPipeline(GITLAB_BINDINGS);
    const login = await oidcLogin(p);
    expect(login).toMatchObject({ tokenType: "Bearer", expiresIn: 3600, accessTokenMaxTTL: 7200 });

    const client = new InfisicalSDK({ siteUrl: baseUrl() });
    client.auth().accessToken(login.accessToken);
    expect(client.auth().getAccessToken()).toBe(login.accessToken);

    // The SDK's renew: POST /api/v1/auth/token/renew { accessToken }, then it authenticates with the result.
    const renewed = await client.auth().universalAuth.renew();
    const newToken = renewed.auth().getAccessToken()!;
    expect(newToken).not.toBe(login.accessToken);
    expect(jti(newToken)).toBe(jti(login.accessToken)); // same token, new expiry

    // The SDK's listing: GET /api/v3/secrets/raw?workspaceId&environment&expandSecretReferences&include_imports&recursive&secretPath&viewSecretValue
    const list = await renewed.secrets().listSecrets({ projectId: p.projectId, environment: "production" });
    expect(list.secrets.map((s) => [s.secretKey, s.secretValue])).toEqual([
      ["DATABASE_URL", "postgres://db.internal/prod"],
      ["DEPLOY_TOKEN", "s3cr3t-deploy-token"],
    ]);
    expect(list.imports).toEqual([]);

    const recursive = await renewed.secrets().listSecrets({
      projectId: p.projectId,
      environment: "production",
      recursive: true,
      includeImports: true,
    });
    expect(recursive.secrets.map((s) => `${s.secretPath}:${s.secretKey}`)).toEqual([
      "/:DATABASE_URL",
      "/:DEPLOY_TOKEN",
      "/build:NPM_TOKEN",
    ]);

    const folder = await renewed
      .secrets()
      .listSecretsWithImports({ projectId: p.projectId, environment: "production", secretPath: "/build" });
    expect(folder.map((s) => s.secretKey)).toEqual(["NPM_TOKEN"]);

    const one = await renewed.secrets().getSecret({ projectId: p.projectId, environment: "production", secretName: "DEPLOY_TOKEN" });
    expect(one).toMatchObject({ secretKey: "DEPLOY_TOKEN", secretValue: "s3cr3t-deploy-token", type: "shared" });
  });

  it("attaches secrets to process.env when asked (attachToProcessEnv)", async () => {
    const p = await setUpPipeline(GITLAB_BINDINGS);
    const client = new InfisicalSDK({ siteUrl: baseUrl() }).auth().accessToken((await oidcLogin(p)).accessToken);
    delete process.env.DEPLOY_TOKEN;
    await client.secrets().listSecrets({ projectId: p.projectId, environment: "production", attachToProcessEnv: true });
    expect(process.env.DEPLOY_TOKEN).toBe("s3cr3t-deploy-token");
    delete process.env.DEPLOY_TOKEN;
    delete process.env.DATABASE_URL;
  });

  it("surfaces our refusals as the SDK's request errors, with status and message", async () => {
    const p = await setUpPipeline(GITLAB_BINDINGS, "no-access");
    const { accessToken } = await oidcLogin(p);
    const client = new InfisicalSDK({ siteUrl: baseUrl() }).auth().accessToken(accessToken);
    await expect(client.secrets().listSecrets({ projectId: p.projectId, environment: "production" })).rejects.toThrow(
      /\[StatusCode=403\].*may not read secrets/,
    );

    // A revoked token can neither read nor renew.
    const revoke = await fetch(`${baseUrl()}/api/v1/auth/token/revoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accessToken }),
    });
    expect(revoke.status).toBe(200);
    await expect(client.auth().universalAuth.renew()).rejects.toThrow(/\[StatusCode=401\]/);
  });
});
