// `npm run soak [-- --duration 120 --fault-rate 0.05 --no-docs]`: builds the Worker from the soak-only
// entry (bench/soak/entry.mjs: the real Worker with fault-injecting D1/KV/Durable Object wrappers), runs
// it under Miniflare next to the local IdP (bench/lib/idp.mjs), sends mixed traffic from many client
// addresses over loopback for --duration seconds (default 120, at most 600), then checks invariants and
// prints and writes docs/reliability.md. Exits 1 when an invariant fails. Stops by itself (watchdog).
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyMigrations, buildWorker, builtWorkerOptions, wranglerMiniflare } from "../scripts/built-worker.mjs";
import { generateSigningKeys } from "../scripts/signing-key.mjs";
import { benchScript } from "./lib/script.mjs";
import { startIdp } from "./lib/idp.mjs";
import { isolateHeap } from "./lib/inspector.mjs";
import { gitlabClaims, serviceClient } from "./lib/service.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const OUT = join(ROOT, "bench", ".out", "soak");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const cfg = {
  durationS: Math.min(600, Number(arg("duration", 120))),
  faultRate: Number(arg("fault-rate", 0.05)),
  concurrency: Number(arg("concurrency", 8)),
  writeDocs: !process.argv.includes("--no-docs"),
};
const NAME = "edge-oidc-auth";
const MAX_USES = 5;
const ADDRESSES = 200;
/** Newest tokens per identity checked through the API's listing (which holds the newest 200). */
const API_CHECKED = 150;
const { log, resources, run } = benchScript("soak", (cfg.durationS + 240) * 1000);
let idpTimer;
let idpTicks = 0;
/** Key rotations 40 s apart: longer than the service's JWKS refetch cooldown (30 s, src/constants.ts). */
const ROTATE_EVERY_TICKS = 4;
const serviceLogs = new Map(); // "level event" -> n, from the Worker's log lines

/** Config for the soak build: the project's wrangler.toml with the soak entry as `main`. */
function soakConfig() {
  mkdirSync(OUT, { recursive: true });
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8")
    .replace(/^main = .*$/m, 'main = "../../soak/entry.mjs"')
    .replace(/^migrations_dir = .*$/m, 'migrations_dir = "../../../migrations"');
  const path = join(OUT, "wrangler.toml");
  writeFileSync(path, toml);
  return path;
}

const pick = (a) => a[Math.floor(Math.random() * a.length)];
const ip = () => {
  const n = Math.floor(Math.random() * ADDRESSES);
  return `198.18.${n >> 8}.${(n & 255) + 1}`;
};
const b64url = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const jtiOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).jti;

async function main() {
  const startedAt = new Date();
  log("building the soak Worker (wrangler deploy --dry-run)");
  const scriptPath = buildWorker(soakConfig(), join(OUT, "worker"));
  const idp = await startIdp();
  resources.push(() => idp.close());
  const TENANTS = ["soak-a", "soak-b"]; // soak-b's discovery/JWKS fail at times (IdP faults)
  for (const t of TENANTS) await idp.tenantWithRsaKeys(t, 1);

  const adminKey = randomBytes(24).toString("hex");
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = wranglerMiniflare();
  const opts = builtWorkerOptions({
    configPath: join(OUT, "wrangler.toml"),
    scriptPath,
    name: NAME,
    bindings: { ALLOW_INSECURE_ISSUERS: "true", ADMIN_API_KEY: adminKey, SIGNING_KEYS: await generateSigningKeys() },
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.NONE),
      cf: false,
      inspectorPort: 0,
      // the service's log lines: counted by event (errors are reported), not printed
      handleStructuredLogs: ({ message }) => {
        for (const line of message.split("\n")) {
          const m = /"level":"(error|warn)","event":"([^"]+)"/.exec(line);
          if (m) serviceLogs.set(`${m[1]} ${m[2]}`, (serviceLogs.get(`${m[1]} ${m[2]}`) ?? 0) + 1);
        }
      },
      workers: [{ ...opts, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }],
    }),
  );
  await mf.ready;
  resources.push(() => mf.dispose());
  const url = (await mf.unsafeGetDirectURL(NAME)).toString().replace(/\/$/, "");
  const inspectorUrl = (await mf.getInspectorURL()).toString();
  const db = await mf.getD1Database("DB", NAME);
  await applyMigrations(db, join(ROOT, "migrations"));

  // ---- fixtures (no faults) ----
  const api = serviceClient(url, adminKey);
  const org = await api.createOrg("Soak");
  const identities = [];
  for (let i = 0; i < 24; i++) {
    const tenant = TENANTS[i % 2];
    const limit = i % 3 === 0 ? MAX_USES : 0;
    const identity = await api.createIdentity(org.id, `soak-${i}`);
    await api.attachOidc(identity.id, idp.issuer(tenant), limit ? { accessTokenNumUsesLimit: limit } : {});
    identities.push({ id: identity.id, tenant, limit });
  }
  const jwts = {};
  const remint = async (t) => {
    jwts[t] = await idp.mint(t, gitlabClaims());
  };
  for (const t of TENANTS) await remint(t);
  const heap = async () => isolateHeap(inspectorUrl, `core:user:${NAME}`).catch((err) => ({ error: err.message }));
  const heapStart = await heap();

  // ---- traffic ----
  const counts = new Map(); // kind -> status -> n
  const refusals = new Map(); // kind, status, reasonCode -> n
  const unexpected5xx = [];
  const tokens = []; // { token, jti, identityId, limit, uses, revoked }
  const adminChanges = []; // { event, id }
  let injected = 0;
  let revokedAdmissions = 0; // uses admitted although sent after the token's revoke had succeeded
  const count = (kind, status) => {
    const m = counts.get(kind) ?? new Map();
    counts.set(kind, m);
    m.set(status, (m.get(status) ?? 0) + 1);
  };
  async function send(kind, method, path, { body, token, fault } = {}) {
    const headers = { "cf-connecting-ip": ip() };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    if (fault) headers["x-soak-fault"] = fault;
    let res;
    let text;
    try {
      res = await fetch(`${url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      text = await res.text();
    } catch (err) {
      count(kind, `network:${err.name}`);
      return { status: 0 };
    }
    count(kind, res.status);
    let json;
    try {
      json = JSON.parse(text);
    } catch {}
    if (res.status >= 400) {
      const key = `${kind}, ${res.status} ${json?.reasonCode}${fault ? ` (fault ${fault.split(":")[0]})` : ""}`;
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    }
    if (res.status >= 500) {
      if (res.status === 503) {
        if (!res.headers.get("retry-after")) unexpected5xx.push(`${kind} 503 without Retry-After (${json?.reasonCode})`);
      } else unexpected5xx.push(`${kind} ${res.status} ${json?.reasonCode ?? text.slice(0, 80)}${fault ? ` (fault ${fault})` : ""}`);
    }
    return { status: res.status, json };
  }
  const maybeFault = () => {
    if (Math.random() >= cfg.faultRate) return undefined;
    injected++;
    return `${pick(["d1", "kv", "do"])}:0.5`;
  };

  const hostile = () => {
    const now = Math.floor(Date.now() / 1000);
    const real = pick(tokens)?.token;
    return pick([
      `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: randomUUID(), jti: randomUUID(), exp: now + 600 })}.`,
      "not.a.token",
      randomBytes(300).toString("base64url"),
      real ? `${real.slice(0, -4)}AAAA` : "x",
      real ? real.split(".").reverse().join(".") : "y",
      `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ sub: randomUUID(), exp: now + 600 })}.${randomBytes(32).toString("base64url")}`,
    ]);
  };

  const actions = [
    [
      30,
      "login",
      async () => {
        const who = pick(identities);
        const r = await send("login", "POST", "/api/v1/auth/oidc-auth/login", {
          body: { identityId: who.id, jwt: jwts[who.tenant] },
          fault: maybeFault(),
        });
        if (r.status === 200 && r.json?.accessToken)
          tokens.push({
            token: r.json.accessToken,
            jti: jtiOf(r.json.accessToken),
            identityId: who.id,
            limit: who.limit,
            uses: 0,
            revoked: false,
          });
      },
    ],
    [
      30,
      "use",
      async () => {
        const t = pick(tokens);
        if (!t) return;
        const revokedBefore = t.revoked;
        const r = await send(t.limit ? "use (max uses)" : "use", "GET", "/api/v1/identities/details", {
          token: t.token,
          fault: maybeFault(),
        });
        if (r.status === 200) t.uses++;
        if (r.status === 200 && revokedBefore) revokedAdmissions++;
      },
    ],
    [
      10,
      "renew",
      async () => {
        const t = pick(tokens);
        if (!t) return;
        const r = await send("renew", "POST", "/api/v1/auth/token/renew", { body: { accessToken: t.token }, fault: maybeFault() });
        if (r.status === 200 && r.json?.accessToken) t.token = r.json.accessToken;
      },
    ],
    [
      5,
      "revoke",
      async () => {
        const t = pick(tokens);
        if (!t) return;
        const r = await send("revoke", "POST", "/api/v1/auth/token/revoke", { body: { accessToken: t.token }, fault: maybeFault() });
        if (r.status >= 200 && r.status < 300) t.revoked = true;
      },
    ],
    [
      5,
      "admin",
      async () => {
        const fault = maybeFault();
        if (Math.random() < 0.5) {
          const r = await send("admin identity.create", "POST", "/api/v1/identities", {
            token: adminKey,
            body: { organizationId: org.id, name: `soak-extra-${randomUUID().slice(0, 8)}`, role: "member" },
            fault,
          });
          if (r.status >= 200 && r.status < 300) adminChanges.push({ event: "identity.create", id: r.json.identity.id });
        } else {
          const r = await send("admin project.create", "POST", "/api/v1/projects", {
            token: adminKey,
            body: { organizationId: org.id, name: `soak-${randomUUID().slice(0, 8)}` },
            fault,
          });
          if (r.status >= 200 && r.status < 300) adminChanges.push({ event: "project.create", id: r.json.project.id });
        }
      },
    ],
    [
      10,
      "hostile",
      async () => {
        if (Math.random() < 0.5) await send("hostile use", "GET", "/api/v1/identities/details", { token: hostile() });
        else
          await send("hostile login", "POST", "/api/v1/auth/oidc-auth/login", {
            body: { identityId: pick(identities).id, jwt: hostile() },
          });
      },
    ],
  ];
  const total = actions.reduce((s, [w]) => s + w, 0);
  const choose = () => {
    let r = Math.random() * total;
    for (const [w, , fn] of actions) if ((r -= w) < 0) return fn;
    return actions[0][2];
  };

  // IdP faults: every 10 s soak-b's IdP changes behaviour (500s, slow answers, timeouts past the
  // service's 5 s limit, or healthy); every 40 s it rotates its key, so that logins must fetch its JWKS again.
  const idpModes = [{ mode: "error500" }, { mode: "slow", delayMs: 1500 }, { mode: "slow", delayMs: 7000 }, {}, {}];
  const idpLog = [];
  idpTimer = setInterval(async () => {
    const b = pick(idpModes);
    idpLog.push(b.mode ? `${b.mode}${b.delayMs ? ` ${b.delayMs} ms` : ""}` : "healthy");
    await idp.behaviour("soak-b", b).catch(() => {});
    if (++idpTicks % ROTATE_EVERY_TICKS === 0) {
      await idp.rotate("soak-b").catch(() => {});
      await remint("soak-b").catch(() => {});
      idpLog.push("key rotated");
    }
  }, 10_000);

  log(`traffic for ${cfg.durationS} s, ${cfg.concurrency} connections, fault rate ${cfg.faultRate}`);
  const deadline = Date.now() + cfg.durationS * 1000;
  let requests = 0;
  await Promise.all(
    Array.from({ length: cfg.concurrency }, async () => {
      while (Date.now() < deadline) {
        await choose()();
        requests++;
      }
    }),
  );
  clearInterval(idpTimer);
  await idp.behaviour("soak-b", {});
  // The flush delay (1 s), the queue consumer's max_batch_timeout (5 s, wrangler.toml) and its D1 call.
  log(`${requests} requests; waiting for the write-behind flush window and the queue's consumer`);
  await new Promise((r) => setTimeout(r, 10_000));

  // ---- invariants (no faults from here on) ----
  const overdraws = tokens.filter((t) => t.limit && t.uses > t.limit);
  const audit = [];
  for (let cursor = null; ; ) {
    const q = new URLSearchParams({ organizationId: org.id, limit: "500", ...(cursor ? { cursor } : {}) });
    const page = await api.call("GET", `/api/v1/audit-logs?${q}`);
    audit.push(...page.auditLogs);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const auditText = audit.filter((a) => a.outcome === "success").map((a) => `${a.event} ${JSON.stringify(a)}`);
  const missingAudit = adminChanges.filter((c) => !auditText.some((t) => t.startsWith(c.event) && t.includes(c.id)));
  // GET /api/v1/identities/:id/access-tokens lists the newest 200 unexpired tokens of an identity: each
  // identity's newest API_CHECKED soak tokens (jti is time-ordered) must be listed; the whole ledger is
  // read from D1 for the invariant.
  const ledger = new Set();
  for (const who of identities) {
    const { accessTokens } = await api.call("GET", `/api/v1/identities/${who.id}/access-tokens?organizationId=${org.id}`);
    for (const t of accessTokens) ledger.add(t.id ?? t.tokenId ?? t.jti);
  }
  const inD1 = new Set((await db.prepare("SELECT id FROM access_tokens").all()).results.map((r) => r.id));
  const checkedByApi = identities.flatMap((who) =>
    tokens
      .filter((t) => t.identityId === who.id)
      .sort((a, b) => (a.jti < b.jti ? 1 : -1))
      .slice(0, API_CHECKED),
  );
  const missingLedgerApi = checkedByApi.filter((t) => !ledger.has(t.jti));
  const missingLedger = tokens.filter((t) => !inD1.has(t.jti));
  const heapEnd = await heap();

  const report = {
    startedAt: startedAt.toISOString(),
    cfg,
    requests,
    injected,
    idpLog,
    counts: Object.fromEntries([...counts].map(([k, m]) => [k, Object.fromEntries(m)])),
    refusals: Object.fromEntries(refusals),
    serviceLogs: Object.fromEntries(serviceLogs),
    unexpected5xx,
    tokens: tokens.length,
    limitedTokens: tokens.filter((t) => t.limit).length,
    overdraws: overdraws.length,
    adminChanges: adminChanges.length,
    missingAudit: missingAudit.length,
    missingLedger: missingLedger.length,
    missingLedgerApi: missingLedgerApi.length,
    checkedByApi: checkedByApi.length,
    heapStart,
    heapEnd,
  };
  report.invariants = [
    ["5xx other than 503 (and 503s without Retry-After)", unexpected5xx.length, 0],
    ["max-uses overdraws (successful uses beyond a token's limit)", overdraws.length, 0],
    ["uses admitted after the token's revoke succeeded", revokedAdmissions, 0],
    ["admin changes missing from the audit log", missingAudit.length, 0],
    ["issued tokens missing from the ledger (write-behind bound: none once flushed, no isolate crashed)", missingLedger.length, 0],
  ].map(([name, value, max]) => ({ name, value, ok: value <= max }));
  writeFileSync(join(OUT, "results.json"), JSON.stringify(report, null, 2));
  const md = markdown(report);
  process.stdout.write(`${md}\n`);
  if (cfg.writeDocs) writeFileSync(join(ROOT, "docs", "reliability.md"), md);
  if (report.invariants.some((i) => !i.ok)) process.exitCode = 1;
}

const mib = (b) => (typeof b === "number" ? `${(b / 1048576).toFixed(1)} MiB` : "n/a");
function markdown(r) {
  const kinds = Object.keys(r.counts).sort();
  const statuses = [...new Set(kinds.flatMap((k) => Object.keys(r.counts[k])))].sort();
  const lines = [
    "# Reliability (soak test)",
    "",
    "Generated by `npm run soak` (bench/soak.mjs); do not edit by hand. The built Worker runs under Miniflare",
    "with its real bindings, the local IdP beside it, all traffic over loopback from many client addresses",
    "(`CF-Connecting-IP`). Faults are injected by a soak-only entry point (bench/soak/entry.mjs) that wraps",
    "the D1, KV and Durable Object bindings; it is bundled only by the soak's generated config, never by",
    "wrangler.toml, so no deployment can enable it. A request the soak marks (`x-soak-fault: d1|kv|do:0.5`,",
    "removed before the service sees it) has each call on that binding fail with probability 0.5. The IdP of",
    "half the identities changes every 10 s between 500s, slow answers (1.5 s), timeouts (7 s, past the",
    "service's 5 s limit) and health, and rotates its key every 40 s (retiring the old one), so that logins",
    "must fetch the JWKS again, past the service's 30 s refetch cooldown.",
    "",
    `Run: ${r.startedAt}, ${r.cfg.durationS} s, ${r.cfg.concurrency} connections, ${r.requests.toLocaleString("en-US")} requests, ` +
      `storage faults on ${r.injected.toLocaleString("en-US")} of them (rate ${r.cfg.faultRate}); IdP behaviour sequence: ${r.idpLog.join(", ") || "none"}.`,
    "",
    "## Invariants",
    "",
    "| Invariant | Value | Result |",
    "|---|---:|---|",
    ...r.invariants.map((i) => `| ${i.name} | ${i.value} | ${i.ok ? "pass" : "**FAIL**"} |`),
    "",
    `Tokens issued: ${r.tokens} (${r.limitedTokens} with max uses ${MAX_USES}); admin changes made: ${r.adminChanges}; ` +
      `ledger checked in D1 for every token, and through GET /api/v1/identities/:id/access-tokens for the newest ${API_CHECKED} of each identity (${r.checkedByApi} tokens; the listing holds the newest 200): ${r.missingLedgerApi} missing there.`,
    "",
    ...(r.unexpected5xx.length ? ["Unexpected 5xx (first 20):", "", ...r.unexpected5xx.slice(0, 20).map((u) => `- ${u}`), ""] : []),
    "## Requests by kind and status",
    "",
    `| Kind | ${statuses.join(" | ")} |`,
    `|---|${statuses.map(() => "---:").join("|")}|`,
    ...kinds.map((k) => `| ${k} | ${statuses.map((s) => r.counts[k][s] ?? "").join(" | ")} |`),
    "",
    "## Refusals by kind, status and reasonCode",
    "",
    "(fault d1|kv|do): the request carried an injected storage fault. `key_not_found` on logins: the token",
    "names the rotated key while the faulty IdP cannot serve the new JWKS; src/oidc/issuer-keys.ts then keeps",
    "the old keys and refuses with 401 (not a retryable 503), and refetches at most once per 30 s cooldown.",
    "",
    "| Kind, status reasonCode | Count |",
    "|---|---:|",
    ...Object.entries(r.refusals)
      .sort()
      .map(([k, n]) => `| ${k} | ${n} |`),
    "",
    "## Error and warning log lines of the service",
    "",
    "| Level event | Count |",
    "|---|---:|",
    ...Object.entries(r.serviceLogs)
      .sort()
      .map(([k, n]) => `| ${k} | ${n} |`),
    "",
    "## Isolate memory",
    "",
    "| When | V8 used heap | Live heap (snapshot) |",
    "|---|---:|---:|",
    `| start (after fixtures) | ${mib(r.heapStart.usedBytes)} | ${mib(r.heapStart.liveBytes)} |`,
    `| end | ${mib(r.heapEnd.usedBytes)} | ${mib(r.heapEnd.liveBytes)} |`,
    "",
    "## Write-behind flushes",
    "",
    "Write-behind flushes (`INSERT ... FROM json_each(?)`) are exempt from the injected faults, which would",
    "only delay them: a flush D1 refuses puts its rows back in the isolate's queue (up to 50,000 rows) and is",
    "tried again, and its statements are idempotent (src/storage/write-behind.ts; tested in",
    "test/integration/storage-faults.test.ts). Only an isolate that crashes loses its queued rows.",
    "",
  ];
  return lines.join("\n");
}

resources.push(async () => clearInterval(idpTimer));
await run(main);
