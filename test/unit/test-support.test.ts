// The test helpers that every refusal and every expiry test rely on must themselves fail when they should:
// expectRefusal (test/support/refusal.ts) on each kind of bad answer, and the clock helper
// (test/support/clock.ts) moving src/time/clock.ts and putting it back.
import { describe, expect, it } from "vitest";
import { nowSeconds as serviceNowSeconds } from "../../src/time/clock";
import { answer } from "../support/api";
import { advanceClock, advanceClockTo, nowSeconds } from "../support/clock";
import { expectRefusal } from "../support/refusal";

const REQ_ID = "req-00000000-0000-4000-8000-000000000000";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViamVjdCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";
/** Any other JWT, not among the secrets: refused all the same. */
const OTHER_JWT = "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.";

const body = (over: Record<string, unknown> = {}) => ({
  statusCode: 401,
  error: "Unauthorized",
  message: "The token's sub does not match the bound subject",
  reqId: REQ_ID,
  reasonCode: "subject_not_allowed",
  ...over,
});

function http(json: unknown, opts: { status?: number; headers?: Record<string, string>; presented?: string[] } = {}) {
  const res = new Response(JSON.stringify(json), {
    status: opts.status ?? 401,
    headers: { "content-type": "application/json", "x-request-id": REQ_ID, ...opts.headers },
  });
  return answer(res, opts.presented ?? []);
}

describe("expectRefusal", () => {
  it("passes a refusal in the documented shape", async () => {
    expectRefusal(await http(body()), 401, "subject_not_allowed", { secrets: [JWT] });
    expectRefusal(await http(body({ details: [{ field: "x" }] })), 401, "subject_not_allowed");
    expectRefusal(await http(body({ reasonCode: "claim_not_allowed: ref_protected" })), 401, "claim_not_allowed: ref_protected");
  });

  it.each<[string, () => Promise<Awaited<ReturnType<typeof http>>>]>([
    ["another status", () => http(body(), { status: 403 })],
    ["another reasonCode", () => http(body({ reasonCode: "audience_not_allowed" }))],
    ["statusCode not the status", () => http(body({ statusCode: 400 }))],
    ["no reqId", () => http(body({ reqId: undefined }))],
    ["a reqId other than X-Request-Id", () => http(body(), { headers: { "x-request-id": "req-other" } })],
    ["an empty message", () => http(body({ message: "" }))],
    ["a key outside the documented shape", () => http(body({ hint: "x" }))],
    ["an access token", () => http(body({ accessToken: "opaque" }))],
    ["a JWT in the message", () => http(body({ message: `bad token ${OTHER_JWT}` }))],
    ["a JWT in a header", () => http(body(), { headers: { "x-debug": OTHER_JWT } })],
    ["one segment of a secret", () => http(body({ message: `sub ${JWT.split(".")[1]}` }))],
    [
      "what the request presented",
      () =>
        http(body({ message: "key test-admin-key-0123456789abcdef-0123456789" }), {
          presented: ["test-admin-key-0123456789abcdef-0123456789"],
        }),
    ],
  ])("fails on %s", async (_name, make) => {
    const res = await make();
    expect(() => expectRefusal(res, 401, "subject_not_allowed", { secrets: [JWT] })).toThrow();
  });

  it("reads an AuthService result in its own shape", async () => {
    const rpc = (json: unknown) => answer(new Response(JSON.stringify(json), { status: 403 }), ["a-presented-access-token"], "rpc");
    const refusal = { ok: false, status: 403, reasonCode: "ip_not_trusted", message: "Not from there" };
    expectRefusal(await rpc(refusal), 403, "ip_not_trusted");
    for (const bad of [
      { ...refusal, status: 401 },
      { ...refusal, statusCode: 403 },
      { ...refusal, message: "a-presented-access-token" },
    ]) {
      const res = await rpc(bad);
      expect(() => expectRefusal(res, 403, "ip_not_trusted"), JSON.stringify(bad)).toThrow();
    }
  });
});

describe("the clock helper", () => {
  it("moves the service's clock forward only", () => {
    const start = nowSeconds();
    advanceClock(90);
    expect(serviceNowSeconds() - start).toBeGreaterThanOrEqual(90);
    advanceClockTo(start + 3600);
    expect(serviceNowSeconds()).toBe(start + 3600);
    expect(() => advanceClockTo(start)).toThrow(/already reads/);
    expect(() => advanceClock(-1)).toThrow(/only moves forward/);
  });

  it("is back on real time in the next test", () => {
    expect(Math.abs(serviceNowSeconds() - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(1);
  });
});
