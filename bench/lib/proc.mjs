// What the workerd process costs, read from /proc (Linux): CPU time and resident memory.
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** The workerd processes this Node process started (Miniflare spawns workerd as a direct child). */
export function childWorkerdPids() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const afterComm = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(afterComm[1]);
      if (ppid === process.pid && stat.includes("(workerd)")) pids.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

/** User + system CPU milliseconds consumed so far by the process (all its threads). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the comm field
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND;
}

/** VmRSS and VmHWM (peak) in KiB. */
export function memoryKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: field("VmRSS"), peak: field("VmHWM"), threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN) };
}

/** Load of the machine (other work on it skews every number); 1-minute average over core count. */
export const machineLoad = () => loadavg()[0];

/** Busy CPU time of the whole machine so far, in ms (all cores; idle and iowait excluded). */
function machineBusyMs() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields; // the two skipped, idle and iowait, are not busy
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_SECOND;
}

/**
 * Starts counting CPU time; stop() splits what was used since into workerd's, this Node process's (the
 * load generator and the IdP) and everything else's (other people's work on a shared machine).
 */
export function otherCpuSampler(workerdPid) {
  const busy0 = machineBusyMs();
  const workerd0 = workerdPid ? cpuMs(workerdPid) : 0;
  const self0 = process.cpuUsage();
  return {
    stop() {
      const busy = machineBusyMs() - busy0;
      const workerdMs = workerdPid ? cpuMs(workerdPid) - workerd0 : 0;
      const self = process.cpuUsage(self0);
      const selfMs = (self.user + self.system) / 1000;
      return { workerdMs, selfMs, otherMs: Math.max(0, busy - workerdMs - selfMs) };
    },
  };
}

/**
 * Waits (bounded) until other processes leave the machine nearly idle: samples their CPU use over
 * `windowMs` windows, returns as soon as one is under `maxOtherCores` or when `maxWaitMs` ran out.
 * Call it while the bench itself is idle (between workloads).
 */
export async function waitForQuiet({ workerdPid, maxOtherCores = 0.25, windowMs = 500, maxWaitMs = 10_000 }) {
  const started = Date.now();
  let other = Infinity;
  while (Date.now() - started < maxWaitMs) {
    const sampler = otherCpuSampler(workerdPid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const { otherMs, workerdMs } = sampler.stop();
    // workerd may still be finishing write-behind flushes of the previous workload: count it as busy too
    other = (otherMs + workerdMs) / windowMs;
    if (other <= maxOtherCores) break;
  }
  return { waitedMs: Date.now() - started, otherCores: other };
}

/**
 * Per thread of `pid`: nanoseconds run on a CPU and nanoseconds spent runnable but waiting for one
 * (/proc/<pid>/task/<tid>/schedstat).
 */
export function threadSchedStats(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
      out.set(tid, { runNs: run, waitNs: wait });
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * Of the time workerd's busiest thread wanted a CPU between two threadSchedStats snapshots, the share it
 * got one: 1 on a quiet machine, less when other processes kept it waiting. A preempted thread takes no
 * profiler samples (SIGPROF stays pending, one at most, until it runs again), so isolate CPU is not
 * inflated by waiting; but V8's sampler thread is kept waiting too and misses ticks, so figures measured
 * with a low share are less reliable. The report shows it beside them.
 */
export function runShare(before, after) {
  let best = null;
  for (const [tid, a] of after) {
    const b = before.get(tid);
    if (!b) continue;
    const run = a.runNs - b.runNs;
    if (!best || run > best.run) best = { run, wait: a.waitNs - b.waitNs };
  }
  return best && best.run > 0 ? best.run / (best.run + best.wait) : 1;
}
