import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_IDP_URL: string;
      TEST_MIGRATIONS: D1Migration[];
      /** The auxiliary consumer Worker (test/consumer/), bound to AuthService; see vitest.config.ts. */
      CONSUMER: Fetcher;
    }
    // Types `exports.default` (cloudflare:workers) as the Worker's main module, for test/support/api.ts.
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
  }
}
