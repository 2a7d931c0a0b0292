// A Worker as a deployment runs it, for tests and tools that drive it from Node: bundled by
// `wrangler deploy --dry-run`, then run by workerd through Miniflare with the bindings its wrangler.toml
// declares. Used by the clients tests (test/clients/), the example Worker's tests
// (examples/secrets-worker/) and meant to be shared with the benchmark (bench/lib/ does the same steps).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig, unstable_splitSqlQuery } from "wrangler";

/**
 * A Node that can run wrangler (22+): this one, or the project's own (the `node` devDependency) when this
 * process runs on an older system Node (e.g. `node_modules/.bin/vitest` started outside npm scripts).
 */
function nodeForWrangler() {
  if (Number(process.versions.node.split(".")[0]) >= 22) return process.execPath;
  const nodePackage = createRequire(import.meta.url).resolve("node/package.json");
  return join(dirname(nodePackage), "bin", "node");
}

/** Bundles the Worker of `configPath` into `outdir` (wrangler's own build, as `wrangler deploy` would). */
export function buildWorker(configPath, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const wranglerPackage = createRequire(import.meta.url).resolve("wrangler/package.json");
  const wrangler = join(dirname(wranglerPackage), "bin", "wrangler.js");
  const res = spawnSync(nodeForWrangler(), [wrangler, "deploy", "--dry-run", "--config", configPath, "--outdir", outdir], {
    cwd: dirname(configPath),
    encoding: "utf8",
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  if (res.status !== 0) {
    throw new Error(`wrangler deploy --dry-run (${configPath}) failed with exit ${res.status}:\n${res.stdout}${res.stderr}`);
  }
  const main = readdirSync(outdir).find((f) => /\.m?js$/.test(f) && !f.endsWith(".map"));
  if (!main) throw new Error(`no bundle in ${outdir}`);
  return join(outdir, main);
}

/**
 * Miniflare options for a built bundle: the bindings (D1, KV, Durable Objects, rate limits, services,
 * vars) come from its wrangler.toml, `bindings` add or override vars and secrets.
 *
 * The vars are wrangler.toml's `[vars]` only, as deployed: wrangler also reads a developer's `.dev.vars`
 * (which `npm start` writes, with `ACCESS_LOG_SAMPLE_RATE=1`), and a test or a benchmark must not depend on
 * what one machine's local setup left there.
 */
export function builtWorkerOptions({ configPath, scriptPath, name, bindings = {} }) {
  if (!name) throw new Error("builtWorkerOptions: name is required (the service name other Workers bind to)");
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  // The bundle is already built: Miniflare must not apply wrangler's module rules to it again.
  const { modulesRules: _rules, ...fromToml } = workerOptions;
  const { vars = {} } = unstable_readConfig({ config: configPath });
  return {
    ...fromToml,
    name,
    rootPath: dirname(scriptPath),
    scriptPath,
    modules: true,
    bindings: { ...vars, ...bindings },
  };
}

/** The Miniflare that wrangler itself depends on (there may be another copy at the top of node_modules). */
export function wranglerMiniflare() {
  const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
  return requireFromWrangler("miniflare");
}

/** Applies `dir`/*.sql in name order, statement by statement, to a D1 database (a Miniflare D1 binding). */
export async function applyMigrations(db, dir) {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    const statements = unstable_splitSqlQuery(readFileSync(join(dir, file), "utf8"));
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}
