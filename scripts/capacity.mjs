// `npm run capacity`: where each shared part of edge-oidc-auth saturates, and what a million logins and
// validations cost, from the latest `npm run bench` (bench/.out/results.json; else the Results table of
// docs/performance.md; else the defaults below, and it says which) and Cloudflare's published limits and
// prices (each cited in LIMITS). Writes the tables into docs/capacity.md between `<!-- capacity:start -->`
// and `<!-- capacity:end -->` (`--print` only prints).
//
// Parameters other work changes (set at merge, or per run as flags):
//   --rows-per-login=N      D1 rows a login writes behind: 1 (the audit row is the token ledger; 2 before)
//   --audit-bytes=N         D1 bytes of a login's audit row with its indexes and checked claims (what-if)
//   --hot-days=N            days of audit rows held in D1 (AUDIT_HOT_DAYS + the day being archived; with
//                           --r2=false, AUDIT_RETENTION_DAYS)
//   --r2=true|false         older audit rows go to R2 (cold tier) instead of being deleted
//   --shards=N              token-state Durable Objects per identity (ceiling = shards x per-object rate)
//   --isolates=N            busy isolates, each flushing write-behind once a second
//   --queue=true|false      write-behind through the Queue (WRITE_BEHIND_QUEUE) or each isolate calling D1
//   --logins-per-isolate=N  logins a second of one busy isolate (how full its once-a-second message is)
//   --d1-rows-written=N     D1 rows written (billed, index entries and later deletes included) per login
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;

/** Inputs of the model. Each has its provenance; flags override. */
const PARAMS = {
  rowsPerLogin: 1, // src/tokens/audit.ts: one audit row that is also the token's ledger entry (migration 0008)
  auditBytes: 1610, // measured: a login row with its GitLab-shaped claim snapshot and indexes (test/integration/audit-capacity.test.ts)
  ledgerBytes: 526, // measured: a ledger-only row, kept while a token outlives its archived login event (same test)
  tokenTtlHours: 1, // a ledger row lives until its token expires; 1 h is the README's accessTokenTTL
  hotDays: 4, // AUDIT_HOT_DAYS = 3 (wrangler.toml) plus the day not yet archived: D1 holds at most 4 days
  r2: true, // older rows move to R2 (src/storage/audit-archive.ts), kept there until AUDIT_RETENTION_DAYS
  r2BytesPerLogin: 144, // measured: gzipped NDJSON per login row (test/integration/audit-capacity.test.ts)
  shards: 16, // token-state shard objects per identity (TOKEN_STATE_SHARDS, src/tokens/token-state-client.ts)
  isolates: 100, // busy isolates flushing write-behind (each at most once a second)
  d1CallMs: 3, // measured: D1 writer time per write-behind call (docs/architecture.md, Write-behind)
  d1RowUs: 15, // measured: D1 writer time per inserted row (same)
  queue: true, // wrangler.toml binds WRITE_BEHIND_QUEUE: isolates send parcels, the consumer writes 100 per D1 call
  parcelBytesPerLogin: 1340, // measured: a login's row in a parcel (test/integration/write-behind-queue.test.ts)
  parcelBytes: 60_000, // MAX_PARCEL_BYTES (src/storage/write-behind-parcels.ts): one message, one 64 KB billed op
  consumerBatch: 100, // max_batch_size (wrangler.toml)
  loginsPerIsolate: 10, // assumption: logins a second of one busy isolate (each flushes once a second)
  // billed rows written per login: the audit row + 4 index entries (by org, identity, time, and the token
  // ledger's by identity) + 2 login_stats upserts (trigger, migrations/0007), and the row and its 4 index
  // entries again when the archive moves it to R2 (D1 bills deletes and index updates as rows written)
  d1RowsWritten: 1 + 4 + 2 + 5,
  doRowsWrittenPerUse: 1, // token-state object: one UPDATE of the token's row per use (src/tokens/token-state-object.ts)
  doMsPerUse: 1, // assumption: an object's active wall time per use when busy (duration is billed while active)
  kvReadsPerColdLogin: 2, // discovery + JWKS copies, one bulk get (one operation against the per-invocation limit, S26); billed here as two reads (unconfirmed whether a bulk get bills per key)
  coldLoginShare: 0.01, // assumption: share of logins served by an isolate that has not seen the issuer
  contextMissShare: 0.1, // assumption: share of logins whose login context is not in isolate memory (10 s TTL)
  clientLoginsPer10s: 1000, // LOGIN_CLIENT_LIMITER: 100 blocks of 10 per 10 s (wrangler.toml)
};

/** Published limits and prices; S-numbers are the sources in docs/capacity.md. */
const LIMITS = {
  d1MaxBytes: 10e9, // S1: 10 GB per database (paid), not raisable
  d1WriterQps: 1000, // S3: one primary, single-threaded: about 1,000 queries/s at 1 ms each
  doRps: 1000, // S7: soft limit 1,000 requests/s per object; S8: "about 500-1,000 req/s for simple operations"
  kvWritesPerKeyPerS: 1, // S12
  workersPerMRequests: 0.3, // S19: $0.30 per million requests
  workersPerMCpuMs: 0.02, // S19: $0.02 per million CPU ms
  d1PerMRowsWritten: 1.0, // S6
  d1PerMRowsRead: 0.001, // S6
  d1PerGbMonth: 0.75, // S6
  doPerMRequests: 0.15, // S11
  doPerMGbS: 12.5, // S11
  doGb: 0.128, // S11: 128 MB billed per object
  doPerMRowsWritten: 1.0, // S11: rows as D1
  kvPerMReads: 0.5, // S14
  r2PerGbMonth: 0.015, // S19 (R2 table)
  r2PerMClassA: 4.5, // S19
  queueMsgPerS: 5000, // S23: 5,000 messages/s per queue (sends past it throw "Too Many Requests")
  queuePerMOps: 0.4, // S23: $0.40 per million operations; an operation is 64 KB written, read or deleted (S27)
  queueOpsPerMessage: 3, // S27: a delivered message is a write, a read and a delete
};

// ---- flags --------------------------------------------------------------------------------------
const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith("--"))
    .map((a) => {
      const [k, v = "true"] = a.slice(2).split("=");
      return [k.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase()), v];
    }),
);
const FLAG_NAMES = { d1RowsWritten: "d1RowsWritten" };
for (const [k, v] of Object.entries(flags)) {
  const key = FLAG_NAMES[k] ?? k;
  if (key === "print") continue;
  if (!(key in PARAMS)) {
    process.stderr.write(`capacity: unknown flag --${k}\n`);
    process.exit(2);
  }
  PARAMS[key] = typeof PARAMS[key] === "boolean" ? v === "true" : Number(v);
}

// ---- measured per-request costs ---------------------------------------------------------------
const DEFAULT_COSTS = {
  loginCpuUs: 383,
  useCpuUs: 479,
  loginRps: 2715,
  source: "defaults in scripts/capacity.mjs (bench of 2026-11-25)",
};
/** The bench's rows this model reads: the login without Miniflare's rate-limit simulation, and an RPC use. */
const LOGIN_KEY = "login-no-ratelimit";
const USE_KEY = "rpc-limited";
const LABELS = {
  [LOGIN_KEY]: "Login, warm caches, without the rate-limit bindings",
  [USE_KEY]: "AuthService.authenticate over RPC, max uses 1e9",
};

function measuredCosts() {
  const results = join(ROOT, "bench", ".out", "results.json");
  if (existsSync(results)) {
    const report = JSON.parse(readFileSync(results, "utf8"));
    const row = (key) => report.results?.find((r) => r.key === key);
    if (row(LOGIN_KEY) && row(USE_KEY)) {
      // The isolate's own CPU (what Workers bills) when the bench profiled it; else all of workerd's.
      const isolateUs = (r) => r.isolateCpu?.isolates?.[r.isolateCpu.judged]?.us;
      const own = isolateUs(row(LOGIN_KEY)) !== undefined && isolateUs(row(USE_KEY)) !== undefined;
      return {
        loginCpuUs: own ? isolateUs(row(LOGIN_KEY)) : row(LOGIN_KEY).cpuUsPerReq,
        useCpuUs: own ? isolateUs(row(USE_KEY)) : row(USE_KEY).cpuUsPerReq,
        cpuKind: own ? "isolate" : "workerd",
        loginRps: row(LOGIN_KEY).rps,
        source: `bench/.out/results.json (npm run bench, ${report.env?.startedAt ?? "undated"})`,
      };
    }
  }
  const perf = join(ROOT, "docs", "performance.md");
  if (existsSync(perf)) {
    const doc = readFileSync(perf, "utf8");
    /** The cells of the row of `label` in `text`'s first table that has one. */
    const cellsIn = (text, label) =>
      text
        .split("\n")
        .find((l) => l.startsWith(`| ${label} |`))
        ?.split("|")
        .map((c) => c.trim());
    // The Results table: | workload | req/s | p50 | p90 | p99 | max | vs floor | workerd CPU µs/req | ...
    const login = cellsIn(doc, LABELS[LOGIN_KEY]);
    const use = cellsIn(doc, LABELS[USE_KEY]);
    const num = (s) => Number(String(s).replace(/,/g, ""));
    // The isolate's own CPU from the "Isolate CPU per request" table (| workload | isolate CPU µs/req | ...),
    // when the document has it; else the Results table's workerd CPU, an upper bound.
    const isolateSection = doc.split("## Isolate CPU per request")[1]?.split("\n## ")[0] ?? "";
    const loginIso = cellsIn(isolateSection, LABELS[LOGIN_KEY]);
    const useIso = cellsIn(isolateSection, LABELS[USE_KEY]);
    const own = Boolean(loginIso && useIso && Number.isFinite(num(loginIso[2])) && Number.isFinite(num(useIso[2])));
    if (login && use) {
      const measured = doc.match(/^Measured (\S+) /m)?.[1] ?? "undated";
      return {
        loginCpuUs: own ? num(loginIso[2]) : num(login[8]),
        useCpuUs: own ? num(useIso[2]) : num(use[8]),
        cpuKind: own ? "isolate" : "workerd",
        loginRps: num(login[2]),
        source: `docs/performance.md (${own ? "Isolate CPU per request" : "Results"}, ${measured}): no full run in bench/.out/results.json`,
      };
    }
  }
  return DEFAULT_COSTS;
}

// ---- the model ----------------------------------------------------------------------------------
const P = PARAMS;
const L = LIMITS;
const costs = measuredCosts();
const fmt = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const money = (n) => (n >= 100 ? `$${fmt(n)}` : n >= 1 ? `$${fmt(n, 2)}` : `$${fmt(n, 3)}`);

/** D1 bytes held at steady state: audit rows for the hot window, ledger rows until their tokens expire. */
// A token that outlives the hot window keeps a ledger-only row in D1 until it expires.
const ledgerDays = Math.max(0, P.tokenTtlHours / 24 - P.hotDays);
const d1Bytes = (loginsPerDay) => loginsPerDay * (P.auditBytes * P.hotDays + P.ledgerBytes * ledgerDays);
const maxLoginsPerDayStorage = L.d1MaxBytes / d1Bytes(1);

// The writer. Without the queue each busy isolate's flush is one call (about d1CallMs of writer time);
// with it, each busy isolate sends ceil(its second's rows / rows per parcel) messages a second, and the
// consumer writes consumerBatch of them per call: calls/s = messages/s / consumerBatch (at least one batch
// per max_batch_timeout when traffic is light). Rows cost d1RowUs each either way.
const loginsPerParcel = Math.floor(P.parcelBytes / P.parcelBytesPerLogin);
const messagesPerIsolateS = Math.max(1, Math.ceil((P.loginsPerIsolate * P.rowsPerLogin) / loginsPerParcel));
const messagesPerS = P.isolates * messagesPerIsolateS;
const d1CallsPerS = P.queue ? Math.max(1, messagesPerS / P.consumerBatch) : P.isolates;
const writerCallShare = (d1CallsPerS * P.d1CallMs) / 1000;
const writerLoginsPerS = Math.max(0, (1 - writerCallShare) / ((P.rowsPerLogin * P.d1RowUs) / 1e6));
const isolatesAtCliff = Math.floor(1000 / P.d1CallMs);
// With the queue: the queue's message rate, and the writer's calls at that rate.
const isolatesAtQueueCliff = Math.floor(L.queueMsgPerS / messagesPerIsolateS);
const callShareAtQueueCliff = ((L.queueMsgPerS / P.consumerBatch) * P.d1CallMs) / 1000;
const rowLoginsAtQueueCliff = (1 - callShareAtQueueCliff) / ((P.rowsPerLogin * P.d1RowUs) / 1e6);

const doCeiling = P.shards * L.doRps;

/** The first of 10k, 1M, 10M logins a day whose hot window D1 cannot hold, and how soon it fills. */
function storageCliff() {
  const over = [1e4, 1e6, 1e7].find((v) => v > maxLoginsPerDayStorage);
  if (!over) return "none up to 10M logins/day";
  const days = L.d1MaxBytes / (over * P.auditBytes);
  return `**${fmt(over)} logins/day fill it in ${fmt(days, days < 10 ? 1 : 0)} days**, within the ${P.hotDays}-day window; writes then fail`;
}
const perAddressPerColo = P.clientLoginsPer10s / 10;

const saturation = [
  P.queue
    ? {
        part: "D1 writer (write-behind through the queue)",
        limit: "one primary, single-threaded, ~1,000 queries/s at 1 ms (S3)",
        ceiling: `${fmt(writerLoginsPerS)} logins/s (${P.rowsPerLogin} row/login, ${P.d1RowUs} µs a row); D1 calls are the consumer's batches, ${fmt(d1CallsPerS, 1)}/s for ${fmt(P.isolates)} busy isolates (${fmt(messagesPerS)} messages/s, ${P.consumerBatch} a call)`,
        cliff: `rows, not calls: even at the queue's ${fmt(L.queueMsgPerS)} messages/s the calls take ${fmt(callShareAtQueueCliff * 100)}% of the writer, and **about ${fmt(Math.round(rowLoginsAtQueueCliff / 1000) * 1000)} logins/s** fill it with rows. Without the queue: **${fmt(isolatesAtCliff)} busy isolates** fill it with call overhead alone (${P.d1CallMs} ms/call)`,
      }
    : {
        part: "D1 writer (write-behind, no queue)",
        limit: "one primary, single-threaded, ~1,000 queries/s at 1 ms (S3)",
        ceiling: `${fmt(writerLoginsPerS)} logins/s with ${fmt(P.isolates)} busy isolates (${P.rowsPerLogin} rows/login)`,
        cliff: `**${fmt(isolatesAtCliff)} busy isolates** flushing every second fill the writer with call overhead alone (${P.d1CallMs} ms/call), whatever the login rate`,
      },
  ...(P.queue
    ? [
        {
          part: "Write-behind queue",
          limit: `${fmt(L.queueMsgPerS)} messages/s per queue; 128 KB a message; 100 a consumer batch (S23)`,
          ceiling: `${fmt(messagesPerS)} messages/s for ${fmt(P.isolates)} busy isolates at ${P.loginsPerIsolate} logins/s each (${loginsPerParcel} logins fit a ${fmt(P.parcelBytes / 1000)} kB message)`,
          cliff: `**${fmt(isolatesAtQueueCliff)} busy isolates** (one message a second each): sends past it are refused and the isolates keep their rows (up to MAX_RETAINED_ROWS) and resend; a second queue (isolates split by hash) doubles it`,
        },
      ]
    : []),
  {
    part: "D1 storage",
    limit: "10 GB per database, not raisable (S1)",
    ceiling: `${fmt(maxLoginsPerDayStorage)} logins/day (${fmt(maxLoginsPerDayStorage / 86_400, 1)}/s average) with ${P.hotDays} days in D1`,
    cliff: storageCliff(),
  },
  {
    part: "One identity's token state",
    limit: "Durable Object soft limit 1,000 req/s per object (S7; 500-1,000 for simple operations, S8)",
    ceiling: `${fmt(doCeiling)} validations/s per identity (${P.shards} object${P.shards > 1 ? "s" : ""} x ${fmt(L.doRps)})`,
    cliff: `**a fleet above ${fmt(doCeiling)} token uses/s on one identity** queues, then gets "overloaded" (503 token_state_unavailable)`,
  },
  {
    part: "KV writes",
    limit: "1 write/s per key (S12)",
    ceiling:
      "the service writes per issuer only: discovery/JWKS copies when refetched, the refetch cooldown (1 per 30 s per JWKS URL)",
    cliff:
      "none for logins: isolates refetching one issuer at once lose their KV writes (ignored); the IdP sees one fetch per isolate per TTL",
  },
  {
    part: "KV reads (cold isolates)",
    limit: "no per-key read rate published; hot keys are served by the colo (S15)",
    ceiling: `one bulk get (${P.kvReadsPerColdLogin} keys: the discovery and JWKS copies) per login on an isolate that has not seen the issuer, alongside the D1 read`,
    cliff: "none (latency only: a cold colo's first read goes to the central stores)",
  },
  {
    part: "Rate limiter",
    limit: "per key per Cloudflare location, eventually consistent, local counters (S20)",
    ceiling: `${fmt(perAddressPerColo)} logins/s per client address per location (LOGIN_CLIENT_LIMITER)`,
    cliff: `**a fleet behind one NAT address above ${fmt(perAddressPerColo)} logins/s in one location** gets 429 \`rate_limited_client\`; raise \`limit\` in wrangler.toml`,
  },
  {
    part: "Worker CPU",
    limit: "no global ceiling; CPU billed per ms (S19), 30 s per request (S17)",
    ceiling: `${fmt(costs.loginCpuUs)} µs per login, ${fmt(costs.useCpuUs)} µs per validation (${
      costs.cpuKind === "isolate"
        ? "the Worker isolate's own CPU, Durable Object included, as profiled by the bench"
        : "workerd CPU incl. Miniflare's simulations: an upper bound"
    })`,
    cliff: "none: isolates scale out; each isolate does about 1e6 / (µs per login) logins/s",
  },
];

const volumes = [1e4, 1e6, 1e7];
const retention = volumes.map((perDayLogins) => {
  const gbPerDay = (perDayLogins * P.auditBytes) / 1e9;
  const daysInD1 = L.d1MaxBytes / (perDayLogins * P.auditBytes);
  const fits = d1Bytes(perDayLogins) <= L.d1MaxBytes;
  const r2GbPerDay = (perDayLogins * P.r2BytesPerLogin) / 1e9;
  return { perDayLogins, gbPerDay, daysInD1, fits, r2GbPerDay };
});

// Cost per million, at published prices (free allowances ignored: a large deployment is past them).
const loginCost = {
  "Workers requests": L.workersPerMRequests,
  "Workers CPU": (costs.loginCpuUs / 1000) * L.workersPerMCpuMs,
  "D1 rows written": P.d1RowsWritten * L.d1PerMRowsWritten,
  [`D1 rows read (3 per login-context miss, ${P.contextMissShare * 100}% of logins)`]: 3 * P.contextMissShare * L.d1PerMRowsRead,
  "KV reads (cold isolates)": P.kvReadsPerColdLogin * P.coldLoginShare * L.kvPerMReads,
  [`D1 storage for the ${P.hotDays} days a row is held`]: ((P.auditBytes * 1e6) / 1e9) * L.d1PerGbMonth * (P.hotDays / 30),
};
if (P.queue) {
  // Each busy isolate sends messagesPerIsolateS messages a second whatever it carries: per login, that is
  // messagesPerIsolateS / loginsPerIsolate messages (one 64 KB op each way: parcels are at most 60 kB).
  const messagesPerLogin = messagesPerIsolateS / P.loginsPerIsolate;
  loginCost[
    `Queue operations (${fmt(messagesPerLogin, 2)} messages per login at ${P.loginsPerIsolate} logins/s per isolate, 3 ops each)`
  ] = messagesPerLogin * L.queueOpsPerMessage * L.queuePerMOps;
  loginCost["Workers requests of the queue consumer (one per batch of 100 messages; upper bound)"] =
    (messagesPerLogin / P.consumerBatch) * L.workersPerMRequests;
}
if (P.r2) loginCost["R2 cold tier (storage per month)"] = ((P.r2BytesPerLogin * 1e6) / 1e9) * L.r2PerGbMonth;
const useCost = {
  "Workers requests (HTTP; an RPC call from another Worker may not be billed as one)": L.workersPerMRequests,
  "Workers CPU": (costs.useCpuUs / 1000) * L.workersPerMCpuMs,
  "Durable Object requests": L.doPerMRequests,
  "Durable Object rows written": P.doRowsWrittenPerUse * L.doPerMRowsWritten,
  "Durable Object duration": (P.doMsPerUse / 1000) * L.doGb * L.doPerMGbS,
};
const total = (c) => Object.values(c).reduce((a, b) => a + b, 0);

// ---- output -------------------------------------------------------------------------------------
function render() {
  const out = [];
  const p = (s = "") => out.push(s);
  p(`<!-- Generated by \`npm run capacity\` (scripts/capacity.mjs). Edit the script, not the tables. -->`);
  p();
  p(`Measured costs from: ${costs.source}.`);
  p(
    `Parameters: ${P.rowsPerLogin} D1 rows per login, ${P.hotDays} days of audit rows in D1${P.r2 ? " (older ones in R2)" : " (older ones deleted)"}, ` +
      `${P.shards} token-state object${P.shards > 1 ? "s" : ""} per identity, ${P.isolates} busy isolates${P.queue ? ` at ${P.loginsPerIsolate} logins/s each, write-behind through the queue` : ", write-behind straight to D1"}, ${P.d1RowsWritten} billed D1 rows written per login.`,
  );
  p();
  p("### Where it saturates");
  p();
  p("| shared part | published limit | ceiling at these parameters | cliff |");
  p("|---|---|---|---|");
  for (const s of saturation) p(`| ${s.part} | ${s.limit} | ${s.ceiling} | ${s.cliff} |`);
  p();
  p(`### Audit retention in one D1 database (${fmt(P.auditBytes)} bytes per login)`);
  p();
  p(`| logins/day | D1 growth/day | days 10 GB holds | ${P.hotDays}-day window fits? | R2 growth/day (compressed) |`);
  p("|---:|---:|---:|---|---:|");
  for (const r of retention) {
    p(
      `| ${fmt(r.perDayLogins)} | ${fmt(r.gbPerDay, 2)} GB | ${fmt(r.daysInD1, r.daysInD1 < 10 ? 1 : 0)} | ${r.fits ? "yes" : "**no (cliff)**"} | ${fmt(r.r2GbPerDay, 3)} GB |`,
    );
  }
  p();
  p("### Cost per million, at published prices");
  p();
  p(`| per million logins | $ | | per million validations | $ |`);
  p("|---|---:|---|---|---:|");
  const a = Object.entries(loginCost);
  const b = Object.entries(useCost);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [la, va] = a[i] ?? ["", undefined];
    const [lb, vb] = b[i] ?? ["", undefined];
    p(`| ${la} | ${va === undefined ? "" : money(va)} | | ${lb} | ${vb === undefined ? "" : money(vb)} |`);
  }
  p(`| **total** | **${money(total(loginCost))}** | | **total** | **${money(total(useCost))}** |`);
  p();
  const perMonth = (perDayLogins, usesPerLogin) =>
    money(((perDayLogins * 30) / 1e6) * (total(loginCost) + usesPerLogin * total(useCost)));
  p(`At 1M logins a day with 10 validations each: about ${perMonth(1e6, 10)} a month (plus the $5 Workers plan).`);
  return out.join("\n");
}

const markdown = render();
process.stdout.write(`${markdown}\n`);
if (!flags.print) {
  const path = join(ROOT, "docs", "capacity.md");
  const doc = readFileSync(path, "utf8");
  const [start, end] = ["<!-- capacity:start -->", "<!-- capacity:end -->"];
  const s = doc.indexOf(start);
  const e = doc.indexOf(end);
  if (s === -1 || e < s) throw new Error("docs/capacity.md has no capacity:start/end markers");
  writeFileSync(path, `${doc.slice(0, s + start.length)}\n${markdown}\n${doc.slice(e)}`);
  process.stderr.write("capacity: wrote docs/capacity.md\n");
}
