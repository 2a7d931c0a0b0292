import { cloudflareTest, type D1Migration } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildWorker, builtWorkerOptions } from "../../scripts/built-worker.mjs";
import { generateSigningKeys } from "../../scripts/signing-key.mjs";

// The example Worker runs as the Worker under test; edge-oidc-auth runs next to it as an auxiliary Worker,
// bundled exactly as it deploys (auxiliary Workers are not bundled by the plugin), with the bindings of its
// wrangler.toml. The example's AUTH service binding (its wrangler.toml) names it: tests go through the
// real AuthService entrypoint.
// (ImportMeta typed locally: this package type-checks against workers-types only.)
const ROOT = new URL("../../", (import.meta as unknown as { url: string }).url).pathname;
const AUTH_CONFIG = `${ROOT}wrangler.toml`;
const AUTH_ADMIN_KEY = "test-admin-key-0123456789abcdef-0123456789";

/** Built when this project's tests start (not when another project's run merely loads this config). */
async function authWorker() {
  const auth = builtWorkerOptions({
    configPath: AUTH_CONFIG,
    scriptPath: buildWorker(AUTH_CONFIG, `${ROOT}.wrangler/test-build/secrets-worker-example`),
    name: "edge-oidc-auth",
    bindings: { ADMIN_API_KEY: AUTH_ADMIN_KEY, SIGNING_KEYS: await generateSigningKeys(), ALLOW_INSECURE_ISSUERS: "true" },
  });
  return { auth, databaseId: (auth.d1Databases as { DB: { id: string } }).DB.id };
}

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => {
      const { auth, databaseId } = await authWorker();
      return {
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            SECRETS_ADMIN_KEY: "test-secrets-admin-key",
            AUTH_ADMIN_KEY,
            TEST_IDP_URL: inject("idpUrl"),
            SECRETS_MIGRATIONS: inject("secretsMigrations"),
            AUTH_MIGRATIONS: inject("authMigrations"),
          },
          // Test-only views of edge-oidc-auth: its HTTP API (to create identities, projects and log in) and
          // its D1 database (same id, so the same storage: the tests apply its migrations).
          serviceBindings: { AUTH_API: "edge-oidc-auth" },
          d1Databases: { AUTH_DB: databaseId },
          workers: [auth],
        },
      };
    }),
  ],
  test: {
    name: "secrets-worker",
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
  },
});

declare module "vitest" {
  export interface ProvidedContext {
    idpUrl: string;
    secretsMigrations: D1Migration[];
    authMigrations: D1Migration[];
  }
}
