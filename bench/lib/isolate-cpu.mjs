// CPU per isolate, read from V8's own sampling profiler over workerd's inspector.
//
// Miniflare runs everything in one workerd process: our Worker (and its Durable Object, same isolate), the
// other Workers of the bench, and its simulations of D1, KV and the rate limiter, each of them a Worker of
// its own (inspector targets `d1:db`, `kv:ns`, `ratelimit:ns`, their `:entry` routers). The process's CPU
// time mixes all of it with workerd's own HTTP and RPC plumbing. What Workers bills, and what bounds one
// isolate's throughput, is the isolate's own CPU.
//
// Tail events' cpuTime is not used (workerd is not documented to measure it outside Cloudflare, and it
// would not itemize the simulators). V8's sampling profiler runs per isolate: its sampler thread interrupts the thread every `intervalUs` and
// records a sample only when the profiled isolate is entered on it (an isolate that is not running takes
// no samples: profiling an idle isolate for 4 s while another one served 4,800 req/s gave 1 sample). So the samples
// of an isolate, times the sampling period, are the time the thread spent inside that isolate: its
// JavaScript, the runtime APIs it called (WebCrypto's C++ included), its garbage collection, and
// workerd's C++ while the isolate's lock was held (V8's `(program)`). `(idle)` samples are not counted.
//
// The sampling period is measured, not assumed: a loaded machine stretches the sampler's period. The gaps
// between consecutive samples are the period, or longer when the isolate was not running in between; the
// 10th percentile of the busiest isolate's gaps is taken as the period of every isolate profiled in the
// phase (never below the requested interval).
import { connectInspector } from "./inspector.mjs";

/** Inspector targets of the simulated bindings, by what they simulate. */
export const SIMULATOR_GROUPS = [
  [/^d1:/, "D1 (Miniflare simulator)"],
  [/^kv:/, "KV (Miniflare simulator)"],
  [/^ratelimit:/, "rate limiter (Miniflare simulator)"],
];

export async function inspectorTargets(inspectorUrl) {
  const base = String(inspectorUrl).replace(/^ws:/, "http:").replace(/\/$/, "");
  const list = await (await fetch(`${base}/json/list`)).json();
  return list.map((t) => t.id);
}

/** The simulator targets to profile next to the Workers of a workload. */
export function simulatorTargets(all) {
  return all.filter((id) => SIMULATOR_GROUPS.some(([re]) => re.test(id)));
}

/**
 * Profiles every target at once while `during()` runs. Returns per target the busy milliseconds and the
 * profile (for attribution by stack), plus `during()`'s result.
 */
export async function profileIsolates(inspectorUrl, targets, during, { intervalUs = 250, heap = false } = {}) {
  const sessions = [];
  try {
    for (const target of targets) {
      const cdp = await connectInspector(inspectorUrl, target);
      sessions.push({ target, cdp });
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: intervalUs });
    }
    // With `heap`, V8's sampling heap profiler too (allocation sites, a sample every 16 KiB allocated):
    // what the garbage collector's share is made of.
    if (heap)
      await Promise.all(
        sessions.map((s) =>
          s.cdp.send("HeapProfiler.startSampling", {
            samplingInterval: 16_384,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          }),
        ),
      );
    await Promise.all(sessions.map((s) => s.cdp.send("Profiler.start")));
    const result = await during();
    const profiles = await Promise.all(sessions.map((s) => s.cdp.send("Profiler.stop").then((r) => r.profile)));
    const heapProfiles = heap
      ? await Promise.all(sessions.map((s) => s.cdp.send("HeapProfiler.stopSampling").then((r) => r.profile)))
      : [];
    // One sampling period for the phase, read from the busiest isolate: a seldom busy one (a simulator
    // called now and then) has long gaps between its samples that say nothing about the period.
    const measured = profiles.map((p) => busyTime(p, intervalUs));
    const busiest = measured.reduce((best, m) => (m.samples > best.samples ? m : best), measured[0]);
    const periodUs = busiest?.periodUs ?? intervalUs;
    const isolates = {};
    sessions.forEach((s, i) => {
      const samples = measured[i].samples;
      isolates[s.target] = {
        samples,
        periodUs,
        busyMs: (samples * periodUs) / 1000,
        profile: profiles[i],
        heapProfile: heapProfiles[i],
      };
    });
    return { isolates, result };
  } finally {
    await Promise.all(sessions.map((s) => s.cdp.close()));
  }
}

const IDLE = new Set(["(idle)"]);

/** Busy milliseconds of one isolate's profile (samples x measured sampling period). */
export function busyTime(profile, intervalUs) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const gaps = [];
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const name = nodes.get(profile.samples[i])?.callFrame.functionName;
    if (IDLE.has(name)) continue;
    busy++;
    if (i > 0) gaps.push(profile.timeDeltas[i]);
  }
  gaps.sort((a, b) => a - b);
  const periodUs = Math.max(intervalUs, gaps.length >= 20 ? gaps[Math.floor(gaps.length / 10)] : intervalUs);
  return { samples: busy, periodUs, busyMs: (busy * periodUs) / 1000 };
}

/**
 * Splits one isolate's busy samples by a predicate on the stack: `(frames) => group` where frames are the
 * callFrames from the sample's leaf to its root. Returns milliseconds per group.
 */
export function splitByStack(profile, periodUs, classify) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const groupOf = new Map();
  const out = {};
  for (const id of profile.samples) {
    if (IDLE.has(nodes.get(id)?.callFrame.functionName)) continue;
    let group = groupOf.get(id);
    if (group === undefined) {
      const frames = [];
      for (let at = id; at !== undefined; at = parent.get(at)) frames.push(nodes.get(at).callFrame);
      group = classify(frames);
      groupOf.set(id, group);
    }
    out[group] = (out[group] ?? 0) + periodUs / 1000;
  }
  return out;
}
