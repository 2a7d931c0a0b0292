import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/index";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      SECRETS_ADMIN_KEY: string;
      AUTH_ADMIN_KEY: string;
      TEST_IDP_URL: string;
      SECRETS_MIGRATIONS: D1Migration[];
      AUTH_MIGRATIONS: D1Migration[];
      /** edge-oidc-auth's HTTP API (test setup only; the Worker itself uses AUTH, the RPC entrypoint). */
      AUTH_API: Fetcher;
      /** edge-oidc-auth's D1 database, for its migrations. */
      AUTH_DB: D1Database;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
  }
}
