// One Miniflare (workerd) instance with these Workers:
//   edge-oidc-auth  the built bundle, with the bindings wrangler.toml declares (D1, KV, Durable Object,
//                   rate limits)
//   edge-oidc-auth-no-ratelimit  the same bundle on the same D1 and KV, without the rate-limit bindings
//                   (Miniflare simulates those with a Durable Object per call; see docs/performance.md)
//   edge-oidc-auth-deployed-limits  the same bundle on the same D1 and KV, with the rate limits exactly as
//                   wrangler.toml declares them (the many-clients login workload: a fresh address per login)
//   edge-oidc-auth-limiter-first  the same as deployed-limits with LOGIN_LIMITER_ORDER = "sequential": the
//                   other order of the client limiter and the verification, measured beside it
//   consumer        a downstream Worker with a service binding to edge-oidc-auth's AuthService entrypoint
//   secrets-worker-example  examples/secrets-worker built as deployed, bound to AuthService by its wrangler.toml
//   floor-crypto    floor (a): a login's crypto only
//   floor-crypto-writes  floor (a+w): the same, plus a login's two write-behind rows to the service's D1
//   floor-do        floor (b): one bare Durable Object increment over RPC
// Every Worker gets a direct socket, so the load generator talks to workerd with nothing in between
// (no `wrangler dev` proxy, no Miniflare entry router).
import { join } from "node:path";
import { applyMigrations as applySqlFiles, builtWorkerOptions, wranglerMiniflare } from "../../scripts/built-worker.mjs";

// The Miniflare that wrangler itself depends on (there may be another copy at the top of node_modules).
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = wranglerMiniflare();

export const MAIN_WORKER = "edge-oidc-auth";
export const NO_RATELIMIT_WORKER = "edge-oidc-auth-no-ratelimit";
export const DEPLOYED_LIMITS_WORKER = "edge-oidc-auth-deployed-limits";
export const LIMITER_FIRST_WORKER = "edge-oidc-auth-limiter-first";
/** examples/secrets-worker; its wrangler.toml binds AUTH to MAIN_WORKER's AuthService. */
export const SECRETS_WORKER = "secrets-worker-example";
const WORKERS_DIR = new URL("../workers/", import.meta.url).pathname;

/**
 * @param {object} o
 * @param {string} o.root        repository root (wrangler.toml)
 * @param {string} o.scriptPath  the dry-run bundle
 * @param {Record<string,string>} o.vars  vars and secrets for the service (override wrangler.toml/.dev.vars)
 * @param {Record<string,string>} o.floorVars  bindings of the crypto floor Worker
 * @param {{ configPath: string, scriptPath: string, vars: Record<string,string> }} o.secrets  the example
 *   secrets Worker's wrangler.toml, its dry-run bundle, and its vars and secrets
 * @param {Record<string,number|null>} [o.rateLimits]  binding name -> `simple.limit` replacing wrangler.toml's
 *   (null: no such binding)
 */
export async function startMiniflare({ root, scriptPath, vars, floorVars, secrets, rateLimits = {} }) {
  const direct = [{ host: "127.0.0.1", port: 0 }];
  // The bindings wrangler.toml declares (D1, KV, Durable Object, rate limits), vars and secrets on top.
  const fromToml = builtWorkerOptions({ configPath: join(root, "wrangler.toml"), scriptPath, name: MAIN_WORKER, bindings: vars });
  const deployedLimits = fromToml.ratelimits;
  const ratelimits = { ...fromToml.ratelimits };
  for (const [name, limit] of Object.entries(rateLimits)) {
    if (!ratelimits[name]) throw new Error(`wrangler.toml has no rate-limit binding ${name}`);
    if (limit === null) delete ratelimits[name];
    else ratelimits[name] = { ...ratelimits[name], simple: { ...ratelimits[name].simple, limit } };
  }
  const main = { ...fromToml, ratelimits, unsafeDirectSockets: direct };
  // Each copy of the service gets its own write-behind queue (a queue has one consumer Worker), as a
  // separate deployment would.
  const ownQueues = (name) => {
    const renamed = (queue) => `${name}-${queue}`;
    return {
      queueProducers: Object.fromEntries(
        Object.entries(fromToml.queueProducers ?? {}).map(([binding, q]) => [binding, { ...q, queueName: renamed(q.queueName) }]),
      ),
      queueConsumers: Object.fromEntries(Object.entries(fromToml.queueConsumers ?? {}).map(([queue, c]) => [renamed(queue), c])),
    };
  };
  const plain = (name, extra) => ({
    name,
    rootPath: WORKERS_DIR,
    scriptPath: join(WORKERS_DIR, `${name}.mjs`),
    modules: true,
    compatibilityDate: fromToml.compatibilityDate,
    unsafeDirectSockets: direct,
    ...extra,
  });

  const mf = new Miniflare(
    convertV4MiniflareOptions({
      // in-memory storage: every run starts empty and leaves nothing behind
      log: new Log(LogLevel.WARN),
      cf: false, // no request.cf download (loopback only)
      inspectorPort: 0,
      workers: [
        main,
        { ...main, name: NO_RATELIMIT_WORKER, ratelimits: {}, ...ownQueues(NO_RATELIMIT_WORKER) },
        { ...main, name: DEPLOYED_LIMITS_WORKER, ratelimits: deployedLimits, ...ownQueues(DEPLOYED_LIMITS_WORKER) },
        {
          ...main,
          name: LIMITER_FIRST_WORKER,
          ratelimits: deployedLimits,
          bindings: { ...main.bindings, LOGIN_LIMITER_ORDER: "sequential" },
          ...ownQueues(LIMITER_FIRST_WORKER),
        },
        plain("consumer", {
          serviceBindings: {
            AUTH: { name: MAIN_WORKER, entrypoint: "AuthService" },
            FLOOR: { name: "floor-do", entrypoint: "CounterService" },
          },
        }),
        {
          ...builtWorkerOptions({
            configPath: secrets.configPath,
            scriptPath: secrets.scriptPath,
            name: SECRETS_WORKER,
            bindings: secrets.vars,
          }),
          unsafeDirectSockets: direct,
        },
        plain("floor-crypto", { bindings: floorVars }),
        // floor (a+w): the same script with the service's D1 (same database id), writing a login's rows
        { ...plain("floor-crypto", { bindings: floorVars, d1Databases: main.d1Databases }), name: "floor-crypto-writes" },
        plain("floor-do", { durableObjects: { COUNTER: { className: "Counter", useSQLite: true } } }),
      ],
    }),
  );
  await mf.ready;
  const urls = {};
  for (const name of [
    MAIN_WORKER,
    NO_RATELIMIT_WORKER,
    DEPLOYED_LIMITS_WORKER,
    LIMITER_FIRST_WORKER,
    "consumer",
    SECRETS_WORKER,
    "floor-crypto",
    "floor-crypto-writes",
    "floor-do",
  ]) {
    urls[name] = (await mf.unsafeGetDirectURL(name)).toString().replace(/\/$/, "");
  }
  return { mf, urls, inspectorUrl: (await mf.getInspectorURL()).toString() };
}

/** Applies the migrations/*.sql of the service and of the example secrets Worker to their D1 bindings. */
export async function applyMigrations(mf, root) {
  const db = await mf.getD1Database("DB", MAIN_WORKER);
  await applySqlFiles(db, join(root, "migrations"));
  await applySqlFiles(await mf.getD1Database("DB", SECRETS_WORKER), join(root, "examples", "secrets-worker", "migrations"));
  return { db };
}
