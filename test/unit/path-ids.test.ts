import { describe, expect, it } from "vitest";
import { pathWithLowerCaseIds } from "../../src/http/path-ids";

const path = (p: string) => pathWithLowerCaseIds(new Request(`https://auth.example${p}`));
const ID = "3F2B8C1D-AB12-4CDE-8F00-0123456789AB";

describe("ids in request paths", () => {
  it("lower-cases UUID segments, wherever they are in the path", () => {
    expect(path(`/api/v1/identities/${ID}`)).toBe(`/api/v1/identities/${ID.toLowerCase()}`);
    expect(path(`/admin/identities/${ID}/tokens/${ID}/revoke?x=${ID}`)).toBe(
      `/admin/identities/${ID.toLowerCase()}/tokens/${ID.toLowerCase()}/revoke`,
    );
  });

  it("keeps every other segment as written", () => {
    expect(path("/API/V1/Organizations")).toBe("/API/V1/Organizations");
    expect(path(`/api/v1/projects/${ID}X`)).toBe(`/api/v1/projects/${ID}X`); // not a UUID: one character too many
    expect(path(`/api/v1/projects/slug-${ID}`)).toBe(`/api/v1/projects/slug-${ID}`);
  });
});
