import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { generateSigningKeys } from "./scripts/signing-key.mjs";

const SIGNING_KEYS = await generateSigningKeys();

// Every test runs inside workerd with the real D1, KV and Durable Object bindings from wrangler.toml.
// The local test IdP runs in Node (globalSetup) and the Worker reaches it over loopback.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ALLOW_INSECURE_ISSUERS: "true",
          ADMIN_API_KEY: "test-admin-key-0123456789abcdef",
          TEST_IDP_URL: inject<string>("idpUrl"),
          SIGNING_KEYS,
          TEST_MIGRATIONS: inject("migrations"),
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    setupFiles: ["./test/support/apply-migrations.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
