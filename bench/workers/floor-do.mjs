// Floor (b): a bare Durable Object round trip. Every request makes one RPC call to one Durable Object,
// which increments a counter in its SQLite storage and returns it. The token-use workloads (RPC
// validation, renew, identity details) are reported as a ratio to this.
// CounterService is the same through one more Worker hop: the consumer Worker calls it over a service
// binding, as it calls AuthService (an informational row: the like-for-like floor of RPC validation).
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    ctx.storage.sql.exec("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)");
  }

  increment() {
    return this.ctx.storage.sql.exec("UPDATE counter SET n = n + 1 WHERE id = 1 RETURNING n").one().n;
  }
}

const counter = (env) => env.COUNTER.get(env.COUNTER.idFromName("floor"));

export class CounterService extends WorkerEntrypoint {
  increment() {
    return counter(this.env).increment();
  }
}

export default {
  async fetch(_request, env) {
    const n = await counter(env).increment();
    return Response.json({ n });
  },
};
