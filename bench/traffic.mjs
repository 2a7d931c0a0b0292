// `npm run bench:traffic`: the console's traffic pages (GET /api/v1/login-traffic) on an organization with a
// million audit rows, in a local D1 (Miniflare's, SQLite in a file). Builds the Worker as it deploys, fills
// the audit log with BENCH_AUDIT_ROWS rows (default 1,000,000) of one organization over the last 30 days,
// written as the Worker's write-behind writes them (one INSERT ... SELECT FROM json_each(?) per batch, so
// the login_stats trigger of migrations/0007_login_stats.sql runs on each), then times:
//   - the API the pages call, 24 hours and 30 days, for the organization and for one identity;
//   - the same 30-day aggregation straight from audit_logs, i.e. without the hourly counts;
//   - the audit log filtered by a refusal reason (where the pages' reasons link), with and without its index;
//   - writing audit rows with and without the trigger.
// Prints a Markdown table (docs/traffic.md quotes it). Takes a few minutes; leaves nothing behind.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { applyMigrations, buildWorker, builtWorkerOptions, wranglerMiniflare } from "../scripts/built-worker.mjs";
import { generateSigningKeys } from "../scripts/signing-key.mjs";
import { median } from "./lib/stats.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const BATCH = 1000;
const ADMIN_KEY = "bench-traffic-admin-key-0123456789";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const REASONS = [
  "claim_not_allowed: ref_protected",
  "audience_not_allowed",
  "subject_not_allowed",
  "token_expired",
  "signature_invalid",
  "issuer_mismatch",
  "token_replayed",
  "key_not_found",
];

const persist = mkdtempSync(join(tmpdir(), "eoa-traffic-"));
const build = join(ROOT, ".wrangler", "bench-build", "traffic");
const configPath = join(ROOT, "wrangler.toml");
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = wranglerMiniflare();
const worker = builtWorkerOptions({
  configPath,
  scriptPath: buildWorker(configPath, build),
  name: "edge-oidc-auth",
  bindings: { ADMIN_API_KEY: ADMIN_KEY, SIGNING_KEYS: await generateSigningKeys(), ACCESS_LOG_SAMPLE_RATE: "0" },
});
const mf = new Miniflare(convertV4MiniflareOptions({ log: new Log(LogLevel.WARN), cf: false, d1Persist: persist, workers: [worker] }));
const base = (await mf.ready).toString().replace(/\/$/, "");
const db = await mf.getD1Database("DB", "edge-oidc-auth");
await applyMigrations(db, join(ROOT, "migrations"));

async function api(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const org = (await api("POST", "/api/v1/organizations", { name: "Bench Org" })).organization;
const other = (await api("POST", "/api/v1/organizations", { name: "Other Org" })).organization;
const identities = [];
for (let i = 0; i < 50; i++)
  identities.push((await api("POST", "/api/v1/identities", { name: `ci-${i}`, organizationId: org.id })).identity.id);

// The write-behind's statement (src/storage/audit-log.ts).
const INSERT = `INSERT INTO audit_logs (id, created_at, event, outcome, reason_code, org_id, identity_id, actor,
  client_ip, country, colo, token_id, details)
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8,
    value->>9, value->>10, value->>11, value->>12 FROM json_each(?)`;

let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const now = Date.now();
function row(orgId, i, n) {
  const at = now - Math.floor(((n - i) / n) * 30 * DAY) + Math.floor(random() * 1000); // evenly over 30 days
  const refused = random() < 0.15;
  const identityId = orgId === org.id ? identities[Math.floor(random() * identities.length)] : crypto.randomUUID();
  const reason = refused ? REASONS[Math.floor(random() ** 2 * REASONS.length)] : null;
  const claims = { iss: "https://gitlab.com", sub: "project_path:mygroup/myproject:ref_type:branch:ref:main", ref_protected: "true" };
  return [
    crypto.randomUUID(),
    at,
    random() < 0.7 ? "login" : "token.exchange",
    refused ? "failure" : "success",
    reason,
    orgId,
    identityId,
    `identity:${identityId}`,
    "203.0.113.10",
    "DE",
    "FRA",
    refused ? null : crypto.randomUUID(),
    JSON.stringify({ claims }),
  ];
}

async function fill(orgId, n) {
  const started = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const rows = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) rows.push(row(orgId, j, n));
    await db.prepare(INSERT).bind(JSON.stringify(rows)).run();
    if (i % 100_000 === 0 && i > 0) process.stderr.write(`  ${i} rows\n`);
  }
  return performance.now() - started;
}

process.stderr.write(`writing ${ROWS} audit rows of one organization (+ ${ROWS / 10} of another)...\n`);
const fillMs = await fill(org.id, ROWS);
await fill(other.id, ROWS / 10);

// Writing with and without the trigger, on the other organization (its counts are not read): rounds taken
// in turn, the median of each kept, so that other processes on the machine weigh on both alike.
const sample = 10_000;
const triggerSql = (await db.prepare("SELECT sql FROM sqlite_master WHERE name = 'audit_logs_login_stats'").first()).sql;
const withRounds = [];
const withoutRounds = [];
for (let round = 0; round < 5; round++) {
  withRounds.push(await fill(other.id, sample));
  await db.prepare("DROP TRIGGER audit_logs_login_stats").run();
  withoutRounds.push(await fill(other.id, sample));
  await db.prepare(triggerSql).run();
}
const withTrigger = median(withRounds);
const withoutTrigger = median(withoutRounds);

async function timed(label, fn) {
  await fn(); // warm
  const times = [];
  let detail = "";
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    detail = (await fn()) ?? "";
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { label, median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)], detail };
}

const results = [];
const traffic = (query) => async () => {
  const t = await api("GET", `/api/v1/login-traffic?${query}`);
  const attempts =
    t.totals.login.successes + t.totals.login.refusals + t.totals.tokenExchange.successes + t.totals.tokenExchange.refusals;
  return `${attempts.toLocaleString("en-US")} attempts counted`;
};
results.push(await timed("GET /api/v1/login-traffic, organization, 24 h by hour", traffic(`organizationId=${org.id}&window=24h`)));
results.push(await timed("GET /api/v1/login-traffic, organization, 30 days by day", traffic(`organizationId=${org.id}&window=30d`)));
results.push(
  await timed("GET /api/v1/login-traffic, one identity, 30 days by day", traffic(`identityId=${identities[0]}&window=30d`)),
);

const fromHour = Math.floor(now / DAY) * 24 - 29 * 24;
const rollup = async () => {
  const r = await db
    .prepare(
      `SELECT CAST((hour - ?1) / 24 AS INTEGER) AS bucket, event, outcome, reason_code, SUM(n) FROM login_stats
       WHERE org_id = ?2 AND identity_id = '' AND hour >= ?1 GROUP BY 1, 2, 3, 4`,
    )
    .bind(fromHour, org.id)
    .all();
  return `${r.meta.rows_read?.toLocaleString("en-US") ?? "?"} rows read`;
};
results.push(await timed("its query on the hourly counts (login_stats), 30 days", rollup));
const raw = async () => {
  const r = await db
    .prepare(
      `SELECT (created_at - ?1) / 86400000 AS bucket, event, outcome, reason_code, COUNT(*) FROM audit_logs
       WHERE org_id = ?2 AND created_at >= ?1 AND event IN ('login', 'token.exchange') GROUP BY 1, 2, 3, 4`,
    )
    .bind(fromHour * HOUR, org.id)
    .all();
  return `${r.meta.rows_read?.toLocaleString("en-US") ?? "?"} rows read`;
};
results.push(await timed("the same straight from audit_logs (index on org_id, created_at), 30 days", raw));

// A reason seen three times, a month ago: the audit page must find them among a million events.
const rare = "jwks_uri_refused";
const rareRows = [0, 1, 2].map((i) => {
  const r = row(org.id, i, ROWS);
  r[3] = "failure";
  r[4] = rare;
  return r;
});
await db.prepare(INSERT).bind(JSON.stringify(rareRows)).run();
const byReason = (reason) => async () => {
  const page = await api("GET", `/api/v1/audit-logs?organizationId=${org.id}&reasonCode=${encodeURIComponent(reason)}&limit=50`);
  return `${page.auditLogs.length} events`;
};
const frequent = REASONS[0];
results.push(
  await timed(`GET /api/v1/audit-logs?reasonCode=${frequent} (the most frequent reason), a page of 50`, byReason(frequent)),
);
results.push(await timed(`GET /api/v1/audit-logs?reasonCode=${rare} (3 events, a month ago)`, byReason(rare)));
await db.prepare("DROP INDEX audit_logs_by_org_reason").run();
results.push(await timed("the most frequent reason without the index audit_logs_by_org_reason", byReason(frequent)));
results.push(await timed("the 3 rare events without the index", byReason(rare)));

const counts = await db
  .prepare("SELECT (SELECT COUNT(*) FROM audit_logs) AS audit, (SELECT COUNT(*) FROM login_stats) AS stats")
  .first();
await mf.dispose();
rmSync(persist, { recursive: true, force: true });

const fmt = (ms) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
console.log(
  `Measured ${new Date().toISOString()} by \`npm run bench:traffic\` on ${cpus().length} cores ` +
    `(load average ${loadavg()[0].toFixed(1)}), Node ${process.version}, Miniflare's local D1 (SQLite, in a file).`,
);
console.log(
  `\n${counts.audit.toLocaleString("en-US")} audit rows (${ROWS.toLocaleString("en-US")} in the measured organization, over 30 days, ` +
    `50 identities, 15 % refused); ${counts.stats.toLocaleString("en-US")} hourly count rows. Median of ${RUNS} runs after one warm-up.\n`,
);
console.log("| what | median | p90 | |\n|---|---|---|---|");
for (const r of results) console.log(`| ${r.label} | ${fmt(r.median)} | ${fmt(r.p90)} | ${r.detail} |`);
console.log(
  `\nWriting: ${ROWS.toLocaleString("en-US")} rows in ${Math.round(fillMs / 1000)} s with the trigger (batches of ${BATCH}); ` +
    `${sample.toLocaleString("en-US")} rows (median of 5 rounds): ${fmt(withTrigger)} with the trigger, ${fmt(withoutTrigger)} without ` +
    `(${((withTrigger / withoutTrigger - 1) * 100).toFixed(0)} % more per audit row).`,
);
