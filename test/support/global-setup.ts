// vitest globalSetup (runs in Node, once per run): starts the local test IdP and hands its URL and the
// D1 migrations to the Workers pool (see vitest.config.ts, which turns them into TEST_* bindings).
import { readD1Migrations, type D1Migration } from "@cloudflare/vitest-plugin";
import type { TestProject } from "vitest/node";
import { startIdpServer } from "./idp-server";

export default async function (project: TestProject): Promise<() => Promise<void>> {
  const idp = await startIdpServer();
  project.provide("idpUrl", idp.url);
  project.provide("migrations", await readD1Migrations({ projectPath: project.config.root, migrationsDir: "migrations" }));
  return () => idp.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the local test IdP, e.g. http://127.0.0.1:PORT (no trailing slash). */
    idpUrl: string;
    /** D1 migrations from ./migrations, applied by apply-migrations.ts before each test file. */
    migrations: D1Migration[];
  }
}
