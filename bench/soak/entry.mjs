// Soak-only entry point (bench/soak.mjs builds the Worker from this file instead of src/index.ts): the
// real Worker, with its D1, KV and Durable Object bindings wrapped so that they fail on request. It is
// never part of a deployment: wrangler.toml points at src/index.ts, and this file is only bundled by the
// soak's own generated config (bench/.out/soak/wrangler.toml).
//
// A request carrying `x-soak-fault: <d1|kv|do>:<probability>` has each call it makes on that binding
// fail with that probability (an Error like the runtime's: "D1_ERROR: ...", a KV error, a Durable Object
// error with `retryable`). The header is removed before the service sees the request. The fault follows
// the request through AsyncLocalStorage, `waitUntil` work included, except the write-behind flushes
// (INSERT ... FROM json_each(?)): a failed flush drops its rows (src/storage/write-behind.ts), which the
// soak reports as a known gap instead of counting those rows as lost tokens.
import { AsyncLocalStorage } from "node:async_hooks";
import worker, { AuthService, TokenStateObject } from "../../src/index.ts";

const faults = new AsyncLocalStorage();
const FAULT_HEADER = "x-soak-fault";

function fails(kind) {
  const f = faults.getStore();
  return f !== undefined && f.kind === kind && Math.random() < f.probability;
}

function d1Error() {
  return new Error("D1_ERROR: soak: injected storage fault");
}

const realStatement = new WeakMap();
function wrapStatement(stmt, sql) {
  const exempt = sql.includes("json_each(?)");
  const wrapped = {
    bind: (...args) => wrapStatement(stmt.bind(...args), sql),
    first: (...a) => (!exempt && fails("d1") ? Promise.reject(d1Error()) : stmt.first(...a)),
    all: (...a) => (!exempt && fails("d1") ? Promise.reject(d1Error()) : stmt.all(...a)),
    run: (...a) => (!exempt && fails("d1") ? Promise.reject(d1Error()) : stmt.run(...a)),
    raw: (...a) => (!exempt && fails("d1") ? Promise.reject(d1Error()) : stmt.raw(...a)),
  };
  realStatement.set(wrapped, { stmt, exempt });
  return wrapped;
}

function wrapD1(db) {
  return {
    prepare: (sql) => wrapStatement(db.prepare(sql), sql),
    batch: (stmts) => {
      const real = stmts.map((s) => realStatement.get(s) ?? { stmt: s, exempt: false });
      if (!real.every((r) => r.exempt) && fails("d1")) return Promise.reject(d1Error());
      return db.batch(real.map((r) => r.stmt));
    },
    exec: (sql) => (fails("d1") ? Promise.reject(d1Error()) : db.exec(sql)),
    withSession: (...a) => wrapD1(db.withSession(...a)),
    dump: () => db.dump(),
  };
}

function wrapKv(kv) {
  const guard =
    (name) =>
    (...args) =>
      fails("kv") ? Promise.reject(new Error(`KV ${name} failed: soak: injected storage fault`)) : kv[name](...args);
  return {
    get: guard("get"),
    getWithMetadata: guard("getWithMetadata"),
    put: guard("put"),
    delete: guard("delete"),
    list: guard("list"),
  };
}

function doError() {
  const err = new Error("soak: injected Durable Object fault");
  err.retryable = true;
  return err;
}

function wrapNamespace(ns) {
  return {
    idFromName: (n) => ns.idFromName(n),
    idFromString: (s) => ns.idFromString(s),
    newUniqueId: (o) => ns.newUniqueId(o),
    jurisdiction: (j) => wrapNamespace(ns.jurisdiction(j)),
    get: (id, o) => {
      const stub = ns.get(id, o);
      return new Proxy(stub, {
        get(target, prop) {
          const value = target[prop];
          if (prop === "then" || typeof prop === "symbol" || prop === "id" || prop === "name") return value;
          return (...args) => (fails("do") ? Promise.reject(doError()) : target[prop](...args));
        },
      });
    },
  };
}

const wrappedEnvs = new WeakMap();
function wrapEnv(env) {
  let w = wrappedEnvs.get(env);
  if (!w) {
    w = { ...env, DB: wrapD1(env.DB), CACHE: wrapKv(env.CACHE), TOKEN_STATE: wrapNamespace(env.TOKEN_STATE) };
    wrappedEnvs.set(env, w);
  }
  return w;
}

function faultOf(request) {
  const spec = request.headers.get(FAULT_HEADER);
  if (!spec) return undefined;
  const [kind, p] = spec.split(":");
  return { kind, probability: Number(p ?? 1) };
}

export { TokenStateObject };
class SoakAuthService extends AuthService {
  constructor(ctx, env) {
    super(ctx, wrapEnv(env));
  }
}
export { SoakAuthService as AuthService };

export default {
  fetch(request, env, ctx) {
    const fault = faultOf(request);
    if (!fault) return worker.fetch(request, wrapEnv(env), ctx);
    const headers = new Headers(request.headers);
    headers.delete(FAULT_HEADER);
    return faults.run(fault, () => worker.fetch(new Request(request, { headers }), wrapEnv(env), ctx));
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, wrapEnv(env), ctx);
  },
  // The write-behind queue's consumer, as deployed: without it, login rows reached D1 only when a reader
  // flushed its own isolate's recently sent parcels.
  queue(batch, env, ctx) {
    return worker.queue(batch, wrapEnv(env), ctx);
  },
};
