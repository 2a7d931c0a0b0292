// Runs inside workerd, bundled into the bench build of `npm run bench:global` only (the production bundle
// is unchanged): wraps the Worker's bindings so that each call waits the round trip its placement implies
// (bench/lib/global-model.mjs) from the region the request names in `x-bench-region`, and counts the remote
// round trips each request waited for before it answered.
import { AsyncLocalStorage } from "node:async_hooks";
import { cfRtt, D1_PRIMARY, KV_HOT_FOR_MS, placementRtts, RUNNER_REGIONS } from "./global-model.mjs";

const requests = new AsyncLocalStorage();
/** The region a request without `x-bench-region` comes from (the admin's setup calls). */
const ADMIN_REGION = "us-east";
/** Durable Object id -> the Cloudflare region it was created in (first `get()`: its hint, else the caller's). */
const homes = new Map();
/** `${region}|${key}` -> last KV read there: KV's colo cache keeps a key KV_HOT_FOR_MS after a read. */
const kvLastRead = new Map();
let rttTable;

/** Each delay is the RTT x (1 + e), e exponential with mean 5 %, capped at 100 % (modelled jitter). */
function jittered(ms) {
  if (ms <= 0) return 0;
  return ms * (1 + Math.min(-Math.log(1 - Math.random()) * 0.05, 1));
}

const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/**
 * One call to a binding: waits `ms` (jittered), then makes it. While the request has not answered, the call
 * is counted; a remote call started while no other remote call is in flight begins a new round trip, and the
 * longest delay in each round trip adds to the request's modelled remote wait.
 */
async function call(kind, ms, remote, make) {
  const req = requests.getStore();
  const counted = req && !req.answered;
  const delay = req?.region === "local" ? 0 : jittered(ms);
  if (counted) {
    req.trace.push(kind);
    if (remote) {
      if (req.inFlight === 0) {
        req.rounds++;
        req.roundWait = 0;
      }
      req.inFlight++;
      req.roundWait = Math.max(req.roundWait, delay);
    }
  }
  try {
    await sleep(delay);
    return await make();
  } finally {
    if (counted && remote) {
      req.inFlight--;
      // The modelled wait of a round: its longest delay (calls in parallel overlap), without the local
      // execution of the calls, which depends on this machine's load.
      if (req.inFlight === 0) req.remoteMs += req.roundWait;
    }
  }
}

const regionOf = () => requests.getStore()?.region ?? ADMIN_REGION;
const rtts = () => {
  const region = regionOf();
  return placementRtts(region === "local" ? ADMIN_REGION : region, rttTable);
};

// ---- D1 -------------------------------------------------------------------------------------------
const realStatement = new WeakMap();

function wrapStatement(statement, rttOf) {
  const kind = () => (rttOf === "replica" ? "d1-replica" : "d1-primary");
  const ms = () => (rttOf === "replica" ? rtts().d1Replica : rtts().d1Primary);
  const wrapped = {
    bind: (...values) => wrapStatement(statement.bind(...values), rttOf),
    first: (column) => call(kind(), ms(), true, () => (column === undefined ? statement.first() : statement.first(column))),
    run: () => call(kind(), ms(), true, () => statement.run()),
    all: () => call(kind(), ms(), true, () => statement.all()),
    raw: (options) => call(kind(), ms(), true, () => statement.raw(options)),
  };
  realStatement.set(wrapped, statement);
  return wrapped;
}

function wrapD1(db, rttOf = "primary") {
  const kind = rttOf === "replica" ? "d1-replica" : "d1-primary";
  const ms = () => (rttOf === "replica" ? rtts().d1Replica : rtts().d1Primary);
  return {
    prepare: (query) => wrapStatement(db.prepare(query), rttOf),
    batch: (statements) => call(kind, ms(), true, () => db.batch(statements.map((s) => realStatement.get(s) ?? s))),
    exec: (query) => call(kind, ms(), true, () => db.exec(query)),
    dump: () => call(kind, ms(), true, () => db.dump()),
    withSession: (constraint) => {
      const session = db.withSession(constraint);
      const wrapped = wrapD1(session, constraint === "first-primary" ? "primary" : "replica");
      wrapped.getBookmark = () => session.getBookmark();
      return wrapped;
    },
  };
}

/** D1 as a Durable Object sees it: from the object's home to the primary. */
function wrapD1FromHome(db, home) {
  const ms = cfRtt(home, D1_PRIMARY, rttTable);
  const wrapStmt = (statement) => {
    const wrapped = {
      bind: (...values) => wrapStmt(statement.bind(...values)),
      first: (column) => sleep(jittered(ms)).then(() => (column === undefined ? statement.first() : statement.first(column))),
      run: () => sleep(jittered(ms)).then(() => statement.run()),
      all: () => sleep(jittered(ms)).then(() => statement.all()),
      raw: (options) => sleep(jittered(ms)).then(() => statement.raw(options)),
    };
    realStatement.set(wrapped, statement);
    return wrapped;
  };
  return {
    prepare: (query) => wrapStmt(db.prepare(query)),
    batch: (statements) => sleep(jittered(ms)).then(() => db.batch(statements.map((s) => realStatement.get(s) ?? s))),
    exec: (query) => sleep(jittered(ms)).then(() => db.exec(query)),
  };
}

// ---- KV -------------------------------------------------------------------------------------------
function wrapKv(kv) {
  const read = (key, make) => {
    const region = regionOf();
    const now = Date.now();
    const names = Array.isArray(key) ? key : [key];
    const hot = names.every((k) => now - (kvLastRead.get(`${region}|${k}`) ?? Number.NEGATIVE_INFINITY) < KV_HOT_FOR_MS);
    for (const k of names) kvLastRead.set(`${region}|${k}`, now);
    return hot ? call("kv-hot", rtts().kvHot, false, make) : call("kv-cold", rtts().kvCold, true, make);
  };
  const write = (make) => call("kv-write", rtts().kvCold, true, make);
  return {
    get: (key, options) => read(key, () => kv.get(key, options)),
    getWithMetadata: (key, options) => read(key, () => kv.getWithMetadata(key, options)),
    put: (key, value, options) => write(() => kv.put(key, value, options)),
    delete: (key) => write(() => kv.delete(key)),
    list: (options) => write(() => kv.list(options)),
  };
}

// ---- Durable Objects ------------------------------------------------------------------------------
function wrapNamespace(ns) {
  const wrapped = Object.create(ns);
  for (const name of ["idFromName", "idFromString", "newUniqueId"]) wrapped[name] = (...args) => ns[name](...args);
  wrapped.jurisdiction = (j) => wrapNamespace(ns.jurisdiction(j));
  wrapped.get = (id, options) => {
    const key = id.toString();
    if (!homes.has(key)) homes.set(key, options?.locationHint ?? RUNNER_REGIONS[regionOf()]?.hint ?? "enam");
    const stub = ns.get(id, options);
    return new Proxy(stub, {
      get(target, prop) {
        const value = target[prop];
        if (typeof prop !== "string" || typeof value !== "function" || prop === "then") return value;
        return (...args) => call("do", rtts().doTo(homes.get(key)), true, () => target[prop](...args));
      },
    });
  };
  wrapped.getByName = (name, options) => wrapped.get(ns.idFromName(name), options);
  return wrapped;
}

/** The env a Worker request sees in the bench build (one per binding set: caches keyed by binding keep working). */
const wrappedEnvs = new WeakMap();
function wrapEnv(env) {
  let wrapped = wrappedEnvs.get(env);
  if (!wrapped) {
    wrapped = { ...env, DB: wrapD1(env.DB), CACHE: wrapKv(env.CACHE), TOKEN_STATE: wrapNamespace(env.TOKEN_STATE) };
    wrappedEnvs.set(env, wrapped);
  }
  return wrapped;
}

/** The env a token-state object sees: D1 from its home. */
export function wrapObjectEnv(ctx, env) {
  const home = homes.get(ctx.id.toString()) ?? D1_PRIMARY;
  return { ...env, DB: wrapD1FromHome(env.DB, home) };
}

/**
 * The bench build's fetch handler. `/__bench/cold` empties this isolate's caches as a fresh isolate has
 * them (`scope=context`: only the login contexts of `ids`, as after 10 s without a login).
 */
export function benchFetch(worker, forget) {
  return async (request, env, ctx) => {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/cold") {
      forget(url.searchParams.get("scope") ?? "isolate", (url.searchParams.get("ids") ?? "").split(",").filter(Boolean));
      return new Response("ok");
    }
    if (url.pathname === "/__bench/rtt" && request.method === "PUT") {
      rttTable = await request.json();
      return new Response("ok");
    }
    const region = request.headers.get("x-bench-region") ?? ADMIN_REGION;
    const req = { region, rounds: 0, inFlight: 0, roundWait: 0, remoteMs: 0, trace: [], answered: false };
    const response = await requests.run(req, () => worker.fetch(request, wrapEnv(env), ctx));
    req.answered = true;
    const out = new Response(response.body, response);
    out.headers.set("x-bench-rounds", String(req.rounds));
    out.headers.set("x-bench-remote-ms", String(req.remoteMs));
    out.headers.set("x-bench-trace", req.trace.join(","));
    return out;
  };
}
