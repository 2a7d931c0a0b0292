// Node side of the clients tests (vitest.clients.config.ts): both Workers built as they deploy and run by
// workerd through Miniflare, on one local origin the way a deployment serves them on one host:
//   /api/v3/secrets/*, /api/v4/secrets*  -> the example secrets Worker (examples/secrets-worker), whose
//                                           AUTH binding calls edge-oidc-auth's AuthService entrypoint
//   everything else                      -> edge-oidc-auth
// plus the local test IdP. Infisical's clients take one domain for login and secrets, hence one origin.
import type { TestProject } from "vitest/node";
import { applyMigrations, buildWorker, builtWorkerOptions, wranglerMiniflare } from "../../scripts/built-worker.mjs";
import { generateSigningKeys } from "../../scripts/signing-key.mjs";
import { startIdpServer } from "../support/idp-server";
import { ADMIN_KEY, SECRETS_ADMIN_KEY } from "./keys";

export default async function (project: TestProject): Promise<() => Promise<void>> {
  const root = project.config.root;
  const build = `${root}/.wrangler/test-build`;
  const authConfig = `${root}/wrangler.toml`;
  const secretsConfig = `${root}/examples/secrets-worker/wrangler.toml`;

  const auth = builtWorkerOptions({
    configPath: authConfig,
    scriptPath: buildWorker(authConfig, `${build}/clients-edge-oidc-auth`),
    name: "edge-oidc-auth",
    bindings: { ADMIN_API_KEY: ADMIN_KEY, SIGNING_KEYS: await generateSigningKeys(), ALLOW_INSECURE_ISSUERS: "true" },
  });
  const secrets = builtWorkerOptions({
    configPath: secretsConfig,
    scriptPath: buildWorker(secretsConfig, `${build}/clients-secrets-worker`),
    name: "secrets-worker-example",
    bindings: { SECRETS_ADMIN_KEY },
  });

  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = wranglerMiniflare();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.WARN),
      cf: false,
      // The Workers' access logs are not test output; warnings and errors still are.
      handleStructuredLogs({ level, message }: { level: string; message: string }) {
        if (level === "error" || level === "warn") process.stderr.write(`${message}\n`);
      },
      workers: [
        auth, // the first Worker answers every request no route claims
        {
          ...secrets,
          routes: ["*/api/v3/secrets/*", "*/api/v4/secrets*"],
          // Its seeding endpoint is not routed on the shared origin (as in a deployment, where it is on the
          // Worker's own workers.dev host): tests reach it directly.
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
      ],
    }),
  );
  const baseUrl = (await mf.ready).toString().replace(/\/$/, "");
  await applyMigrations(await mf.getD1Database("DB", "edge-oidc-auth"), `${root}/migrations`);
  await applyMigrations(await mf.getD1Database("DB", "secrets-worker-example"), `${root}/examples/secrets-worker/migrations`);
  const secretsDirectUrl = (await mf.unsafeGetDirectURL("secrets-worker-example")).toString().replace(/\/$/, "");

  const idp = await startIdpServer();
  project.provide("baseUrl", baseUrl);
  project.provide("secretsDirectUrl", secretsDirectUrl);
  project.provide("idpUrl", idp.url);
  return async () => {
    await idp.close();
    await mf.dispose();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** edge-oidc-auth and the example secrets Worker on one origin, e.g. http://127.0.0.1:PORT */
    baseUrl: string;
    /** The example secrets Worker alone (for PUT /admin/secrets). */
    secretsDirectUrl: string;
  }
}
