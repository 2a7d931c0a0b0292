import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("smoke", () => {
  it("answers status", async () => {
    const res = await exports.default.fetch("http://x/api/status");
    expect(res.status).toBe(200);
  });
});
