// Load generation with autocannon, closed loop: `connections` clients, each sending its next request as
// soon as the previous answer arrived. Latencies are recorded here per response with sub-millisecond
// precision (autocannon's own histogram has 1 ms buckets, too coarse for sub-millisecond paths).
//
// The machine may be shared (other people's test runs), so a measured run is split into slices, and
// the slice during which other processes used the least CPU is the one reported. The choice depends
// only on the other processes' load, never on the result. Every slice is kept in the raw results.
import autocannon from "autocannon";
import { otherCpuSampler } from "./proc.mjs";

/**
 * @param {object} w
 * @param {string} w.url           base URL of the Worker's direct socket
 * @param {string} [w.method]      default GET
 * @param {string} [w.path]
 * @param {Record<string,string>} [w.headers]
 * @param {string} [w.body]
 * @param {(req: object) => object} [w.setupRequest]  per-request rewrite (e.g. a different identity each time)
 * @param {number} w.connections
 * @param {number} w.durationS     measured time, over all slices
 * @param {number} [w.slices]      default 1
 * @param {number} [w.amount]      one slice that stops after this many requests instead...
 * @param {number} [w.maxDurationS] ...or after this long, whichever comes first
 * @param {number} [w.warmupS]     an unmeasured run first, same shape
 * @param {(status: number) => boolean} [w.expect]  which answers count as served (default: 2xx)
 * @param {number} [w.workerdPid]  to split CPU use into workerd's, ours and everybody else's
 */
export async function measure(w) {
  const base = {
    url: `${w.url}${w.path ?? "/"}`,
    method: w.method ?? "GET",
    headers: w.headers ?? {},
    body: w.body,
    connections: w.connections,
    timeout: 20,
    ...(w.setupRequest ? { requests: [{ setupRequest: w.setupRequest }] } : {}),
  };
  const expected = w.expect ?? ((s) => s >= 200 && s < 300);
  const warmup = w.warmupS ? await autocannon({ ...base, duration: w.warmupS }) : null;
  const sliceCount = w.amount ? 1 : Math.max(1, w.slices ?? 1);
  const slices = [];
  for (let i = 0; i < sliceCount; i++) {
    const stop = w.amount ? { amount: w.amount } : { duration: w.durationS / sliceCount };
    slices.push(await oneSlice(base, stop, expected, w.workerdPid, w.maxDurationS));
  }
  const chosen = slices.reduce((best, s) => (s.otherCores < best.otherCores ? s : best), slices[0]);
  const { latencies: _l, ...reported } = chosen;
  return {
    ...reported,
    slice: `${slices.indexOf(chosen) + 1}/${slices.length}`,
    slices: slices.map(({ latencies: _x, ...s }) => s),
    servedAll: slices.reduce((n, s) => n + s.ok + s.unexpected, 0),
    warmupRequests: warmup ? warmup["2xx"] + warmup.non2xx : 0,
  };
}

async function oneSlice(base, stop, expected, workerdPid, maxDurationS) {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const statusCounts = {};
  const cpu = otherCpuSampler(workerdPid);
  const started = process.hrtime.bigint();
  const tracker = autocannon({ ...base, ...stop });
  tracker.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    if (!expected(statusCode)) return;
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = responseTimeMs;
  });
  const deadline = maxDurationS ? setTimeout(() => tracker.stop(), maxDurationS * 1000) : null;
  const result = await tracker;
  clearTimeout(deadline);
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = cpu.stop();

  const sorted = latencies.slice(0, count).sort();
  const pct = (p) => (count ? sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)] : NaN);
  const unexpected = Object.entries(statusCounts).reduce((n, [s, c]) => (expected(Number(s)) ? n : n + c), 0);
  const durationS = result.duration || elapsedS;
  return {
    ok: count,
    unexpected,
    statusCounts,
    durationS,
    rps: count / durationS,
    p50: pct(50),
    p75: pct(75),
    p90: pct(90),
    p99: pct(99),
    p999: pct(99.9),
    max: count ? sorted[count - 1] : NaN,
    mean: count ? sorted.reduce((a, b) => a + b, 0) / count : NaN,
    workerdCpuMs: usage.workerdMs,
    cpuUsPerReq: (usage.workerdMs * 1000) / Math.max(1, count + unexpected),
    loadGenCores: usage.selfMs / (durationS * 1000),
    otherCores: usage.otherMs / (durationS * 1000),
    latencies: sorted,
  };
}
