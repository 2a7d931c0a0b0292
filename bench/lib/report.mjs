// Results -> targets (pass/miss), a console table, docs/performance.md and an SVG latency chart.
import { FEATURES } from "./features.mjs";
import { allowedDissent, fewestDecisiveRounds, median, SIGNIFICANCE, sideOfMedian } from "./stats.mjs";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const BUNDLE_LIMIT_BYTES = 200 * 1000;
/** Login-context cache size in src/constants.ts (CONFIG_CACHE_ENTRIES); the churn run must exceed it. */
const LOGIN_CACHE_ENTRIES = 10_000;
/** Heap budget per cached login context when judging boundedness (generous: an entry is ~1 KiB). */
const HEAP_BUDGET_PER_ENTRY = 2048;
/** Other processes' CPU use (cores) above which a measured slice is not comparable (2-core machine). */
const DISTURBED_CORES = 0.5;

const byKey = (report, key) => report.results.find((r) => r.key === key);
const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const pctText = (x) => `${(x * 100).toFixed(0)}%`;

/**
 * The workloads the per-request targets judge (isolate CPU, p99), each with its floor. bench/run.mjs also
 * measures each pair again in paired rounds.
 */
export const JUDGED_WORKLOADS = [
  ["login", "floor-crypto"],
  ["login-many", "floor-crypto"],
  ["rpc-unlimited", "floor-do"],
  ["rpc-limited", "floor-do"],
];

/** Isolate CPU targets: a workload's isolate CPU per request at most this many times its floor's. */
const ISOLATE_CPU_FACTOR = 1.25;
/** p99 <= P99_FACTOR x p50, judged only where the floor's own p99/p50 is under FLOOR_TAIL_LIMIT. */
const P99_FACTOR = 3;
const FLOOR_TAIL_LIMIT = 2;

/**
 * The isolate CPU per request a row is judged by (bench/lib/isolate-cpu.mjs): for a floor, the floor
 * Worker's isolate (floor (b) over a binding: the floor-do isolate); for the service's workloads, the
 * service's isolate (the Worker and its token-state Durable Object together). null when not measured.
 */
export function isolateCpuOf(row) {
  const judged = row?.isolateCpu?.isolates[row.isolateCpu.judged];
  return judged ? judged.us : null;
}

/** Floors measured twice in a run: floor (a) first and last, floor (b) before and after the RPC workloads. */
const FLOOR_REPEATS = { "floor-crypto": "floor-crypto-end", "floor-do": "floor-do-again" };

/**
 * A floor's isolate CPU per request: the mean of its measurements in the run (one measurement alone moved by
 * 20% between runs on a 2-core machine). `base` is null when it was not measured.
 */
export function floorIsolateCpu(report, floorKey) {
  const runs = [byKey(report, floorKey), byKey(report, FLOOR_REPEATS[floorKey])]
    .map(isolateCpuOf)
    .filter((x) => x !== null && x !== undefined);
  return { base: runs.length ? runs.reduce((n, x) => n + x, 0) / runs.length : null, runs };
}

export function ratioToFloor(report, row) {
  const floor = row.floor && byKey(report, row.floor);
  return floor ? row.rps / floor.rps : null;
}

/** What the sign test asks of `n` rounds, in words. */
function signTestRule(n) {
  const dissent = allowedDissent(n);
  if (dissent === null) return `never enough; it takes ${fewestDecisiveRounds()}`;
  return dissent === 0 ? "all of them on the same side" : `at most ${dissent} on the other side`;
}

export function evaluateTargets(report) {
  const t = [];
  /**
   * `rows`: the measured rows a throughput/latency target compares. When other processes kept more than
   * DISTURBED_CORES busy during any of them, the comparison says nothing: the result is
   * "inconclusive" (pass = null) rather than a pass or a miss.
   */
  const add = (target, measured, pass, note = "", rows = []) => {
    const busy = rows.filter((r) => r && r.otherCores > DISTURBED_CORES);
    if (busy.length && pass !== null) {
      const which = busy.map((r) => `${r.key} ${fmt(r.otherCores)}`).join(", ");
      t.push({
        target,
        measured,
        pass: null,
        note: [note, `machine busy during the run (other load, cores: ${which}); would be ${pass ? "pass" : "miss"}`]
          .filter(Boolean)
          .join("; "),
      });
    } else {
      t.push({ target, measured, pass, note });
    }
  };
  const login = byKey(report, "login");
  const floorA = byKey(report, "floor-crypto");
  const floorB = byKey(report, "floor-do");

  if (login && floorA) {
    const ratio = login.rps / floorA.rps;
    const floorAW = byKey(report, "floor-crypto-writes");
    const withWrites = floorAW
      ? `against floor (a+w), which adds the login's D1 write-behind row that Miniflare runs on workerd's one thread: ${fmt(login.rps / floorAW.rps)}`
      : "";
    add(
      "Login, warm caches: >= 0.7 of the crypto floor's throughput",
      `${fmt(ratio)} (${int(login.rps)} vs ${int(floorA.rps)} req/s)`,
      ratio >= 0.7,
      withWrites,
      [login, floorA],
    );
  }
  // Isolate CPU per request against the floor's, measured the same way in the same run (floorIsolateCpu).
  const cpuTarget = (row, floor, what) => {
    const ours = isolateCpuOf(row);
    const { base, runs } = floorIsolateCpu(report, floor.key);
    if (ours === null || base === null) return;
    const floorNote = runs.length > 1 ? `floor: mean of ${runs.map(int).join(" and ")} µs/req, measured twice in the run` : "";
    const single = ours / base;
    // Judged by the median of the paired rounds (bench/run.mjs) when there are any, else by the single run.
    const rounds = (row.cpuRounds ?? []).filter((r) => Number.isFinite(r.ratio));
    const ratio = rounds.length ? median(rounds.map((r) => r.ratio)) : single;
    // A verdict only where the rounds show which side of the factor the median is on (a sign test at
    // SIGNIFICANCE, bench/lib/stats.mjs); otherwise this run's noise is larger than the target's margin and
    // the median would decide by chance. Without rounds (BENCH_CPU_ROUNDS=0) the main run decides alone.
    const side = rounds.length
      ? sideOfMedian(
          rounds.map((r) => r.ratio),
          ISOLATE_CPU_FACTOR,
        )
      : single <= ISOLATE_CPU_FACTOR
        ? "within"
        : "beyond";
    const agree = side !== null;
    const binding = row.isolateCpu.isolates[row.isolateCpu.judged]?.bindingUs ?? 0;
    const bindingNote =
      binding >= 1
        ? `of which ${int(binding)} µs/req in the bindings' clients (Miniflare's, for the limiter); without them ${fmt((ours - binding) / base)} x in the main run`
        : "";
    add(
      `${what}: isolate CPU per request <= ${ISOLATE_CPU_FACTOR} x floor ${floor.key === "floor-crypto" ? "(a)" : "(b)"}'s`,
      rounds.length
        ? `${fmt(ratio)} x, the median of ${rounds.length} paired rounds (${rounds
            .map((r) => `${fmt(r.ratio)} x: ${int(r.ours)} vs ${int(r.floor)} µs/req`)
            .join("; ")}); the main run: ${fmt(single)} x (${int(ours)} vs ${int(base)} µs/req)`
        : `${fmt(ratio)} x (${int(ours)} vs ${int(base)} µs/req)`,
      agree ? side === "within" : null,
      [
        agree
          ? ""
          : rounds.length < fewestDecisiveRounds()
            ? `not judged: ${rounds.length} paired rounds cannot show which side of ${ISOLATE_CPU_FACTOR} x the median is on at ${SIGNIFICANCE * 100}% (it takes ${fewestDecisiveRounds()}); the median alone would be a ${ratio <= ISOLATE_CPU_FACTOR ? "pass" : "miss"}`
            : `not judged: the paired rounds fall on both sides of ${ISOLATE_CPU_FACTOR} x too often to tell which side the median is on (sign test, ${SIGNIFICANCE * 100}%), so this run's noise is larger than the target's margin; the median alone would be a ${ratio <= ISOLATE_CPU_FACTOR ? "pass" : "miss"}`,
        floorNote,
        floor.key === "floor-do"
          ? `the service isolate: AuthService and the token-state Durable Object; floor (b): its Worker and its Durable Object${
              byKey(report, "floor-do-binding") && isolateCpuOf(byKey(report, "floor-do-binding")) !== null
                ? `; floor (b) over a service binding: ${int(isolateCpuOf(byKey(report, "floor-do-binding")))} µs/req`
                : ""
            }`
          : bindingNote,
      ]
        .filter(Boolean)
        .join("; "),
    );
  };
  for (const [key, floorKey] of JUDGED_WORKLOADS) {
    const row = byKey(report, key);
    const floor = byKey(report, floorKey);
    if (row && floor) cpuTarget(row, floor, row.label);
  }
  // Tail latency, judged only where the floor's own tail is tame in the same run.
  for (const [key] of JUDGED_WORKLOADS) {
    const row = byKey(report, key);
    const floor = row && byKey(report, row.floor);
    if (!row || !floor) continue;
    const floorTail = floor.p99 / floor.p50;
    const judged = floorTail < FLOOR_TAIL_LIMIT;
    add(
      `${row.label}: p99 <= ${P99_FACTOR} x p50`,
      `p99 ${fmt(row.p99)} ms = ${fmt(row.p99 / row.p50, 1)} x p50 ${fmt(row.p50)} ms`,
      judged ? row.p99 <= P99_FACTOR * row.p50 : null,
      judged
        ? `floor ${floor.key === "floor-crypto" ? "(a)" : "(b)"} in the same run: p99 = ${fmt(floorTail, 1)} x p50`
        : `not judged: the floor's own p99 is ${fmt(floorTail, 1)} x its p50 in this run (>= ${FLOOR_TAIL_LIMIT}), the machine's tail`,
      [row],
    );
  }
  const warm = report.results.filter((r) => r.idp && r.key !== "login-slow-idp");
  if (warm.length) {
    const total = warm.reduce((n, r) => n + r.idp.discovery + r.idp.jwks, 0);
    const logins = warm.reduce((n, r) => n + r.servedAll + r.warmupRequests, 0);
    add(
      "Zero IdP requests on the warm path",
      `${total} discovery/JWKS requests in ${int(logins)} warm logins (${warm.length} runs)`,
      total === 0,
    );
  }
  const slow = byKey(report, "login-slow-idp");
  if (slow?.idp) {
    // "per 10,000 logins": in any window of up to 10,000 logins, so a shorter run is allowed 2 + 2 too
    const logins = slow.servedAll + slow.warmupRequests;
    const allowed = 2 * Math.max(1, logins / 10_000);
    add(
      "At most 2 discovery + 2 JWKS requests per 10,000 logins (IdP answering in 50 ms, from a cold start)",
      `${slow.idp.discovery} discovery + ${slow.idp.jwks} JWKS in ${int(logins)} logins (allowed: ${fmt(allowed, 1)} each)`,
      slow.idp.discovery <= allowed && slow.idp.jwks <= allowed,
    );
  }
  const limited = byKey(report, "rpc-limited");
  const unlimited = byKey(report, "rpc-unlimited");
  if (limited && floorB) {
    const ratio = limited.rps / floorB.rps;
    add(
      "RPC validation with a max-uses limit: >= 0.7 of the Durable Object floor",
      `${fmt(ratio)} (${int(limited.rps)} vs ${int(floorB.rps)} req/s)`,
      ratio >= 0.7,
      "",
      [limited, floorB],
    );
  }
  if (limited && unlimited) {
    const unlimitedRuns = [unlimited, byKey(report, "rpc-unlimited-again")].filter(Boolean);
    const unlimitedRps = unlimitedRuns.reduce((n, r) => n + r.rps, 0) / unlimitedRuns.length;
    const ratio = unlimitedRps / limited.rps;
    add(
      "RPC validation without a limit is not slower than with one",
      `${fmt(ratio)} x the limited throughput (${unlimitedRuns.map((r) => int(r.rps)).join(" and ")} vs ${int(limited.rps)} req/s)`,
      ratio >= 0.95,
      `5% allowed for run-to-run noise; without a limit is measured before and after the limited run, and their mean compared`,
      [limited, ...unlimitedRuns],
    );
    const cpuRuns = unlimitedRuns.map(isolateCpuOf).filter((x) => x !== null);
    const cpuLimited = isolateCpuOf(limited);
    if (cpuRuns.length && cpuLimited !== null) {
      const cpuUnlimited = cpuRuns.reduce((a, b) => a + b, 0) / cpuRuns.length;
      add(
        "RPC validation without a limit costs no more isolate CPU than with one",
        `${int(cpuUnlimited)} vs ${int(cpuLimited)} µs/req (${fmt(cpuUnlimited / cpuLimited)} x)`,
        cpuUnlimited <= cpuLimited * 1.05,
        "5% allowed for sampling noise",
      );
    }
  }
  add(
    "Bundle under 200 KB gzipped",
    `${fmt(report.bundle.gzipBytes / 1000, 1)} KB (${fmt(report.bundle.gzipBytes / 1024, 1)} KiB)`,
    report.bundle.gzipBytes < BUNDLE_LIMIT_BYTES,
  );
  const baselines = ["login", "login-again"].map((k) => byKey(report, k)).filter(Boolean);
  const baseRps = baselines.reduce((n, r) => n + r.rps, 0) / baselines.length;
  const baseText = baselines.map((r) => int(r.rps)).join(" and ");
  // Judged on the isolate's CPU per login, what the service's own code does with more identities or keys;
  // the throughput under Miniflare also carries the D1 simulator on the same thread, whose cost grows with
  // the database it holds (100,000 identities), which a deployment's D1 runs elsewhere. Both are shown.
  const baseCpu = baselines.map(isolateCpuOf).filter((x) => x !== null);
  const baseCpuMean = baseCpu.length ? baseCpu.reduce((n, x) => n + x, 0) / baseCpu.length : null;
  // The baseline measured twice: when its two measurements differ by more than the 10% a scaling target
  // allows, the run cannot tell 10% apart, and the targets are not judged.
  const baseSpread = baseCpu.length > 1 ? Math.max(...baseCpu) / Math.min(...baseCpu) : 1;
  for (const r of report.results.filter((r) => r.scalingOf === "login")) {
    const ratio = r.rps / baseRps;
    const cpu = isolateCpuOf(r);
    const cpuRatio = cpu !== null && baseCpuMean ? cpu / baseCpuMean : null;
    add(
      `Scaling: ${r.label}, isolate CPU per login within 10% of the 10-identity, 1-key login's`,
      cpuRatio === null
        ? `throughput ${fmt(ratio)} x (${int(r.rps)} req/s vs ${baseText}); isolate CPU not measured`
        : `${fmt(cpuRatio)} x (${int(cpu)} vs ${baseCpu.map(int).join(" and ")} µs/req); throughput ${fmt(ratio)} x (${int(r.rps)} req/s vs ${baseText})`,
      cpuRatio === null ? ratio >= 0.9 : baseSpread > 1.1 ? null : cpuRatio <= 1.1,
      `${
        cpuRatio !== null && baseSpread > 1.1
          ? `not judged: the baseline's two measurements differ by ${pctText(baseSpread - 1)}, more than the 10% the target is about; alone it would be a ${cpuRatio <= 1.1 ? "pass" : "miss"}; `
          : ""
      }${baselines.length > 1 ? "baseline: mean of the runs before and after the scaling runs; " : ""}judged on isolate CPU: the throughput also carries Miniflare's D1 simulator, whose cost on the same thread grows with the database`,
      [r, ...baselines],
    );
  }
  const churn = byKey(report, "login-churn");
  const before = report.memory.find((m) => m.when.startsWith("after the 100,000-identities"));
  const after = report.memory.find((m) => m.when.startsWith("after logins naming"));
  if (churn && before?.heap && after?.heap) {
    const growth = after.heap.liveBytes - before.heap.liveBytes;
    const exercised = churn.distinctIdentities > LOGIN_CACHE_ENTRIES;
    add(
      "Memory: isolate caches bounded (100,000 identities do not grow the isolate without bound)",
      `live isolate heap ${fmt(before.heap.liveBytes / 2 ** 20, 1)} -> ${fmt(after.heap.liveBytes / 2 ** 20, 1)} MiB after logins naming ${int(churn.distinctIdentities)} identities`,
      exercised ? growth <= LOGIN_CACHE_ENTRIES * HEAP_BUDGET_PER_ENTRY : null,
      exercised
        ? `budget: ${LOGIN_CACHE_ENTRIES.toLocaleString("en-US")} cache entries x ${HEAP_BUDGET_PER_ENTRY / 1024} KiB`
        : `not exercised: fewer distinct identities than the ${LOGIN_CACHE_ENTRIES.toLocaleString("en-US")}-entry cache`,
    );
  }
  return t;
}

const verdict = (t) => (t.pass === null ? "inconclusive" : t.pass ? "pass" : "miss");

// ---- the results table ----------------------------------------------------------------------------

function tableRows(report) {
  return report.results.map((r) => {
    const ratio = ratioToFloor(report, r);
    const floor = r.floor && byKey(report, r.floor);
    const cpuRatio = floor ? floor.cpuUsPerReq / r.cpuUsPerReq : null;
    const idp = r.idp ? `${r.idp.discovery}/${r.idp.jwks}` : "";
    return {
      workload: r.label,
      rps: int(r.rps),
      p50: fmt(r.p50),
      p90: fmt(r.p90),
      p99: fmt(r.p99),
      max: fmt(r.max, 1),
      ratio: ratio === null ? "" : `${fmt(ratio)} of ${r.floor === "floor-crypto" ? "(a)" : "(b)"}`,
      cpu: int(r.cpuUsPerReq),
      cpuRatio: cpuRatio === null ? "" : fmt(cpuRatio),
      other: fmt(r.otherCores),
      idp,
      answers: r.unexpected ? `${r.unexpected} unexpected` : Object.keys(r.statusCounts).join(","),
    };
  });
}

/** The isolate CPU table: per workload, whose CPU each request costs (µs). */
function isolateRows(report) {
  return report.results
    .filter((r) => r.isolateCpu)
    .map((r) => {
      const c = r.isolateCpu;
      const iso = c.isolates;
      const judged = iso[c.judged] ?? {};
      const entry = Object.entries(iso).find(([name]) => name !== c.judged)?.[1];
      const ours = isolateCpuOf(r);
      const floorCpu = r.floor ? floorIsolateCpu(report, r.floor).base : null;
      const sim = (name) => int(c.simulators[name] ?? 0);
      return {
        workload: r.label,
        ours: int(ours),
        worker: judged.workerUs !== undefined ? int(judged.workerUs) : "",
        do: judged.doUs !== undefined ? int(judged.doUs) : "",
        binding: judged.bindingUs !== undefined ? int(judged.bindingUs) : "",
        entry: entry ? int(entry.us) : "",
        vsFloor: floorCpu && ours !== null ? `${fmt(ours / floorCpu)} x ${r.floor === "floor-crypto" ? "(a)" : "(b)"}` : "",
        d1: sim("D1 (Miniflare simulator)"),
        kv: sim("KV (Miniflare simulator)"),
        rl: sim("rate limiter (Miniflare simulator)"),
        workerd: int(c.workerdUs),
        rest: int(
          c.workerdUs - Object.values(iso).reduce((n, v) => n + v.us, 0) - Object.values(c.simulators).reduce((n, v) => n + v, 0),
        ),
        ratio: ratioToFloor(report, r) === null ? "" : fmt(ratioToFloor(report, r)),
        share: c.runShare === undefined ? "" : pctText(c.runShare),
      };
    });
}

const ISOLATE_COLUMNS = [
  ["workload", "Workload"],
  ["ours", "isolate CPU µs/req"],
  ["worker", "of which Worker"],
  ["do", "of which Durable Object"],
  ["binding", "of which binding clients"],
  ["vsFloor", "vs floor"],
  ["entry", "calling Worker µs"],
  ["d1", "D1 sim µs"],
  ["kv", "KV sim µs"],
  ["rl", "limiter sim µs"],
  ["rest", "workerd rest µs"],
  ["workerd", "workerd total µs"],
  ["ratio", "throughput vs floor"],
  ["share", "thread ran"],
];

const COLUMNS = [
  ["workload", "Workload"],
  ["rps", "req/s"],
  ["p50", "p50 ms"],
  ["p90", "p90 ms"],
  ["p99", "p99 ms"],
  ["max", "max ms"],
  ["ratio", "vs floor"],
  ["cpu", "workerd CPU µs/req"],
  ["cpuRatio", "CPU vs floor"],
  ["other", "other load"],
  ["idp", "IdP disc/JWKS"],
  ["answers", "status"],
];

export function markdownTable(rows, columns = COLUMNS) {
  const head = `| ${columns.map(([, h]) => h).join(" | ")} |`;
  const sep = `|${columns.map(([k]) => (k === "workload" || k === "answers" || k === "vsFloor" ? "---" : "---:")).join("|")}|`;
  return [head, sep, ...rows.map((r) => `| ${columns.map(([k]) => r[k] ?? "").join(" | ")} |`)].join("\n");
}

export function printReport(report) {
  const rows = tableRows(report);
  const widths = COLUMNS.map(([k, h]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  console.log();
  console.log(line(COLUMNS.map(([, h]) => h)));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(COLUMNS.map(([k]) => r[k])));
  console.log();
  const iso = isolateRows(report);
  if (iso.length) {
    const w2 = ISOLATE_COLUMNS.map(([k, h]) => Math.max(h.length, ...iso.map((r) => String(r[k]).length)));
    const line2 = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(w2[i]) : String(c).padStart(w2[i]))).join("  ");
    console.log(line2(ISOLATE_COLUMNS.map(([, h]) => h)));
    for (const r of iso) console.log(line2(ISOLATE_COLUMNS.map(([k]) => r[k])));
    console.log();
  }
  for (const t of report.targets)
    console.log(`${verdict(t).toUpperCase().padEnd(12)}  ${t.target}: ${t.measured}${t.note ? ` (${t.note})` : ""}`);
  console.log();
}

// ---- SVG chart ------------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Horizontal bars per workload (p50, p90, p99) on a logarithmic millisecond axis. */
export function latencySvg(rows, { title = "Latency percentiles (ms, log scale)" } = {}) {
  const series = [
    ["p50", "#2b6cb0"],
    ["p90", "#dd6b20"],
    ["p99", "#c53030"],
  ];
  const labelW = 440,
    plotW = 520,
    right = 70,
    top = 56,
    barH = 7,
    rowGap = 10;
  const rowH = series.length * barH + rowGap;
  const height = top + rows.length * rowH + 40;
  const width = labelW + plotW + right;
  const values = rows.flatMap((r) => series.map(([k]) => r[k])).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (v) => labelW + (plotW * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="${labelW}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  series.forEach(([k, color], i) => {
    const lx = labelW + i * 70;
    out.push(`<rect x="${lx}" y="30" width="12" height="8" fill="${color}"/><text x="${lx + 16}" y="38">${k}</text>`);
  });
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi * 1.0001) break;
      const xx = x(v).toFixed(1);
      out.push(`<line x1="${xx}" y1="${top - 6}" x2="${xx}" y2="${height - 34}" stroke="${m === 1 ? "#bbbbbb" : "#e5e5e5"}"/>`);
      out.push(
        `<text x="${xx}" y="${height - 20}" text-anchor="middle" fill="#555">${v < 1 ? v.toFixed(String(v).length - 2) : v}</text>`,
      );
    }
  }
  out.push(`<text x="${labelW + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#555">milliseconds</text>`);
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    out.push(`<text x="${labelW - 8}" y="${y0 + (series.length * barH) / 2 + 4}" text-anchor="end">${esc(r.label)}</text>`);
    series.forEach(([k, color], j) => {
      const v = r[k];
      const y = y0 + j * barH;
      out.push(`<rect x="${labelW}" y="${y}" width="${Math.max(1, x(v) - labelW).toFixed(1)}" height="${barH - 1}" fill="${color}"/>`);
      if (k === "p99") out.push(`<text x="${(x(v) + 4).toFixed(1)}" y="${y + barH - 1}" fill="#333" font-size="9">${fmt(v)}</text>`);
    });
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

// ---- docs/performance.md ----------------------------------------------------------------------------

/** A section another generator (`npm run bench:global`, bench/global.mjs) owns: kept verbatim on regeneration. */
const GLOBAL_START = "<!-- bench:global:start -->";
const GLOBAL_END = "<!-- bench:global:end -->";

/** The bench:global section of an existing performance.md, markers included, or null. */
export function globalSection(markdown) {
  const start = markdown.indexOf(GLOBAL_START);
  const end = markdown.indexOf(GLOBAL_END, start);
  return start >= 0 && end > start ? markdown.slice(start, end + GLOBAL_END.length) : null;
}

/** Puts `section` before the "## Reproduce" heading (or at the end). */
export function withSection(markdown, section) {
  if (!section) return markdown;
  const at = markdown.indexOf("\n## Reproduce");
  if (at < 0) return `${markdown.trimEnd()}\n\n${section}\n`;
  return `${markdown.slice(0, at)}\n${section}\n${markdown.slice(at)}`;
}

export function writeDocs(report, docsDir) {
  const svgName = "performance-latency.svg";
  const chartRows = report.results.filter((r) => r.key !== "floor-crypto-end");
  writeFileSync(join(docsDir, svgName), latencySvg(chartRows));
  const mdPath = join(docsDir, "performance.md");
  const kept = existsSync(mdPath) ? globalSection(readFileSync(mdPath, "utf8")) : null;
  writeFileSync(mdPath, withSection(performanceMarkdown(report, svgName), kept));
  return [mdPath, join(docsDir, svgName)];
}

function performanceMarkdown(report, svgName) {
  const { env, bundle } = report;
  const floorA = byKey(report, "floor-crypto");
  const floorEnd = byKey(report, "floor-crypto-end");
  const drift = floorA && floorEnd ? floorEnd.rps / floorA.rps - 1 : null;
  const lines = [];
  const p = (s = "") => lines.push(s);
  p("# Performance");
  p();
  p("<!-- Generated by `npm run bench` (bench/run.mjs). Edit the generator, not this file. -->");
  p();
  p(`Measured ${env.startedAt} on a ${env.cores}-core machine (Node ${env.node}), by \`npm run bench\`.`);
  p(`Every number below comes from that one run; the floors were measured in the same run, so the ratios`);
  p(`are what to compare across machines, not the absolute rates.`);
  p();
  p("## What is measured, and how");
  p();
  p("- **The Worker as deployed**: `wrangler deploy --dry-run` builds the bundle; it runs under Miniflare/workerd");
  p("  (the Miniflare wrangler depends on) with the bindings of `wrangler.toml`: D1 (migrations applied), KV, the");
  p("  token-state Durable Object, `ALLOW_INSECURE_ISSUERS=true`, a generated `SIGNING_KEYS` and admin key.");
  p("  The other vars are wrangler.toml's `[vars]` as deployed (`ACCESS_LOG_SAMPLE_RATE` 0.01), never a local");
  p("  `.dev.vars` (`npm start` writes one that logs every request). Storage is in memory. Every Worker is");
  p("  reached on its own direct workerd socket (no `wrangler dev` proxy).");
  p("- **Rate limits**: all load comes from one client address, so `LOGIN_CLIENT_LIMITER`'s limit is raised out of");
  p("  reach (as wrangler.toml suggests for a load test); the limiter is still called as in production, once per");
  p("  block of 10 logins. The *fresh client address per login* workload runs the same bundle with the limits");
  p("  exactly as wrangler.toml declares them (nothing raised): every login comes from a new address, as from a");
  p(
    "  CI fleet, so every login calls `LOGIN_CLIENT_LIMITER`. Miniflare simulates a rate-limit binding with a Durable Object behind two Worker hops,",
  );
  p("  which is far costlier than the limiter a deployment calls; the row *without the rate-limit bindings* runs");
  p("  the same bundle on the same D1 and KV with no limiter, to show that share; the *limiter awaited first* row");
  p('  runs it with `LOGIN_LIMITER_ORDER = "sequential"` ("The client limiter\'s order" below).');
  p("- **One thread**: workerd, as Miniflare runs it here, does all its work on one thread: the Worker, its");
  p("  Durable Objects, and Miniflare's simulations of D1, KV and the rate limiter. The audit and ledger writes");
  p("  (one D1 call per second per isolate, docs/architecture.md) therefore take CPU from the logins in this");
  p("  bench; on Cloudflare that work runs in D1, not in the Worker. The crypto floor writes nothing.");
  p("- **The IdP** is the test suite's (`test/support/idp-server.ts`) on loopback. Tenant `bench` publishes one");
  p("  RS256 key, `bench-50keys` fifty (the token is signed by the newest, last in the set), `bench-slow` answers");
  p("  discovery and JWKS after 50 ms. IdP requests are counted by the IdP itself.");
  p("- **Fixtures** go through the admin API (organization, identities, the README's GitLab configuration);");
  p("  extra identities are bulk-inserted into D1 (64-hex state object ids, no OIDC configuration).");
  p(`- **Load**: autocannon, closed loop, ${env.connections} connections; the service is warmed once (logins and validations),`);
  p(`  then each workload gets ${env.warmupS} s warmup, then ${env.durationS} s measured`);
  p(`  in ${env.slices} slices; the slice during which other processes used the least CPU is reported (the`);
  p("  choice never looks at the result; all slices are in the raw results). Latency is per response, measured");
  p("  by the client, in milliseconds with sub-millisecond precision. *workerd CPU µs/req* is the CPU time of the");
  p("  whole workerd process (every thread: the Worker, its Durable Object, D1, KV) divided by the answers.");
  p("- **Floors**: (a) `bench/workers/floor-crypto.mjs` verifies the same RS256 ID token and signs an ES256 token");
  p("  with WebCrypto and keys imported once: no router, no validation, no JOSE library. Login workloads are");
  p(
    env.loginD1Rows === 1
      ? "  compared to it. (a+w) is the same Worker writing, through the service's D1, the one row a login writes"
      : `  compared to it. (a+w) is the same Worker writing, through the service's D1, the ${env.loginD1Rows ?? 2} rows a login writes`,
  );
  p("  (audit event and token ledger, batched once a second as the service does).");
  p("  (b) `bench/workers/floor-do.mjs` makes one RPC call per request to a Durable Object that");
  p("  increments a SQLite counter. RPC validation, renew and identity details are compared to it. The row");
  p("  *Floor (b) called from the consumer Worker* adds the service-binding hop RPC validation also has.");
  p("  Each floor is measured twice (floor (a) first and last, floor (b) before and after the RPC workloads), and");
  p("  the main run's isolate CPU compares with the mean of the two: one measurement alone moved by 20% between");
  p(
    env.cpuRounds
      ? `  runs. The isolate CPU targets are judged by ${env.cpuRounds} more paired rounds (${env.roundS} s each of the floor and the workload, one right after the other, alternating which goes first), by the median of their ratios, and only when a one-sided sign test over the rounds puts that median on one side of the factor at ${SIGNIFICANCE * 100}% (with ${env.cpuRounds} rounds: ${signTestRule(env.cpuRounds)}).`
      : "  runs.",
  );
  p("- **RPC validation**: `bench/workers/consumer.mjs`, a second Worker in the same workerd, service-bound to");
  p("  `AuthService`; `GET /validate` calls `env.AUTH.authenticate(token, { clientIp })`.");
  p("- **End to end**: `examples/secrets-worker`, built by `wrangler deploy --dry-run` and bound to `AuthService` by");
  p("  its own wrangler.toml, serves the SDK's `GET /api/v3/secrets/raw` listing (two secrets seeded with");
  p("  `PUT /admin/secrets`) to an identity with project role `viewer`: one `authenticate` and one D1 query per request.");
  p(
    `- **The machine is shared**: 1-minute load average ${fmt(env.loadAtStart)} at the start, ${fmt(env.loadAtEnd)} at the end` +
      (drift === null ? "." : `; floor (a) measured again at the end differed by ${(drift * 100).toFixed(1)}% from the start.`),
  );
  p(
    `  Before each workload the bench waits (at most ${env.quietWaitMaxS} s, ${env.quietBudgetS} s in all; ${fmt(env.quietWaitS, 0)} s this run) for other`,
  );
  p("  processes to go quiet; the *other load* column says how quiet the reported slice was. Differences of a");
  p("  few percent between runs are noise; rows measured with other load near a core or more are not comparable.");
  p();
  p("## Results");
  p();
  p(markdownTable(tableRows(report)));
  p();
  p("*vs floor*: throughput as a fraction of floor (a) (crypto) or (b) (Durable Object). *CPU vs floor*: the");
  p("floor's workerd CPU per request divided by the workload's (what the throughput ratio would be if workerd");
  p("were CPU-bound on cores of its own; less sensitive to other load than throughput). *other load*: cores");
  p("busy with other processes during the reported slice. *IdP disc/JWKS*: discovery and JWKS requests the IdP");
  p("received during that workload, warmup and all slices included.");
  const slow = byKey(report, "login-slow-idp");
  if (slow) {
    p(`The slow-IdP workload has no warmup: all ${env.connections} connections start on empty caches (memory and KV),`);
    p(`so its max (${fmt(slow.max, 1)} ms) is the cold start and its percentiles are the warm path after it.`);
  }
  p();
  p(`![Latency percentiles per workload](${svgName})`);
  p();
  const iso = isolateRows(report);
  if (iso.length) {
    p("## Isolate CPU per request");
    p();
    p("What a deployment pays: the CPU time of our isolate per request (Workers bills it, and it bounds what one");
    p("isolate serves), apart from what Miniflare spends simulating D1, KV and the rate limiter on the same");
    p(`workerd thread. After each measured run, the same load runs ${env.cpuS} s more while V8's sampling profiler runs`);
    p("in every isolate involved (workerd's inspector; `bench/lib/isolate-cpu.mjs`). V8 records a sample only");
    p("while the profiled isolate is running on the thread, so an isolate's samples times the sampling period");
    p("(measured from the samples, never below the 250 µs asked for) are the thread's time inside it: its");
    p("JavaScript, the runtime APIs it calls (WebCrypto included), its garbage collection, workerd's C++ under");
    p("its lock. A thread preempted by another process takes no samples meanwhile (the profiler's signal");
    p("waits, one at most, until it runs again), so waiting for a CPU is not counted; but V8's sampler thread");
    p("waits too and misses ticks. *thread ran* is the share of the time workerd's thread wanted a CPU that it");
    p("got one (`/proc/<pid>/task/<tid>/schedstat`): 100% on a quiet machine; far below, the row is less reliable.");
    p("(Tail events' `cpuTime` was not used: workerd is not documented to measure it outside");
    p("Cloudflare, and it would not itemize the simulators.) The profiler's own cost lands in every isolate");
    p("alike, so compare rows with their floors, measured the same way in the same run.");
    p();
    p(markdownTable(iso, ISOLATE_COLUMNS));
    p();
    p("*isolate CPU*: the service's isolate (the Worker and its token-state Durable Object, one isolate), or a");
    p("floor's. *of which Durable Object*: samples whose stack is in `src/tokens/token-state*` (for floor (b),");
    p("in the counter's `increment`). *of which binding clients*: samples under the bindings' own JavaScript in");
    p("the isolate (`cloudflare-internal:` modules: D1's client, and Miniflare's rate-limit client, which calls");
    p("its simulator with a `fetch`; what a deployment's limiter client costs is not measured here). The");
    p("isolate's samples without a JavaScript stack (garbage collection, workerd's C++) count as the Worker's.");
    p("*calling Worker*: the consumer or the example secrets Worker, for");
    p("the workloads that reach the service over a service binding. *D1 / KV / limiter sim*: Miniflare's");
    p("simulations (their `d1:`, `kv:` and `ratelimit:` Workers), which a deployment does not run in the Worker.");
    p("*workerd rest*: the rest of workerd's process CPU in that phase (HTTP parsing, sockets, RPC and I/O");
    p("plumbing, the profiler's sampler), divided by the requests.");
    p();
  }
  featureSection(report, p);
  limiterOrderSection(report, p);
  p("## Targets");
  p();
  p("| target | measured | result |");
  p("|---|---|---|");
  for (const t of report.targets)
    p(`| ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ""} | ${t.pass === false ? "**miss**" : verdict(t)} |`);
  p();
  p("*inconclusive*: this run cannot decide the target, and its note says why and what the figure alone would");
  p("give: other processes kept the machine busy (throughput), the floor's own tail is too long (p99), the");
  p("paired rounds fell on both sides of the factor too often for a sign test to place their median (isolate");
  p("CPU), or the baseline's two measurements differ by more than the margin the target is about (scaling).");
  p();
  p("## Bundle");
  p();
  p(
    `\`wrangler deploy --dry-run\`: ${fmt(bundle.rawBytes / 1024, 1)} KiB, gzip ${fmt(bundle.gzipBytes / 1024, 1)} KiB (${int(bundle.gzipBytes)} bytes,`,
  );
  p("zlib's default level, the figure `wrangler deploy` prints as gzip). What it is made of (uncompressed bytes of");
  p("generated code per origin, from the bundle's source map):");
  p();
  p("| origin | KiB | share | gzip KiB it adds |");
  p("|---|---:|---:|---:|");
  const total = bundle.composition.reduce((n, c) => n + c.bytes, 0);
  for (const c of bundle.composition.slice(0, 12)) {
    p(
      `| \`${c.origin}\` | ${fmt(c.bytes / 1024, 1)} | ${pctText(c.bytes / total)} | ${c.gzipBytes === undefined ? "" : fmt(c.gzipBytes / 1024, 1)} |`,
    );
  }
  p();
  p("*gzip KiB it adds*: how much smaller the gzipped bundle is with that origin's code cut out (bench/lib/bundle.mjs);");
  p("what each would free of the 200 KB budget. Compressed alone, an origin would look bigger: it shares");
  p("vocabulary with the rest.");
  p();
  p("### Dependencies: bundle and CPU");
  p();
  const share = (label, pkg) => {
    const prof = report.profiles.find((x) => x.label.startsWith(label));
    if (!prof) return "n/a";
    const m = prof.byModule.find((x) => x.name === pkg);
    const busy = prof.totalMs;
    return m && busy > 0 ? `${pctText(m.selfMs / busy)}` : "not in the top modules";
  };
  p("| dependency | what for | KiB | gzip KiB it adds | share of a warm login's isolate CPU | share of an RPC validation's |");
  p("|---|---|---:|---:|---:|---:|");
  const DEPS = [
    ["@marcbachmann/cel-js", "CEL conditions (issue 12)"],
    ["@bufbuild/re2", "linear-time regexes for CEL `matches()`"],
    ["hono", "HTTP routing, the console's JSX"],
    ["jose", "ID token and access token verification"],
    ["zod", "request and configuration schemas, OpenAPI"],
  ];
  for (const [pkg, what] of DEPS) {
    const c = bundle.composition.find((x) => x.origin === pkg);
    p(
      `| \`${pkg}\` | ${what} | ${c ? fmt(c.bytes / 1024, 1) : "0"} | ${c?.gzipBytes === undefined ? "n/a" : fmt(c.gzipBytes / 1024, 1)} | ${share("Login, warm caches", pkg)} | ${share("AuthService", pkg)} |`,
    );
  }
  p();
  p("The CPU shares are self time in the service isolate's profiles below (of all its samples). The bench's");
  p("identities have no `condition`, so CEL and RE2 cost a login nothing here; what a condition costs:");
  if (report.cel) {
    p(`compiling the README's example (\`${report.cel.condition}\`) takes ${fmt(report.cel.compileUs, 0)} µs, once per configuration`);
    p(
      `(memoized in the isolate), evaluating it against a tag token's claims ${fmt(report.cel.evaluateUs, 1)} µs per login (\`src/oidc/condition.ts\``,
    );
    p("bundled by esbuild and timed in Node's V8, `bench/lib/cel-cost.mjs`; median of 5 batches).");
  } else {
    p("not measured in this run.");
  }
  p();
  p("## Memory");
  p();
  p("workerd's process (all Workers, the Durable Objects and the in-memory D1/KV) and the service's isolate,");
  p("read over the inspector: *live heap* is the size of everything reachable in a heap snapshot (taken after a");
  p("full GC), *used / total* are V8's counters, which also hold garbage not yet collected.");
  p();
  p("| when | workerd RSS MiB | workerd peak RSS MiB | isolate live heap MiB | isolate heap used / total MiB |");
  p("|---|---:|---:|---:|---:|");
  const mib = (b) => fmt(b / 2 ** 20, 1);
  for (const m of report.memory) {
    const h = m.heap;
    p(
      `| ${m.when} | ${mib(m.rss * 1024)} | ${mib(m.peak * 1024)} | ${h ? mib(h.liveBytes) : "n/a"} | ${h ? `${mib(h.usedBytes)} / ${mib(h.totalBytes)}` : "n/a"} |`,
    );
  }
  p();
  p("The 100,000 identities live in D1 (inside the workerd process here, hence its RSS); the service's isolate");
  p("keeps at most `CONFIG_CACHE_ENTRIES` (10,000) login contexts for `CONFIG_CACHE_TTL_MS` (10 s) and");
  p("`ISSUER_CACHE_ENTRIES` (1,000) discovery documents and key sets (`src/constants.ts`, LRU in `src/cache/lru.ts`).");
  if (report.profiles.length) {
    p();
    p("## Where the time goes");
    p();
    p("The service isolate's profiles from the isolate CPU phases above (raw: `bench/.out/profiles/*.cpuprofile`,");
    p("for Chrome DevTools or speedscope). Self time of JavaScript and of the runtime APIs it calls, each sample");
    p("one sampling period, mapped to source files through the bundle's source map. Time under the isolate's");
    p("lock outside JavaScript (workerd's own C++: HTTP, RPC, SQLite) is V8's `(program)` and is left out of");
    p("the shares.");
    for (const prof of report.profiles) {
      p();
      p(`### ${prof.label}`);
      p();
      p(
        `${fmt(prof.activeMs / 1000, 2)} s of JavaScript in ${fmt(prof.totalMs / 1000, 2)} s of the isolate's samples (${int(prof.rps)} req/s while profiled).`,
      );
      p();
      p("| module | self ms | share | | function | self ms | share |");
      p("|---|---:|---:|---|---|---:|---:|");
      const n = Math.max(prof.byModule.length, prof.byFunction.length);
      for (let i = 0; i < Math.min(n, 12); i++) {
        const m = prof.byModule[i];
        const f = prof.byFunction[i];
        p(
          `| ${m ? `\`${m.name}\`` : ""} | ${m ? fmt(m.selfMs, 0) : ""} | ${m ? pctText(m.share) : ""} | | ${f ? `\`${esc(f.name)}\`` : ""} | ${f ? fmt(f.selfMs, 0) : ""} | ${f ? pctText(f.share) : ""} |`,
        );
      }
    }
  }
  p();
  p("## Reproduce");
  p();
  p("```sh");
  p("npm install && npm run bench        # about 12 minutes; BENCH_DURATION=5 BENCH_CPU_S=2 for a quicker, noisier run");
  p("```");
  p();
  p("Raw results: `bench/.out/results.json`. The code: `bench/run.mjs` (workloads), `bench/lib/` (build,");
  p("Miniflare, IdP, load, profile, report), `bench/workers/` (floors and the consumer Worker).");
  return `${lines.join("\n")}\n`;
}

/** A login's isolate CPU by part (bench/lib/features.mjs), in µs per request, beside floor (a)'s total. */
function featureSection(report, p) {
  const featuresOf = (row) => row?.isolateCpu?.isolates[row.isolateCpu.judged]?.features;
  const logins = ["login", "login-no-ratelimit", "login-many"].map((k) => byKey(report, k)).filter((r) => featuresOf(r));
  if (logins.length === 0) return;
  p("### A login's isolate CPU by what it does");
  p();
  p("The same profiles, each sample given to the part of the work its stack is in (`bench/lib/features.mjs`): a");
  p("runtime API is charged to the code that called it (WebCrypto's `verify` to the ID token, `sign` to the");
  p("access token), garbage collection and workerd's C++ under the isolate's lock to themselves. µs of isolate");
  p("CPU per request.");
  p();
  const SHORT = { login: "login", "login-no-ratelimit": "login without limiter bindings", "login-many": "login, new address each" };
  const head = ["part", ...logins.map((r) => SHORT[r.key])];
  p(`| ${head.join(" | ")} |`);
  p(
    `|---|${head
      .slice(1)
      .map(() => "---:")
      .join("|")}|`,
  );
  const cell = (row, name) => fmt(featuresOf(row)[name] ?? 0, 0);
  for (const name of FEATURES) p(`| ${name} | ${logins.map((r) => cell(r, name)).join(" | ")} |`);
  const total = (row) => Object.values(featuresOf(row)).reduce((n, us) => n + us, 0);
  p(`| **total** | ${logins.map((r) => `**${fmt(total(r), 0)}**`).join(" | ")} |`);
  p();
  const { base: floorUs } = floorIsolateCpu(report, "floor-crypto");
  if (floorUs !== null) {
    p(
      `Floor (a) in the same run: ${fmt(floorUs, 0)} µs (the mean of its two measurements), for the same two signatures (RS256 verified, ES256 signed), its body`,
    );
    p("read and its answer, and nothing else. Its parts cannot be told apart the same way: V8 charges its WebCrypto");
    p("calls to its one handler function in some runs and to themselves in others.");
    p();
  }
}

/**
 * The client limiter's two orders (LOGIN_LIMITER_ORDER, docs/security.md): the many-clients login, whose
 * every login calls the limiter, with the limiter answering while the body is read and the ID token
 * verified (the default), and with its answer awaited first. The default order is measured before and
 * after the other, and the other compared with their mean, so that drift does not pick the winner.
 */
function limiterOrderSection(report, p) {
  const concurrent = [byKey(report, "login-many"), byKey(report, "login-many-again")].filter(Boolean);
  const sequential = byKey(report, "login-many-limiter-first");
  if (concurrent.length === 0 || !sequential) return;
  const limiterSim = (r) => r.isolateCpu?.simulators["rate limiter (Miniflare simulator)"];
  const row = (order, r) =>
    `| ${order} | ${int(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${int(isolateCpuOf(r))} | ${int(limiterSim(r))} |`;
  const mean = (f) => concurrent.reduce((n, r) => n + f(r), 0) / concurrent.length;
  const pct = (x) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(0)}%`;
  p("### The client limiter's order");
  p();
  p("The login from a fresh client address each time (limits as deployed, so every login calls");
  p("`LOGIN_CLIENT_LIMITER`) in the two orders `LOGIN_LIMITER_ORDER` offers, in this order in the run:");
  p();
  p("| order | req/s | p50 ms | p90 ms | p99 ms | isolate CPU µs/login | limiter sim µs/login |");
  p("|---|---|---|---|---|---|---|");
  p(row("concurrent (default): body read and ID token verified while the limiter answers", concurrent[0]));
  p(row("sequential: the limiter's answer awaited first", sequential));
  if (concurrent[1]) p(row("concurrent again", concurrent[1]));
  p();
  const cpu = isolateCpuOf(sequential) / mean(isolateCpuOf) - 1;
  p(
    `Sequential against the mean of the concurrent runs: median latency ${pct(sequential.p50 / mean((r) => r.p50) - 1)}, ` +
      `throughput ${pct(sequential.rps / mean((r) => r.rps) - 1)}, isolate CPU per login ${pct(cpu)}.`,
  );
  p("Under Miniflare the login, the limiter's simulator (a Durable Object behind two Worker hops) and everything");
  p("else share one workerd thread, which this load keeps busy: these rows compare the two orders on that thread,");
  p("not the round trip a deployment's limiter adds, which this machine cannot measure and which the concurrent");
  p("order takes off the critical path of every login that calls the limiter. An admitted login runs the same");
  p("code in both orders, only the await moves; a refused one costs less in the sequential order (nothing of");
  p('it is read; docs/security.md, "Hostile callers").');
  p();
}
