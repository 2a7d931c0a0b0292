// A minimal Chrome DevTools Protocol client for workerd's inspector (one WebSocket per isolate):
// heap usage of an isolate, and CPU profiles while a workload runs.

export async function connectInspector(inspectorUrl, worker) {
  const ws = new WebSocket(`${String(inspectorUrl).replace(/\/$/, "")}/${worker}`);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector: cannot connect to ${worker}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  const listeners = new Map();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(event.data);
    if (msg.method) listeners.get(msg.method)?.(msg.params);
    const waiter = msg.id !== undefined && pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id);
    if (msg.error) waiter.reject(new Error(`${waiter.method}: ${msg.error.message}`));
    else waiter.resolve(msg.result);
  });
  const send = (method, params = {}, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        method,
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    /** One listener per CDP event name. */
    on: (method, fn) => listeners.set(method, fn),
    /** Resolves once the socket is closed: workerd serves one inspector session per isolate at a time. */
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.addEventListener("close", () => resolve(), { once: true });
        ws.close();
        setTimeout(resolve, 2000); // never hang on a socket that does not say goodbye
      }),
  };
}

/**
 * Memory of one isolate: V8's heap counters, and the live heap, i.e. the sum of the
 * sizes of every object reachable in a heap snapshot (the snapshot does a full, compacting GC; this is
 * what the isolate really keeps, independent of when V8 last collected).
 */
export async function isolateHeap(inspectorUrl, worker) {
  const cdp = await connectInspector(inspectorUrl, worker);
  try {
    // (workerd's inspector does not answer HeapProfiler.collectGarbage; the snapshot collects anyway)
    const { usedSize, totalSize } = await cdp.send("Runtime.getHeapUsage");
    await cdp.send("HeapProfiler.enable");
    const chunks = [];
    cdp.on("HeapProfiler.addHeapSnapshotChunk", (p) => chunks.push(p.chunk));
    await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 120_000);
    const snapshot = JSON.parse(chunks.join(""));
    const fields = snapshot.snapshot.meta.node_fields;
    const stride = fields.length;
    const sizeAt = fields.indexOf("self_size");
    let liveBytes = 0;
    for (let i = sizeAt; i < snapshot.nodes.length; i += stride) liveBytes += snapshot.nodes[i];
    return { usedBytes: usedSize, totalBytes: totalSize, liveBytes };
  } finally {
    await cdp.close();
  }
}

/** Samples the isolate's JS stacks while `during()` runs; returns the V8 CPU profile. */
export async function cpuProfile(inspectorUrl, worker, during, { intervalUs = 200 } = {}) {
  const cdp = await connectInspector(inspectorUrl, worker);
  try {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await cdp.send("Profiler.start");
    const result = await during();
    const { profile } = await cdp.send("Profiler.stop");
    return { profile, result };
  } finally {
    await cdp.close();
  }
}
