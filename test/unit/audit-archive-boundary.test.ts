import { describe, expect, it } from "vitest";
import { archiveBoundaryMs, partKey } from "../../src/storage/audit-archive";

const at = (iso: string) => Date.parse(iso);

describe("archiveBoundaryMs: where the archive stops", () => {
  it("whole days for a whole number of days: the UTC midnight at or before now minus the window", () => {
    expect(archiveBoundaryMs(at("2026-12-10T15:30:00Z"), 3)).toBe(at("2026-12-07T00:00:00Z"));
    expect(archiveBoundaryMs(at("2026-12-10T00:00:00Z"), 3)).toBe(at("2026-12-07T00:00:00Z"));
  });

  it("whole hours for a fraction of a day", () => {
    expect(archiveBoundaryMs(at("2026-12-10T15:30:00Z"), 0.25)).toBe(at("2026-12-10T09:00:00Z"));
  });
});

describe("partKey", () => {
  it("names the organization (or _), the UTC day and the first row, so a repeated run writes the same key", () => {
    const day = Math.floor(at("2026-12-07T10:00:00Z") / 86_400_000);
    const id = "0194a3b2-0000-7000-8000-000000000001";
    expect(partKey("org-1", day, at("2026-12-07T10:00:00Z"), id)).toBe(
      `audit/org-1/2026-12-07/${at("2026-12-07T10:00:00Z")}-${id}.ndjson.gz`,
    );
    expect(partKey("", day, 5, id)).toBe(`audit/_/2026-12-07/0000000000005-${id}.ndjson.gz`);
  });
});
