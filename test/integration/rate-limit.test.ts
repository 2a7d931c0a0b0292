// Login rate limits (src/http/rate-limit.ts, wrangler.toml [[ratelimits]]) against the real Worker and the
// rate-limiting binding as Miniflare implements it: exact counts in fixed windows aligned to the wall
// clock (window = floor(now / period)). Each test uses its own client addresses (the counters are shared
// by every test file of the run) and starts early enough in a window to finish inside it.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, login } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { expectIssued, scenario } from "../support/scenario";
import { DomainError, Reason } from "../../src/errors";
import type { Caller } from "../../src/tokens/caller";
import { loginWithIdToken } from "../../src/tokens/login";
import worker from "../../src/index";

const LOGIN = "/api/v1/auth/oidc-auth/login";
const FAILED_LOGIN_LIMIT = 20;
const ADDRESS_FAILED_LOGIN_LIMIT = 100;
const CLIENT_LIMIT = 1000;
const TOKEN_CALL_LIMIT = 100;
const RENEW = "/api/v1/auth/token/renew";
const REVOKE = "/api/v1/auth/token/revoke";
/** A syntactically valid JWT no IdP signed: a login naming an unknown identity never gets to look at it. */
const GARBAGE_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbm90LXZhbGlk";

const byte = () => crypto.getRandomValues(new Uint8Array(1))[0]!;
/** A fresh address in 198.18.0.0/15 (reserved for benchmarks), unique enough per test. */
const freshIp = () => `198.${18 + (byte() & 1)}.${byte()}.${byte()}`;

/** Waits for the next window of `periodSeconds` unless at least `needMs` of the current one are left. */
async function freshWindow(periodSeconds: number, needMs: number): Promise<void> {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 150));
}

/** Runs `n` calls of `fn` with at most `width` in flight. */
async function pool<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

async function liveTokenCount(identityId: string): Promise<number> {
  const res = await call("GET", `/api/v1/identities/${identityId}/access-tokens`);
  expect(res.status).toBe(200);
  return res.body.accessTokens.length;
}

async function loginAudit(orgId: string, identityId: string): Promise<any[]> {
  const res = await call("GET", `/api/v1/audit-logs?organizationId=${orgId}&identityId=${identityId}&event=login&limit=500`);
  expect(res.status).toBe(200);
  return res.body.auditLogs;
}

describe("failed logins per (identity, client address)", () => {
  it(`counts refusals only: ${FAILED_LOGIN_LIMIT} refusals are answered, the next is 429, then even a valid token is refused before verification`, async () => {
    const s = await scenario();
    const ip = freshIp();
    const good = await s.idp.mint(gitlabClaims());
    const bad = await s.idp.mint(gitlabClaims({ sub: "project_path:evil/project:ref_type:branch:ref:main" }));
    await freshWindow(60, 8_000);

    // Successful logins are never counted.
    for (let i = 0; i < 25; i++) expectIssued(await login(s.identity.id, good, { ip }));
    // Exactly the limit of refusals get their own answer.
    for (let i = 0; i < FAILED_LOGIN_LIMIT; i++)
      expectRefusal(await login(s.identity.id, bad, { ip }), 401, "subject_not_allowed", { secrets: [bad] });
    // The refusal that goes over the limit is answered 429.
    const over = await login(s.identity.id, bad, { ip });
    expectRefusal(over, 429, "rate_limited_failed_logins", { secrets: [bad] });
    expect(over.headers.get("retry-after")).toBe("60");

    // Now a valid token from the same address is refused before verification: no IdP request, no token.
    await s.idp.resetStats();
    const blocked = await login(s.identity.id, good, { ip });
    expectRefusal(blocked, 429, "rate_limited_failed_logins", { secrets: [good] });
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // ... in form encoding too, and with an upper-case spelling of the same identity id.
    expectRefusal(await login(s.identity.id, good, { ip, form: true }), 429, "rate_limited_failed_logins", { secrets: [good] });
    expectRefusal(await login(s.identity.id.toUpperCase(), good, { ip }), 429, "rate_limited_failed_logins", { secrets: [good] });
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });

    // X-Forwarded-For is not the client address: it neither escapes the block nor causes one.
    const other = freshIp();
    const spoofed = await call("POST", LOGIN, {
      body: { identityId: s.identity.id, jwt: good },
      token: null,
      ip,
      headers: { "x-forwarded-for": other },
    });
    expectRefusal(spoofed, 429, "rate_limited_failed_logins", { secrets: [good] });
    expectIssued(
      await call("POST", LOGIN, {
        body: { identityId: s.identity.id, jwt: good },
        token: null,
        ip: other,
        headers: { "x-forwarded-for": ip },
      }),
    );

    // Another address, and another identity from the blocked address, are unaffected.
    expectIssued(await login(s.identity.id, good, { ip: freshIp() }));
    const s2 = await scenario();
    expectIssued(await login(s2.identity.id, await s2.idp.mint(gitlabClaims()), { ip }));

    // Minted: the 25 before the block and the 2 from other addresses; nothing while blocked.
    expect(await liveTokenCount(s.identity.id)).toBe(25 + 2);
    const events = await loginAudit(s.org.id, s.identity.id);
    expect(events.filter((e) => e.outcome === "success")).toHaveLength(27);
    // Blocked attempts are not audited one by one; the refusal that went over the limit is, with its cause.
    const failures = events.filter((e) => e.outcome === "failure");
    expect(failures).toHaveLength(FAILED_LOGIN_LIMIT + 1);
    const limited = failures.filter((e) => e.reasonCode === "rate_limited_failed_logins");
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ clientIp: ip, details: { refusedFor: "subject_not_allowed" } });
  });

  it("limits guesses of identity ids too, malformed ones sharing one bucket per address", async () => {
    const ip = freshIp();
    await freshWindow(60, 5_000);
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbm90LXZhbGlk";
    const unknown = crypto.randomUUID();
    for (let i = 0; i < FAILED_LOGIN_LIMIT; i++)
      expectRefusal(await login(unknown, jwt, { ip }), 404, "identity_not_found", { secrets: [jwt] });
    expectRefusal(await login(unknown, jwt, { ip }), 429, "rate_limited_failed_logins", { secrets: [jwt] });

    for (let i = 0; i < FAILED_LOGIN_LIMIT; i++)
      expectRefusal(await login(`not-a-uuid-${i}`, jwt, { ip }), 404, "identity_not_found", { secrets: [jwt] });
    expectRefusal(await login("yet-another-guess", jwt, { ip }), 429, "rate_limited_failed_logins", { secrets: [jwt] });
    // A real identity from the same address is a different bucket.
    const s = await scenario();
    expectIssued(await login(s.identity.id, await s.idp.mint(gitlabClaims()), { ip }));
  });

  it("counts an IPv6 client by its /64", async () => {
    const s = await scenario();
    const prefix = `2001:db8:${byte().toString(16)}${byte().toString(16)}:${byte().toString(16)}`;
    const bad = await s.idp.mint(gitlabClaims({ sub: "nope" }));
    await freshWindow(60, 5_000);
    for (let i = 0; i < FAILED_LOGIN_LIMIT; i++) {
      expectRefusal(await login(s.identity.id, bad, { ip: `${prefix}::${(i + 1).toString(16)}` }), 401, "subject_not_allowed");
    }
    expectRefusal(await login(s.identity.id, bad, { ip: `${prefix}:0:1:2:3` }), 429, "rate_limited_failed_logins");
    expectRefusal(
      await login(s.identity.id, await s.idp.mint(gitlabClaims()), { ip: `${prefix}::ffff` }),
      429,
      "rate_limited_failed_logins",
    );
    expectIssued(await login(s.identity.id, await s.idp.mint(gitlabClaims()), { ip: `2001:db8:ffff:${byte().toString(16)}::1` }));
  });

  it("counts an IPv4-mapped IPv6 address as its IPv4 address, and audits it under that one spelling", async () => {
    const s = await scenario();
    const ip = freshIp();
    const mapped = `::ffff:${ip}`;
    const bad = await s.idp.mint(gitlabClaims({ sub: "nope" }));
    await freshWindow(60, 5_000);
    for (let i = 0; i < FAILED_LOGIN_LIMIT; i++) {
      expectRefusal(await login(s.identity.id, bad, { ip: i % 2 ? mapped : ip }), 401, "subject_not_allowed");
    }
    expectRefusal(await login(s.identity.id, bad, { ip: mapped.toUpperCase() }), 429, "rate_limited_failed_logins");
    expectRefusal(await login(s.identity.id, await s.idp.mint(gitlabClaims()), { ip }), 429, "rate_limited_failed_logins");
    // Another IPv4 address, mapped or not, is another client (mapped addresses do not share one bucket).
    expectIssued(await login(s.identity.id, await s.idp.mint(gitlabClaims()), { ip: `::ffff:${freshIp()}` }));
    const events = await loginAudit(s.org.id, s.identity.id);
    expect(events.filter((e) => e.outcome === "failure").map((e) => e.clientIp)).toEqual(Array(FAILED_LOGIN_LIMIT + 1).fill(ip));
  });

  it("does not count outages (5xx) against the caller", async () => {
    const s = await scenario();
    const ip = freshIp();
    await s.idp.behaviour({ mode: "error500" });
    const jwt = await s.idp.mint(gitlabClaims());
    await freshWindow(60, 5_000);
    for (let i = 0; i < FAILED_LOGIN_LIMIT + 5; i++) {
      expectRefusal(await login(s.identity.id, jwt, { ip }), 503, "idp_unavailable", { secrets: [jwt] });
    }
    // Had the outages been counted, this refusal (decided before any IdP request) would be a 429.
    const wrongOrg = await call("POST", LOGIN, {
      body: { identityId: s.identity.id, jwt, organizationSlug: "not-this-one" },
      token: null,
      ip,
    });
    expectRefusal(wrongOrg, 404, "identity_not_found", { secrets: [jwt] });
  });
});

describe("all logins per client address", () => {
  it(`admits exactly ${CLIENT_LIMIT} logins per 10 s from one address, then 429 rate_limited_client before anything else`, async () => {
    const s = await scenario();
    const ip = freshIp();
    const good = await s.idp.mint(gitlabClaims());
    await freshWindow(10, 7_000);
    // Cheap requests (an empty body is a 422) still count: the limit is checked before the body is read.
    const statuses = await pool(CLIENT_LIMIT, 50, async () => (await call("POST", LOGIN, { body: {}, token: null, ip })).status);
    expect(statuses.filter((st) => st === 422)).toHaveLength(CLIENT_LIMIT);

    const over = await call("POST", LOGIN, { body: {}, token: null, ip });
    expectRefusal(over, 429, "rate_limited_client");
    expect(over.headers.get("retry-after")).toBe("10");
    // A valid login from that address is refused too: no IdP request, no token.
    const blocked = await login(s.identity.id, good, { ip });
    expectRefusal(blocked, 429, "rate_limited_client", { secrets: [good] });
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });
    // X-Forwarded-For changes nothing; other addresses are unaffected.
    const spoofed = await call("POST", LOGIN, {
      body: { identityId: s.identity.id, jwt: good },
      token: null,
      ip,
      headers: { "x-forwarded-for": freshIp() },
    });
    expectRefusal(spoofed, 429, "rate_limited_client", { secrets: [good] });
    // Its refusal wins over the login's own: a bad token from the limited address is 429 too, and is neither
    // audited nor counted as a refused login.
    const bad = await s.idp.mint(gitlabClaims({ sub: "project_path:evil/x:ref_type:branch:ref:main" }));
    expectRefusal(await login(s.identity.id, bad, { ip }), 429, "rate_limited_client", { secrets: [bad] });
    expect((await loginAudit(s.org.id, s.identity.id)).filter((e) => e.clientIp === ip)).toEqual([]);
    const accessToken = expectIssued(await login(s.identity.id, good, { ip: freshIp() }));
    expect(await liveTokenCount(s.identity.id)).toBe(1);
    // Only logins are limited: the token works from the limited address.
    expect((await call("GET", "/api/v1/identities/details", { token: accessToken, ip })).status).toBe(200);
  });
});

describe("the client limiter asked concurrently with the verification (src/http/routes/login.ts)", () => {
  /**
   * A decision the test takes by hand, which tells when the login awaits it: `reached` resolves once the
   * login has verified the ID token and waits for the decision before changing anything.
   */
  function decisionByHand() {
    let reached!: () => void;
    const awaited = new Promise<void>((r) => {
      reached = r;
    });
    let refuse!: (err: unknown) => void;
    let admit!: () => void;
    const decision = new Promise<void>((resolve, reject) => {
      admit = resolve;
      refuse = reject;
    });
    const admitted = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable that reports being awaited
      then: (onOk: () => unknown, onErr: (e: unknown) => unknown) => {
        reached();
        return decision.then(onOk, onErr);
      },
    } as unknown as Promise<void>;
    return { admitted, awaited, admit, refuse };
  }
  const caller = (ip: string): Caller => ({ ip, country: null, colo: null, waitUntil: (p) => void p.catch(() => {}) });

  for (const replayProtection of [false, true]) {
    it(`a refusal that arrives after the verification wins: no token, no ${replayProtection ? "replay record, " : ""}audit event or refusal counted (replay protection ${replayProtection ? "on" : "off"})`, async () => {
      const s = await scenario({ replayProtection });
      const jwt = await s.idp.mint(gitlabClaims());
      const ip = freshIp();
      const gate = decisionByHand();
      let counted = 0;
      const onRefused = async () => {
        counted++;
        return null;
      };
      const pending = loginWithIdToken(env, { identityId: s.identity.id, jwt }, caller(ip), onRefused, gate.admitted);
      await gate.awaited; // the ID token is verified; the login waits for the decision
      gate.refuse(new DomainError(Reason.rate_limited_client));
      await expect(pending).rejects.toMatchObject({ reasonCode: "rate_limited_client" });
      expect(counted).toBe(0);
      expect(await liveTokenCount(s.identity.id)).toBe(0);
      // The same ID token still logs in (with replay protection on: it was not recorded as used); that
      // login is the identity's only audit event.
      expectIssued(await login(s.identity.id, jwt, { ip: freshIp() }));
      expect((await loginAudit(s.org.id, s.identity.id)).map((e) => e.outcome)).toEqual(["success"]);
    });
  }

  it("a login that waited for the decision is issued its token once admitted", async () => {
    const s = await scenario({ replayProtection: true });
    const jwt = await s.idp.mint(gitlabClaims());
    const gate = decisionByHand();
    const pending = loginWithIdToken(env, { identityId: s.identity.id, jwt }, caller(freshIp()), async () => null, gate.admitted);
    await gate.awaited;
    gate.admit();
    expect((await pending).tokenType).toBe("Bearer");
    expect(await liveTokenCount(s.identity.id)).toBe(1);
  });

  it("a refusal also wins over the login's own refusal, which is then neither audited nor counted", async () => {
    const s = await scenario();
    const bad = await s.idp.mint(gitlabClaims({ sub: "project_path:evil/x:ref_type:branch:ref:main" }));
    let counted = 0;
    const onRefused = async () => {
      counted++;
      return null;
    };
    const refused = Promise.reject(new DomainError(Reason.rate_limited_client));
    refused.catch(() => {});
    const pending = loginWithIdToken(env, { identityId: s.identity.id, jwt: bad }, caller(freshIp()), onRefused, refused);
    await expect(pending).rejects.toMatchObject({ reasonCode: "rate_limited_client" });
    expect(counted).toBe(0);
    // The same bad token without a concurrent refusal: audited (the only event) and counted.
    await expect(loginWithIdToken(env, { identityId: s.identity.id, jwt: bad }, caller(freshIp()), onRefused)).rejects.toMatchObject({
      reasonCode: "subject_not_allowed",
    });
    expect(counted).toBe(1);
    expect((await loginAudit(s.org.id, s.identity.id)).map((e) => e.reasonCode)).toEqual(["subject_not_allowed"]);
  });
});

describe("LOGIN_LIMITER_ORDER: when a login waits for the client limiter", () => {
  /**
   * A login through the Worker whose LOGIN_CLIENT_LIMITER answers when the test says, with a body that
   * records whether it was read: what the login did while the limiter had not answered yet.
   */
  async function loginWithHeldLimiter(order: string | undefined) {
    const s = await scenario();
    const jwt = await s.idp.mint(gitlabClaims());
    let asked!: () => void;
    const wasAsked = new Promise<void>((r) => {
      asked = r;
    });
    let answer!: (outcome: RateLimitOutcome) => void;
    const limiter: RateLimit = {
      limit: () => {
        asked();
        return new Promise<RateLimitOutcome>((r) => {
          answer = r;
        });
      },
    };
    let bodyRead = false;
    const bytes = new TextEncoder().encode(JSON.stringify({ identityId: s.identity.id, jwt }));
    // highWaterMark 0: nothing is pulled until the Worker reads the body.
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          bodyRead = true;
          controller.enqueue(bytes);
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const ctx = createExecutionContext();
    const request = new Request(`http://edge-oidc-auth.test${LOGIN}`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body,
    });
    const pending = worker.fetch(request as never, { ...env, LOGIN_CLIENT_LIMITER: limiter, LOGIN_LIMITER_ORDER: order }, ctx);
    await wasAsked;
    await new Promise((r) => setTimeout(r, 100)); // time enough to read the body (and verify) meanwhile
    const readBeforeAnswer = bodyRead;
    const decide = async (success: boolean) => {
      answer({ success });
      const res = await readAnswer(await pending);
      await waitOnExecutionContext(ctx);
      return { res, bodyRead };
    };
    return { s, readBeforeAnswer, decide };
  }
  const readAnswer = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

  it("sequential: nothing of the login is read before the limiter answers, and a refused login is never read", async () => {
    const held = await loginWithHeldLimiter("sequential");
    expect(held.readBeforeAnswer).toBe(false);
    const { res, bodyRead } = await held.decide(false);
    expect(res.status).toBe(429);
    expect(res.body.reasonCode).toBe("rate_limited_client");
    expect(bodyRead).toBe(false);
    expect(await held.s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });
  });

  it("sequential: an admitted login is read once the limiter answers and issued its token", async () => {
    const held = await loginWithHeldLimiter("sequential");
    expect(held.readBeforeAnswer).toBe(false);
    const { res, bodyRead } = await held.decide(true);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tokenType).toBe("Bearer");
    expect(bodyRead).toBe(true);
  });

  for (const order of [undefined, "concurrent"]) {
    it(`${order === undefined ? "unset (concurrent)" : order}: the body is read while the limiter answers, and its refusal still wins`, async () => {
      const held = await loginWithHeldLimiter(order);
      expect(held.readBeforeAnswer).toBe(true);
      const { res } = await held.decide(false);
      expect(res.status).toBe(429);
      expect(res.body.reasonCode).toBe("rate_limited_client");
      expect(await liveTokenCount(held.s.identity.id)).toBe(0);
    });
  }
});

describe("refused logins per client address, across identities", () => {
  it(`${ADDRESS_FAILED_LOGIN_LIMIT} logins naming random identity ids are refused, the next is 429, then the address is blocked; they cost one audit row per minute`, async () => {
    const ip = freshIp();
    await freshWindow(60, 20_000);
    const answers = await pool(ADDRESS_FAILED_LOGIN_LIMIT, 20, () => login(crypto.randomUUID(), GARBAGE_JWT, { ip }));
    for (const res of answers) expectRefusal(res, 404, "identity_not_found", { secrets: [GARBAGE_JWT] });
    const over = await login(crypto.randomUUID(), GARBAGE_JWT, { ip });
    expectRefusal(over, 429, "rate_limited_failed_logins", { secrets: [GARBAGE_JWT] });
    expect(over.headers.get("retry-after")).toBe("60");

    // Blocked: a malformed id, and a real identity with a valid token, are refused before any lookup or verification.
    expectRefusal(await login("not-a-uuid", GARBAGE_JWT, { ip }), 429, "rate_limited_failed_logins");
    const s = await scenario();
    const good = await s.idp.mint(gitlabClaims());
    expectRefusal(await login(s.identity.id, good, { ip }), 429, "rate_limited_failed_logins", { secrets: [good] });
    expect(await s.idp.stats()).toEqual({ discovery: 0, jwks: 0 });
    // Another address is unaffected.
    expectIssued(await login(s.identity.id, good, { ip: freshIp() }));

    // The audit log: one counted row per reason for the address and minute (two if the minute turned), not 101.
    await call("GET", "/api/v1/audit-logs?limit=1"); // flushes this isolate's queue
    const { results } = await env.DB.prepare(
      "SELECT reason_code, count, identity_id, details FROM audit_logs WHERE client_ip = ? AND event = 'login' ORDER BY created_at",
    )
      .bind(ip)
      .all<{ reason_code: string; count: number; identity_id: string | null; details: string | null }>();
    const notFound = results.filter((r) => r.reason_code === "identity_not_found");
    expect(notFound.length).toBeGreaterThanOrEqual(1);
    expect(notFound.length).toBeLessThanOrEqual(2);
    expect(notFound.reduce((n, r) => n + r.count, 0)).toBe(ADDRESS_FAILED_LOGIN_LIMIT);
    expect(notFound.every((r) => r.identity_id === null)).toBe(true);
    const limited = results.filter((r) => r.reason_code === "rate_limited_failed_logins");
    expect(limited.map((r) => [r.count, JSON.parse(r.details ?? "null")])).toEqual([[1, { refusedFor: "identity_not_found" }]]);
    expect(results).toHaveLength(notFound.length + limited.length);
  });

  it("counts refusals of known identities too, and an IPv6 client by its /64", async () => {
    const prefix = `2001:db8:${byte().toString(16)}${byte().toString(16)}:${byte().toString(16)}`;
    await freshWindow(60, 20_000);
    // Refusals spread over many identities (each under its own per-identity limit) add up per address.
    const identities = await Promise.all(Array.from({ length: 5 }, () => scenario()));
    const bad = await Promise.all(identities.map((s) => s.idp.mint(gitlabClaims({ sub: "someone-else" }))));
    let n = 0;
    for (let round = 0; round < ADDRESS_FAILED_LOGIN_LIMIT / identities.length; round++) {
      for (const [i, s] of identities.entries()) {
        const ip = `${prefix}::${(++n).toString(16)}`;
        const res = await login(s.identity.id, bad[i]!, { ip });
        expect(res.status, JSON.stringify(res.body)).toBe(round < FAILED_LOGIN_LIMIT ? 401 : 429);
      }
    }
    expectRefusal(await login(crypto.randomUUID(), GARBAGE_JWT, { ip: `${prefix}:ffff::1` }), 429, "rate_limited_failed_logins");
  });
});

describe("renewals and revocations per client address", () => {
  it(`admits ${TOKEN_CALL_LIMIT} per 10 s from one address, then 429 rate_limited_token_calls with Retry-After`, async () => {
    const s = await scenario();
    const token = expectIssued(await s.loginWith());
    const ip = freshIp();
    await freshWindow(10, 7_000);
    // Every request counts, before its body is read: an empty body is a 422.
    const statuses = await pool(
      TOKEN_CALL_LIMIT,
      25,
      async (i) => (await call("POST", i % 2 ? RENEW : REVOKE, { body: {}, token: null, ip })).status,
    );
    expect(statuses.filter((st) => st === 422)).toHaveLength(TOKEN_CALL_LIMIT);

    for (const path of [RENEW, REVOKE]) {
      const over = await call("POST", path, { body: { accessToken: token }, token: null, ip });
      expectRefusal(over, 429, "rate_limited_token_calls", { secrets: [token] });
      expect(over.headers.get("retry-after")).toBe("10");
    }
    // The token was neither renewed nor revoked; from another address it renews, and it works from the limited one.
    expect((await call("POST", RENEW, { body: { accessToken: token }, token: null, ip: freshIp() })).status).toBe(200);
    expect((await call("GET", "/api/v1/identities/details", { token, ip })).status).toBe(200);
    // Logins from the limited address are a budget of their own.
    expectIssued(await s.loginWith({}, {}, { ip }));
  });
});
