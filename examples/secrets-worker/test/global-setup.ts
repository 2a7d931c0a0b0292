// Node side of the example's tests: the local test IdP, and both Workers' D1 migrations.
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import type { TestProject } from "vitest/node";
import { startIdpServer } from "../../../test/support/idp-server";

export default async function (project: TestProject): Promise<() => Promise<void>> {
  const idp = await startIdpServer();
  const root = project.config.root;
  project.provide("idpUrl", idp.url);
  project.provide("secretsMigrations", await readD1Migrations({ projectPath: root, migrationsDir: "migrations" }));
  project.provide("authMigrations", await readD1Migrations({ projectPath: `${root}/../..`, migrationsDir: "migrations" }));
  return () => idp.close();
}
