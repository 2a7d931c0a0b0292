import { defineConfig } from "vitest/config";

// `npm test` runs every project: the Worker's tests in workerd (vitest.workers.config.ts), the examples'
// own tests (examples/*/vitest.config.ts) and the console's browser tests (vitest.browser.config.ts).
export default defineConfig({
  test: {
    projects: ["vitest.*.config.ts", "examples/*/vitest.config.ts"],
    // The Worker writes one JSON access log line per request: show console output of failed tests only.
    silent: "passed-only",
  },
});
