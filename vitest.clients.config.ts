import { defineConfig } from "vitest/config";

// Infisical's own clients against edge-oidc-auth and the example secrets Worker: the real @infisical/sdk
// package, and the exact requests of the Infisical CLI, the Go SDK and the GitHub Action. They run in Node
// (as those clients do) against both Workers built as they deploy and run by workerd (test/clients/global-setup.ts).
export default defineConfig({
  test: {
    name: "clients",
    environment: "node",
    include: ["test/clients/**/*.test.ts"],
    globalSetup: ["./test/clients/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
