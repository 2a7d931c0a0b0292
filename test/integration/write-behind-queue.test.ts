import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { markTokenRevoked } from "../../src/storage/access-tokens";
import { flushAudit, recordAudit, recordCountedAudit, recordLogin } from "../../src/storage/audit-log";
import { writeBehind, type ParcelQueue } from "../../src/storage/write-behind";
import { consumeWriteBehind } from "../../src/storage/write-behind-queue";
import { MAX_PARCEL_BYTES } from "../../src/storage/write-behind-parcels";
import { scenario } from "../support/scenario";

const QUEUE = "edge-oidc-auth-write-behind";
const noWait = () => {};

/** A queue that keeps what is sent, for the test to deliver (or not) as a consumer batch. */
function capturingQueue(): ParcelQueue & { bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    async sendBatch(messages) {
      for (const m of messages) bodies.push(m.body);
    },
  };
}

const asBatch = (bodies: string[]) =>
  createMessageBatch(
    QUEUE,
    bodies.map((body, i) => ({ id: `m${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );

/** env.DB counting its calls (prepare is free: a call is a batch, run, first, all or raw). */
function countingD1(db: D1Database = env.DB): D1Database & { calls: number } {
  const counter = { calls: 0 };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "calls") return counter.calls;
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counter.calls++;
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as D1Database & { calls: number };
}

function failingD1(): D1Database {
  const fault = () => Promise.reject(new Error("D1_ERROR: injected storage fault"));
  return { prepare: () => ({ bind: () => ({}) }), batch: fault } as never;
}

const countOf = async (event: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(count), 0) AS total FROM audit_logs WHERE event = ?")
    .bind(event)
    .first<{ n: number; total: number }>())!;

describe("write-behind through the queue", () => {
  it("wrangler.toml binds the queue, as the tests run it", () => {
    expect(env.WRITE_BEHIND_QUEUE).toBeDefined();
  });

  it("rows of many isolates' parcels land in D1 exactly once, a consumer batch in one D1 call", async () => {
    const event = `test.queue.${crypto.randomUUID()}`;
    const counted = `test.queue.counted.${crypto.randomUUID()}`;
    const queue = capturingQueue();
    // Ten isolates' flushes: each sends its parcels (here, the one isolate of the test, ten times).
    for (let isolate = 0; isolate < 10; isolate++) {
      for (let i = 0; i < 30; i++) recordAudit(env.DB, { event, outcome: "success", details: { isolate, i } }, noWait);
      for (let i = 0; i < 3; i++) recordCountedAudit(env.DB, { event: counted, outcome: "failure", clientIp: "192.0.2.9" }, noWait);
      await writeBehind.send(queue, env.DB, false);
    }
    expect(queue.bodies.length).toBe(10);
    expect(await countOf(event)).toMatchObject({ n: 0 }); // nothing written by the isolates

    const db = countingD1();
    const batch = asBatch(queue.bodies);
    const result = await consumeWriteBehind(batch, db);
    expect(result).toEqual({ written: 10, retried: 0, dropped: 0 });
    expect(db.calls).toBe(1);
    expect(await countOf(event)).toMatchObject({ n: 300 });
    expect((await countOf(counted)).total).toBe(30);

    // Delivered again (at-least-once: the ack was lost), and a batch holding one parcel twice: no change.
    await consumeWriteBehind(asBatch(queue.bodies), env.DB);
    await consumeWriteBehind(asBatch([queue.bodies[0]!, queue.bodies[0]!]), env.DB);
    expect(await countOf(event)).toMatchObject({ n: 300 });
    expect((await countOf(counted)).total).toBe(30);
  });

  it("the Worker's queue() handler acks a batch it wrote; on a D1 failure it retries every message, and the retry loses nothing and counts once", async () => {
    const event = `test.queue.retry.${crypto.randomUUID()}`;
    const queue = capturingQueue();
    for (let i = 0; i < 4; i++) recordCountedAudit(env.DB, { event, outcome: "failure", clientIp: "192.0.2.10" }, noWait);
    recordAudit(env.DB, { event, outcome: "success" }, noWait);
    await writeBehind.send(queue, env.DB, false);

    // D1 refuses: every message is retried with a delay, none acked, nothing written.
    const failing = createMessageBatch(QUEUE, [{ id: "a", timestamp: new Date(), attempts: 1, body: queue.bodies[0]! }]);
    const failingCtx = createExecutionContext();
    await worker.queue(failing, { ...env, DB: failingD1() }, failingCtx);
    const refused = await getQueueResult(failing, failingCtx);
    expect(refused.explicitAcks).toEqual([]);
    expect(refused.retryMessages.map((m) => m.msgId)).toEqual(["a"]);
    expect(await countOf(event)).toEqual({ n: 0, total: 0 });

    // The redelivery is written and acked.
    const again = createMessageBatch(QUEUE, [{ id: "a", timestamp: new Date(), attempts: 2, body: queue.bodies[0]! }]);
    const ctx = createExecutionContext();
    await worker.queue(again, env, ctx);
    const done = await getQueueResult(again, ctx);
    expect(done.explicitAcks).toEqual(["a"]);
    expect(done.retryMessages).toEqual([]);
    expect(await countOf(event)).toEqual({ n: 2, total: 5 }); // the counted row (4) and the plain one (1)

    // Delivered once more after that commit: counts stay exact.
    const third = createMessageBatch(QUEUE, [{ id: "a", timestamp: new Date(), attempts: 3, body: queue.bodies[0]! }]);
    await worker.queue(third, env, createExecutionContext());
    expect(await countOf(event)).toEqual({ n: 2, total: 5 });
  });

  it("a message that is not a parcel is acked and dropped; a row kind this Worker does not know is retried", async () => {
    const batch = asBatch(["not json", JSON.stringify({ k: "x", t: Date.now(), r: { "kind-of-a-newer-worker": [[1]] } })]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([batch.messages[0]!.id]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([batch.messages[1]!.id]);
  });

  it("a parcel whose rows are not JSON is dropped when its batch's write fails, and the rest of the batch is written then", async () => {
    const event = `test.queue.damaged.${crypto.randomUUID()}`;
    const queue = capturingQueue();
    recordAudit(env.DB, { event, outcome: "success" }, noWait);
    await writeBehind.send(queue, env.DB, false);
    recordAudit(env.DB, { event, outcome: "success" }, noWait);
    await writeBehind.send(queue, env.DB, false);
    const [good, other] = queue.bodies as [string, string];
    // The second parcel damaged in transit: its row still looks like an array, but is not JSON.
    const damaged = `${other.slice(0, other.indexOf("\n"))}\n[not json]`;
    const batch = asBatch([good, damaged]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect([...result.explicitAcks].sort()).toEqual(batch.messages.map((m) => m.id).sort());
    expect(result.retryMessages).toEqual([]);
    expect(await countOf(event)).toMatchObject({ n: 1 });
  });

  it("a parcel sent by the Worker before the line format (one JSON object) is still written", async () => {
    const event = `test.queue.v1.${crypto.randomUUID()}`;
    const id = crypto.randomUUID();
    const row = [id, Date.now(), event, "success", null, null, null, null, null, null, null, null, null];
    const body = JSON.stringify({ k: crypto.randomUUID(), t: Date.now(), r: { audit: [row] } });
    expect(await consumeWriteBehind(asBatch([body]), env.DB)).toEqual({ written: 1, retried: 0, dropped: 0 });
    expect(await countOf(event)).toMatchObject({ n: 1 });
  });

  it("a login's row takes about 1.3 kB of a parcel (1,340 bytes measured): some 44 logins a message (docs/capacity.md)", async () => {
    const s = await scenario();
    await flushAudit(env.DB); // the scenario's own rows
    const queue = capturingQueue();
    for (let i = 0; i < 20; i++) await s.login();
    await writeBehind.send(queue, env.DB, false);
    const body = queue.bodies.join("");
    // Each body's first line counts its rows by kind (src/storage/write-behind-parcels.ts).
    const headers = queue.bodies.map((b) => JSON.parse(b.slice(0, b.indexOf("\n"))) as { n: Record<string, number> });
    const logins = headers.reduce((n, h) => n + (h.n["audit-login"] ?? 0), 0);
    expect(logins).toBe(20);
    const perLogin = new TextEncoder().encode(body).length / logins;
    expect(perLogin).toBeGreaterThan(1_250);
    expect(perLogin).toBeLessThan(1_450);
  });

  it("a full consumer batch, 100 messages of about 60 kB (3,900 login-sized rows, 6 MB), is one D1 call", async () => {
    const event = `test.queue.large.${crypto.randomUUID()}`;
    const queue = capturingQueue();
    const pad = "x".repeat(1_300); // rows of about 1.45 kB in a parcel, a little more than a login's (1.34 kB)
    for (let i = 0; i < 3_900; i++) recordAudit(env.DB, { event, outcome: "success", details: { pad, i } }, noWait);
    await writeBehind.send(queue, env.DB, false);
    expect(queue.bodies.length).toBeGreaterThanOrEqual(90);
    expect(queue.bodies.length).toBeLessThanOrEqual(100);
    for (const body of queue.bodies) expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(MAX_PARCEL_BYTES);
    const db = countingD1();
    expect(await consumeWriteBehind(asBatch(queue.bodies), db)).toMatchObject({ written: queue.bodies.length });
    expect(db.calls).toBe(1);
    expect(await countOf(event)).toMatchObject({ n: 3_900 });
  });

  it("a refused send keeps its parcels, with the same keys, for the next send: a resend counts once", async () => {
    const event = `test.queue.unsent.${crypto.randomUUID()}`;
    let fail = true;
    const delivered = capturingQueue();
    const flaky: ParcelQueue = {
      async sendBatch(messages) {
        await delivered.sendBatch(messages); // the queue took it, but the answer is lost
        if (fail) throw new Error("queue send failed");
      },
    };
    for (let i = 0; i < 2; i++) recordCountedAudit(env.DB, { event, outcome: "failure", clientIp: "192.0.2.11" }, noWait);
    await writeBehind.send(flaky, env.DB, false);
    fail = false;
    await writeBehind.send(flaky, env.DB, false);
    expect(delivered.bodies.length).toBe(2);
    expect(delivered.bodies[1]).toBe(delivered.bodies[0]);
    await consumeWriteBehind(asBatch(delivered.bodies), env.DB);
    expect(await countOf(event)).toEqual({ n: 1, total: 2 });
  });

  it("a reader sees its own isolate's rows still in the queue: it writes them itself, and the consumer's later write changes nothing", async () => {
    const event = `test.queue.read.${crypto.randomUUID()}`;
    const queue = capturingQueue();
    recordAudit(env.DB, { event, outcome: "success" }, noWait);
    for (let i = 0; i < 3; i++) recordCountedAudit(env.DB, { event, outcome: "failure", clientIp: "192.0.2.12" }, noWait);
    await writeBehind.send(queue, env.DB, false); // in the queue, not delivered yet
    await flushAudit(env.DB); // a reader of this isolate
    expect(await countOf(event)).toEqual({ n: 2, total: 4 });
    await consumeWriteBehind(asBatch(queue.bodies), env.DB); // the consumer, later
    expect(await countOf(event)).toEqual({ n: 2, total: 4 });
  });

  it("a revoke right after its login, whose row is still in the queue, marks it (writing that row only)", async () => {
    const queue = capturingQueue();
    const jti = crypto.randomUUID();
    const other = `test.queue.other.${crypto.randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const token = {
      jti,
      firstIssuedAt: now,
      expiresAt: now + 600,
      maxExpiresAt: now + 3600,
      numUsesLimit: 0,
      authMethod: "oidc-auth",
    };
    recordLogin(env.DB, { event: "auth.login", outcome: "success", identityId: "queue-identity" }, token, noWait);
    recordAudit(env.DB, { event: other, outcome: "success" }, noWait);
    await writeBehind.send(queue, env.DB, false);
    await markTokenRevoked(env.DB, jti);
    const row = await env.DB.prepare("SELECT revoked_at FROM audit_logs WHERE id = ?").bind(jti).first<{ revoked_at: number }>();
    expect(row?.revoked_at).toBeGreaterThan(0);
    expect((await countOf(other)).n).toBe(0); // the isolate's other sent rows are left to the consumer
    await consumeWriteBehind(asBatch(queue.bodies), env.DB);
    const after = await env.DB.prepare("SELECT revoked_at FROM audit_logs WHERE id = ?").bind(jti).first<{ revoked_at: number }>();
    expect(after?.revoked_at).toBe(row?.revoked_at); // the login row's later write keeps the mark
    expect((await countOf(other)).n).toBe(1);
  });

  it("end to end through the simulated queue: the timer-driven flush sends, the consumer writes", async () => {
    const event = `test.queue.e2e.${crypto.randomUUID()}`;
    const pending: Promise<unknown>[] = [];
    writeBehind.routeThrough(env.WRITE_BEHIND_QUEUE);
    try {
      for (let i = 0; i < 5; i++) recordAudit(env.DB, { event, outcome: "success" }, (p) => pending.push(p));
      recordCountedAudit(env.DB, { event, outcome: "failure", clientIp: "192.0.2.13" }, (p) => pending.push(p));
      await Promise.all(pending); // the flush after FLUSH_DELAY_MS: sent to the queue
    } finally {
      writeBehind.routeThrough(undefined);
    }
    await vi.waitFor(async () => expect(await countOf(event)).toEqual({ n: 6, total: 6 }), { timeout: 15_000, interval: 250 });
  });
});
