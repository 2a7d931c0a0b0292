// `npm run bench:global`: login and token-use latency from every region, modelled. The Worker is built from
// its own source by `wrangler deploy --dry-run` behind an entry that wraps D1, KV and the token-state
// Durable Object so each call waits the round trip its placement implies from the request's region
// (bench/lib/global-model.mjs: figures and their sources; bench/lib/global-delays.mjs: the wrappers). Runs
// under Miniflare/workerd next to the local IdP. Measures the commit before the cold-login work ("before",
// BENCH_GLOBAL_BEFORE, a git ref; "none" to skip) and this checkout ("after"), and writes the table into
// docs/performance.md between `<!-- bench:global:start -->` and `<!-- bench:global:end -->`.
//
// Options (env): BENCH_GLOBAL_SAMPLES (warm logins and token uses per region, default 60),
// BENCH_GLOBAL_COLD (cold-isolate and idle-identity logins per region, default 20), BENCH_GLOBAL_REGIONS
// (comma list, default all of RUNNER_REGIONS), BENCH_GLOBAL_RTT (a JSON file replacing the RTT table),
// BENCH_WRITE_DOCS=0 to only print.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { applyMigrations, builtWorkerOptions, wranglerMiniflare } from "../scripts/built-worker.mjs";
import { generateSigningKeys } from "../scripts/signing-key.mjs";
import { benchScript } from "./lib/script.mjs";
import { buildGlobalWorker, exportTree } from "./lib/global-build.mjs";
import { renderGlobal, writeGlobalSection } from "./lib/global-report.mjs";
import { AWS_RTT_MS, placementRtts, RUNNER_REGIONS } from "./lib/global-model.mjs";
import { startIdp } from "./lib/idp.mjs";
import { CLIENT_IP, gitlabClaims, loginRequest, serviceClient } from "./lib/service.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const OUT = join(ROOT, "bench", ".out", "global");
/** The last commit before the cold-login work of issue 16 (two sequential D1 reads, no location hint). */
const DEFAULT_BEFORE = "3ee95c2";
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const cfg = {
  samples: num("BENCH_GLOBAL_SAMPLES", 60),
  cold: num("BENCH_GLOBAL_COLD", 20),
  connections: 2,
  regions: process.env.BENCH_GLOBAL_REGIONS ? process.env.BENCH_GLOBAL_REGIONS.split(",") : Object.keys(RUNNER_REGIONS),
  before: process.env.BENCH_GLOBAL_BEFORE ?? DEFAULT_BEFORE,
  rtt: process.env.BENCH_GLOBAL_RTT ? JSON.parse(readFileSync(process.env.BENCH_GLOBAL_RTT, "utf8")) : AWS_RTT_MS,
  writeDocs: process.env.BENCH_WRITE_DOCS !== "0",
};
const WATCHDOG_MS = 15 * 60_000;
const TENANT = "global";
/** Unmeasured requests of each kind before the first measured ones (JIT, Miniflare's simulations). */
const WARMUP_REQUESTS = 200;
const CRON_EVERY_MS = 20_000;
const MAIN = "edge-oidc-auth";
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = wranglerMiniflare();

const { log, resources, run } = benchScript("bench:global", WATCHDOG_MS);

async function startWorker(variant, scriptPath, configPath, vars) {
  const options = builtWorkerOptions({ configPath, scriptPath, name: MAIN, bindings: vars });
  // One client address sends everything: the per-address limits are raised out of reach (as in bench/run.mjs).
  const ratelimits = { ...options.ratelimits };
  for (const name of ["LOGIN_CLIENT_LIMITER", "LOGIN_ADDRESS_FAILURE_LIMITER", "TOKEN_CLIENT_LIMITER"]) {
    if (ratelimits[name]) ratelimits[name] = { ...ratelimits[name], simple: { ...ratelimits[name].simple, limit: 1_000_000_000 } };
  }
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.WARN),
      cf: false,
      workers: [{ ...options, ratelimits, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
    }),
  );
  await mf.ready;
  resources.push(() => mf.dispose());
  const url = (await mf.unsafeGetDirectURL(MAIN)).toString().replace(/\/$/, "");
  await applyMigrations(await mf.getD1Database("DB", MAIN), join(variant.root, "migrations"));
  // The cron trigger, as a deployment runs it (every minute there; here more often, so the heartbeat read
  // replicas are judged by is never near its bound): src/maintenance.ts.
  const worker = await mf.getWorker(MAIN);
  const cron = () => worker.scheduled({ cron: "* * * * *" }).catch((err) => log(`scheduled: ${err.message}`));
  await cron();
  const timer = setInterval(cron, CRON_EVERY_MS);
  resources.push(async () => clearInterval(timer));
  return { mf, url };
}

/** One request from `region`: its latency (ms, measured here) and the remote round trips it waited for. */
async function timed(url, region, { method = "GET", path, headers = {}, body }) {
  const t0 = performance.now();
  const res = await fetch(`${url}${path}`, { method, headers: { ...headers, "x-bench-region": region }, body });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${method} ${path} from ${region}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return {
    ms,
    rounds: Number(res.headers.get("x-bench-rounds")),
    remote: Number(res.headers.get("x-bench-remote-ms")),
    trace: res.headers.get("x-bench-trace") ?? "",
    text,
  };
}

async function repeat(n, connections, one) {
  const out = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < n) {
        next++;
        out.push(await one());
      }
    }),
  );
  return out;
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
const summary = (samples) => ({
  n: samples.length,
  p50: percentile(
    samples.map((s) => s.ms),
    50,
  ),
  p99: percentile(
    samples.map((s) => s.ms),
    99,
  ),
  rounds: percentile(
    samples.map((s) => s.rounds),
    50,
  ),
  roundsMax: Math.max(...samples.map((s) => s.rounds)),
  remote: percentile(
    samples.map((s) => s.remote),
    50,
  ),
  trace: mostCommon(samples.map((s) => s.trace)),
});
function mostCommon(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
}

/** Builds and starts a variant, and creates one organization and identity per region through its admin API. */
async function startVariant(variant, idp, signingKeys) {
  log(`${variant.name}: building ${variant.label}`);
  const { scriptPath, configPath } = buildGlobalWorker(variant.root, join(OUT, variant.name));
  const adminKey = randomBytes(24).toString("hex");
  const { url } = await startWorker(variant, scriptPath, configPath, {
    ALLOW_INSECURE_ISSUERS: "true",
    ADMIN_API_KEY: adminKey,
    SIGNING_KEYS: signingKeys,
  });
  await timed(url, "local", { method: "PUT", path: "/__bench/rtt", body: JSON.stringify(cfg.rtt) });
  const api = serviceClient(url, adminKey); // no region header: the admin's calls come from us-east
  const jwt = await idp.mint(TENANT, gitlabClaims());
  const identities = {};
  for (const region of ["local", ...cfg.regions]) {
    const hint = RUNNER_REGIONS[region]?.hint ?? "enam";
    // One organization per runner region, with its location hint where the code has one.
    const body = { name: `Global ${region}`, ...(variant.name === "after" ? { locationHint: hint } : {}) };
    const org = (await api.call("POST", "/api/v1/organizations", { body })).organization;
    const identity = await api.createIdentity(org.id, `runner-${region}`);
    await api.attachOidc(identity.id, idp.issuer(TENANT));
    // The identity's first login and token use come from the admin (us-east), as when an admin tries a
    // new identity before handing it to the fleet: without a hint, its token state is created there.
    const first = JSON.parse((await timed(url, "us-east", loginRequest(identity.id, jwt))).text);
    await timed(url, "us-east", details(first.accessToken));
    identities[region] = identity.id;
  }
  return { ...variant, url, jwt, identities };
}

const details = (token) => ({
  path: "/api/v1/identities/details",
  headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": CLIENT_IP },
});

/** One region on one variant: warm logins, token uses, then idle-identity and cold-isolate logins. */
async function measureRegion(v, region) {
  const { url, jwt } = v;
  const id = v.identities[region];
  const login = () => timed(url, region, loginRequest(id, jwt));
  const r = {};
  // Unmeasured: the runtime's JIT on the first region, then this region's colo (its KV cache).
  const warmups = region === "local" ? WARMUP_REQUESTS : 3;
  await repeat(warmups, cfg.connections, login);
  const token = JSON.parse((await login()).text).accessToken;
  if (region === "local") await repeat(warmups, cfg.connections, () => timed(url, region, details(token)));
  r.warmLogin = summary(await repeat(cfg.samples, cfg.connections, login));
  r.tokenUse = summary(await repeat(cfg.samples, cfg.connections, () => timed(url, region, details(token))));
  const sequential = async (scope) => {
    const out = [];
    for (let i = 0; i < cfg.cold; i++) {
      await timed(url, region, { path: `/__bench/cold?scope=${scope}&ids=${id}` });
      out.push(await login());
    }
    return summary(out);
  };
  r.idleLogin = await sequential("context");
  r.coldLogin = await sequential("isolate");
  log(
    `  ${v.name}: warm ${r.warmLogin.p50.toFixed(1)} ms, idle ${r.idleLogin.p50.toFixed(1)} ms (${r.idleLogin.rounds} rounds), ` +
      `cold ${r.coldLogin.p50.toFixed(1)} ms (${r.coldLogin.rounds} rounds, ${r.coldLogin.remote.toFixed(0)} ms remote: ${r.coldLogin.trace}), ` +
      `token use ${r.tokenUse.p50.toFixed(1)} ms (${r.tokenUse.remote.toFixed(0)} ms remote)`,
  );
  return r;
}

async function main() {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0].toFixed(2);
  const idp = await startIdp();
  const closeIdp = () => idp.close();
  await idp.tenantWithRsaKeys(TENANT, 1);
  const signingKeys = await generateSigningKeys();
  const variants = [];
  if (cfg.before !== "none") {
    variants.push({ name: "before", label: `commit ${cfg.before}`, root: exportTree(ROOT, cfg.before, join(OUT, "before-src")) });
  }
  variants.push({ name: "after", label: "this checkout", root: ROOT });
  // Both variants run side by side and are measured in turn, region by region: whatever else the machine
  // is doing meanwhile falls on both alike.
  const measured = Object.fromEntries(variants.map((v) => [v.name, {}]));
  try {
    const running = [];
    for (const v of variants) running.push(await startVariant(v, idp, signingKeys));
    for (const region of ["local", ...cfg.regions]) {
      log(region);
      for (const v of running) measured[v.name][region] = await measureRegion(v, region);
    }
  } finally {
    await closeIdp();
  }
  const placement = Object.fromEntries(cfg.regions.map((r) => [r, { ...placementRtts(r, cfg.rtt), doTo: undefined }]));
  const env = { loadAtStart, loadAtEnd: loadavg()[0].toFixed(2), cores: cpus().length };
  const report = { startedAt, env, cfg: { ...cfg, rtt: undefined }, before: cfg.before, placement, measured };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "results.json"), JSON.stringify(report, null, 2));
  const markdown = renderGlobal(report);
  process.stdout.write(`${markdown}\n`);
  if (cfg.writeDocs) {
    writeGlobalSection(join(ROOT, "docs", "performance.md"), markdown);
    log("wrote docs/performance.md (bench:global section)");
  }
}

await run(main);
