// The seed's GitLab pipeline, end to end, as docs/gitlab.md sets it up:
//
//   build:
//     id_tokens:
//       INFISICAL_ID_TOKEN:
//         aud: https://edge-oidc-auth.example
//     script:
//       - export INFISICAL_TOKEN=$(infisical login --method=oidc-auth --machine-identity-id=$INFISICAL_MACHINE_IDENTITY_ID
//           --jwt=$INFISICAL_ID_TOKEN --domain=$INFISICAL_DOMAIN --silent --plain)
//       - infisical run --projectId=$INFISICAL_PROJECT_ID --env=production --domain=$INFISICAL_DOMAIN -- npm run build
//
// GitLab's part (the ID token) comes from the local IdP with GitLab's claims; the CLI's two requests are
// sent exactly as the CLI sends them (see wire-clients.test.ts); the build is a real child process that
// gets the secrets as environment variables, as `infisical run` hands them over.
import { describe, expect, it } from "vitest";
import { gitlabClaims, setUpPipeline, wire, type Pipeline } from "./support";

// node:child_process, typed locally (the project type-checks against workers-types only).
const { spawnSync } = process.getBuiltinModule("node:child_process") as {
  spawnSync(
    cmd: string,
    args: string[],
    opts: { env: Record<string, string | undefined>; encoding: "utf8"; timeout: number },
  ): { status: number | null; stdout: string; stderr: string };
};

/** The OIDC Auth configuration of docs/gitlab.md: this project's protected main branch only. */
const SEED_CONFIG = {
  boundSubject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  boundAudiences: "https://edge-oidc-auth.example",
  boundClaims: { project_id: "20", ref_protected: "true" },
};

const CLI = { "User-Agent": "cli", Accept: "application/json", "Accept-Encoding": "gzip" };

/** `infisical login --method=oidc-auth ... --silent --plain`: prints the access token, or fails. */
async function infisicalLogin(identityId: string, idToken: string) {
  return wire(
    "POST",
    "/api/v1/auth/oidc-auth/login",
    { ...CLI, "Content-Type": "application/json" },
    JSON.stringify({ identityId, jwt: idToken }),
  );
}

/** `infisical run --projectId=... --env=production -- <command>`: fetches the secrets, runs the command with them. */
async function infisicalRun(token: string, projectId: string, command: string[]) {
  const query = new URLSearchParams(
    Object.entries({
      environment: "production",
      expandSecretReferences: "true",
      includeImports: "true",
      includePersonalOverrides: "false",
      projectId,
      recursive: "false",
      secretPath: "/",
    }),
  );
  const res = await wire("GET", `/api/v4/secrets?${query}`, { ...CLI, Authorization: `Bearer ${token}` });
  if (res.status !== 200) return { fetch: res, build: null };
  const secrets = Object.fromEntries(
    res.json.secrets.map((s: { secretKey: string; secretValue: string }) => [s.secretKey, s.secretValue]),
  );
  const [cmd, ...args] = command;
  const build = spawnSync(cmd!, args, { env: { PATH: process.env.PATH, ...secrets }, encoding: "utf8", timeout: 20_000 });
  return { fetch: res, build };
}

/** `npm run build` of the seed project: needs DATABASE_URL and DEPLOY_TOKEN, never prints them. */
const BUILD = [
  process.execPath,
  "-e",
  `const need = ["DATABASE_URL", "DEPLOY_TOKEN"];
   const missing = need.filter((k) => !process.env[k]);
   if (missing.length) { console.error("missing " + missing.join(",")); process.exit(1); }
   console.log(JSON.stringify({ built: true, database: new URL(process.env.DATABASE_URL).host, tokenLength: process.env.DEPLOY_TOKEN.length }));`,
];

async function runPipeline(p: Pipeline, claims: Record<string, unknown>) {
  const idToken = await p.mint(gitlabClaims(claims)); // what GitLab puts in $INFISICAL_ID_TOKEN
  const login = await infisicalLogin(p.identityId, idToken);
  if (login.status !== 200) return { login, run: null };
  return { login, run: await infisicalRun(login.json.accessToken, p.projectId, BUILD) };
}

describe("the seed's GitLab pipeline", () => {
  it("logs in with the job's ID token, fetches the secrets and builds with them", async () => {
    const p = await setUpPipeline(SEED_CONFIG);
    const { login, run } = await runPipeline(p, {});
    expect(login.status, login.text).toBe(200);
    expect(run!.fetch.status, run!.fetch.text).toBe(200);
    expect(run!.build!.stderr).toBe("");
    expect(run!.build!.status).toBe(0);
    expect(JSON.parse(run!.build!.stdout)).toEqual({ built: true, database: "db.internal", tokenLength: 19 });
    expect(run!.build!.stdout).not.toContain("s3cr3t-deploy-token");
  });

  it("a job on another branch, a fork's merge request or a wrong audience gets no token (and so no secrets)", async () => {
    const p = await setUpPipeline(SEED_CONFIG);
    const refused = async (claims: Record<string, unknown>, reasonCode: string) => {
      const { login, run } = await runPipeline(p, claims);
      expect(login.status, login.text).toBe(401);
      expect(login.json.reasonCode).toBe(reasonCode);
      expect(run).toBeNull();
    };
    await refused(
      { sub: "project_path:mygroup/myproject:ref_type:branch:ref:feature", ref: "feature", ref_protected: "false" },
      "subject_not_allowed",
    );
    // A merge request pipeline from a fork: project_* describe the fork, which also has a main branch.
    await refused(
      { project_id: "4711", namespace_path: "someone", project_path: "someone/myproject" },
      "claim_not_allowed: project_id",
    );
    await refused({ ref_protected: "false" }, "claim_not_allowed: ref_protected");
    await refused({ aud: "https://gitlab.com" }, "audience_not_allowed");
  });

  it("an identity removed from the project can still log in but reads no secrets", async () => {
    const p = await setUpPipeline(SEED_CONFIG, "no-access");
    const { login, run } = await runPipeline(p, {});
    expect(login.status).toBe(200);
    expect(run!.fetch.status).toBe(403);
    expect(run!.fetch.json.reasonCode).toBe("project_role_forbidden");
    expect(run!.build).toBeNull();
  });
});
