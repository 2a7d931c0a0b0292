import { defineConfig } from "vitest/config";

// The admin console in a real browser: Debian's Chromium driven by playwright-core, against the built
// Worker served by Miniflare on 127.0.0.1 and the local test IdP (test/browser/harness.ts). Runs in Node.
export default defineConfig({
  test: {
    name: "browser",
    environment: "node",
    include: ["test/browser/**/*.test.ts"],
    // One Chromium and one workerd per file; files one after another to stay gentle on small CI machines.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
