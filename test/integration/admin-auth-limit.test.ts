// Failed admin authentications per client address (ADMIN_AUTH_LIMITER, src/http/rate-limit.ts and
// src/http/admin-auth.ts), on the admin API and at the console's sign-in, and their audit: one `admin.auth`
// row per (reason, address, minute) with a count (recordCountedAudit). Miniflare's limiter counts in
// fixed windows aligned to the wall clock, as test/integration/rate-limit.test.ts explains.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, ok } from "../support/api";
import { expectRefusal } from "../support/refusal";
import { scenario } from "../support/scenario";

const LIMIT = 10;
const WRONG = "wrong-admin-key-0123456789abcdef-0123456789";
const byte = () => crypto.getRandomValues(new Uint8Array(1))[0]!;
/** A fresh address in 198.18.0.0/15 (reserved for benchmarks). */
const freshIp = () => `198.${18 + (byte() & 1)}.${byte()}.${byte()}`;

/** Waits for the next minute unless at least `needMs` of the current one are left (limiter window and audit row). */
async function freshMinute(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 150));
}

const organizations = (ip: string, token: string | null = env.ADMIN_API_KEY!) => call("GET", "/api/v1/organizations", { ip, token });

async function adminAuthRows(ip: string) {
  const { auditLogs } = await ok("GET", "/api/v1/audit-logs?event=admin.auth&limit=500");
  return (auditLogs as AuditRow[]).filter((r) => r.clientIp === ip);
}

interface AuditRow {
  event: string;
  outcome: string;
  reasonCode: string;
  clientIp: string;
  identityId: string | null;
  orgId: string | null;
  createdAt: string;
  count: number;
}

/** Failures counted per reason: a counted row stands for `count` attempts of one reason in one minute. */
const countsByReason = (rows: AuditRow[]) =>
  Object.fromEntries(rows.map((r) => [r.reasonCode, r.count]).sort(([a], [b]) => String(a).localeCompare(String(b))));

/** Signs in to the console from `ip` with `credential`: the sign-in page's answer. */
async function consoleSignIn(ip: string, credential: string) {
  const origin = "https://console.example";
  const get = (init: RequestInit) =>
    exports.default.fetch(
      new Request(`${origin}/admin/sign-in`, { redirect: "manual", ...init, headers: { "cf-connecting-ip": ip, ...init.headers } }),
    );
  const page = await get({});
  const pre = page.headers.getSetCookie()[0]!.split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return get({
    method: "POST",
    headers: { cookie: pre, "content-type": "application/x-www-form-urlencoded", origin },
    body: new URLSearchParams({ _csrf: csrf, credential }),
  });
}

describe("failed admin authentications per client address", () => {
  it(`answers ${LIMIT} wrong keys 401, then 429 for every admin authentication from the address, the right key included`, async () => {
    const ip = freshIp();
    await freshMinute(15_000);
    for (let i = 0; i < LIMIT; i++) {
      // The IPv4-mapped spelling of the address is the same client.
      expectRefusal(await organizations(i % 2 ? `::ffff:${ip}` : ip, WRONG), 401, "credentials_invalid");
    }
    const over = await organizations(ip, WRONG);
    expectRefusal(over, 429, "rate_limited_admin_auth");
    expect(over.headers.get("retry-after")).toBe("60");
    const right = await organizations(ip);
    expectRefusal(right, 429, "rate_limited_admin_auth");
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // X-Forwarded-For neither escapes the block nor causes one; other addresses are unaffected.
    const other = freshIp();
    expectRefusal(
      await call("GET", "/api/v1/organizations", { ip, headers: { "x-forwarded-for": other } }),
      429,
      "rate_limited_admin_auth",
    );
    expect((await call("GET", "/api/v1/organizations", { ip: other, headers: { "x-forwarded-for": ip } })).status).toBe(200);
  });

  it("120 guesses from one address: 10 answered 401, 110 refused 429, all in one audit row with their count", async () => {
    const ip = freshIp();
    await freshMinute(20_000);
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) {
      statuses.push((await organizations(ip, `${WRONG}-${i}`)).status);
      // A reader in between writes the counts so far: later ones are added to the same row, not a new one.
      if (i === 59)
        expect(countsByReason(await adminAuthRows(ip))).toEqual({ credentials_invalid: LIMIT, rate_limited_admin_auth: 50 });
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(120 - LIMIT);
    const rows = await adminAuthRows(ip);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({ event: "admin.auth", outcome: "failure", clientIp: ip, identityId: null, orgId: null });
      expect(row.createdAt).toMatch(/:00\.000Z$/);
    }
    expect(countsByReason(rows)).toEqual({ credentials_invalid: LIMIT, rate_limited_admin_auth: 120 - LIMIT });
    // The guesses themselves are never recorded.
    expect(JSON.stringify(rows)).not.toContain(WRONG);
  });

  it("counts the console's sign-in against the same budget, and refuses it 429 once over", async () => {
    const ip = freshIp();
    await freshMinute(15_000);
    for (let i = 0; i < LIMIT / 2; i++) expectRefusal(await organizations(ip, WRONG), 401, "credentials_invalid");
    for (let i = 0; i < LIMIT / 2; i++) {
      const page = await consoleSignIn(ip, WRONG);
      expect(page.status).toBe(401);
      expect(await page.text()).toContain("credentials_invalid");
    }
    expect((await consoleSignIn(ip, WRONG)).status).toBe(429);
    // Now even the right key is refused at the sign-in, and on the API.
    const blocked = await consoleSignIn(ip, env.ADMIN_API_KEY!);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await blocked.text()).toContain("rate_limited_admin_auth");
    expect(blocked.headers.getSetCookie().some((c) => c.startsWith("__Host-eoa_console="))).toBe(false);
    expectRefusal(await organizations(ip), 429, "rate_limited_admin_auth");
    expect(countsByReason(await adminAuthRows(ip))).toEqual({ credentials_invalid: LIMIT, rate_limited_admin_auth: 3 });
  });

  it("does not count a valid credential refused for its role (403), nor a request without credentials", async () => {
    const ip = freshIp();
    const member = await (await scenario({}, { role: "member" })).login({ ip });
    await freshMinute(10_000);
    for (let i = 0; i < LIMIT + 5; i++) {
      expectRefusal(await organizations(ip, member), 403, "insufficient_role");
      expectRefusal(await organizations(ip, null), 401, "credentials_missing");
    }
    expect((await organizations(ip)).status).toBe(200);
    expect(await adminAuthRows(ip)).toEqual([]);
  });
});
