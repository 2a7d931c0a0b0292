import { cloudflareTest, getRunnerName } from "@cloudflare/vitest-plugin";
import { transformWithOxc, type Plugin } from "vite";
import { defineConfig } from "vitest/config";
import type { TestProject } from "vitest/node";
import { generateSigningKeys } from "./scripts/signing-key.mjs";

const SIGNING_KEYS = await generateSigningKeys();

// A second Worker that consumes the AuthService entrypoint over a service binding (test/consumer/).
// Auxiliary Workers are not bundled or transpiled by the plugin: strip the types here (the file has
// only type imports).
// (node:fs typed locally: the project type-checks against workers-types only, no @types/node.)
const fs = process.getBuiltinModule("node:fs") as { readFileSync(path: string, encoding: "utf8"): string };
const CONSUMER_PATH = "test/consumer/index.ts";
const consumerModule = (await transformWithOxc(fs.readFileSync(CONSUMER_PATH, "utf8"), CONSUMER_PATH, { lang: "ts" })).code;

// The Worker under test runs inside the plugin's runner Worker, whose name derives from the Vitest
// project; the consumer's AUTH binding must name it. Capture the project to ask the plugin for it.
let project: TestProject | undefined;
const captureProject: Plugin = {
  name: "edge-oidc-auth:capture-project",
  configureVitest(context) {
    project = context.project;
  },
};

// Every test runs inside workerd with the real D1, KV and Durable Object bindings from wrangler.toml.
// The local test IdP runs in Node (globalSetup) and the Worker reaches it over loopback.
export default defineConfig({
  plugins: [
    captureProject,
    cloudflareTest(({ inject }) => {
      if (!project) throw new Error("vitest.config.ts: the Vitest project was not captured");
      return {
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            ALLOW_INSECURE_ISSUERS: "true",
            ADMIN_API_KEY: "test-admin-key-0123456789abcdef-0123456789",
            TEST_IDP_URL: inject<string>("idpUrl"),
            SIGNING_KEYS,
            TEST_MIGRATIONS: inject("migrations"),
            ACCESS_LOG_SAMPLE_RATE: "1", // test/integration/logs.test.ts reads every access line
          },
          // Tests reach the consumer Worker as env.CONSUMER (test/integration/rpc*.test.ts).
          serviceBindings: { CONSUMER: "auth-consumer" },
          workers: [
            {
              name: "auth-consumer",
              modules: [{ type: "ESModule", path: "index.js", contents: consumerModule }],
              compatibilityDate: "2026-11-01",
              serviceBindings: { AUTH: { name: getRunnerName(project), entrypoint: "AuthService" } },
            },
          ],
        },
      };
    }),
  ],
  test: {
    name: "workers",
    globalSetup: ["./test/support/global-setup.ts"],
    setupFiles: ["./test/support/apply-migrations.ts"],
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
