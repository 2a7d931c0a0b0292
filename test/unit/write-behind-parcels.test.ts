import { describe, expect, it } from "vitest";
import { MAX_PARCEL_BYTES, makeParcels, parcelBody, readParcel, type Statement } from "../../src/storage/write-behind-parcels";

const plain: Statement = { name: "plain", sql: "-- plain" };
const counted: Statement = { name: "counted", sql: "-- counted", counted: true };
const kinds = new Map([plain, counted].map((k) => [k.name, k]));
const bytes = (s: string) => new TextEncoder().encode(s).length;

describe("write-behind parcels: one queue message each", () => {
  it("stay within MAX_PARCEL_BYTES in UTF-8, multi-byte rows included, and keep every row in order", () => {
    const rows = Array.from({ length: 400 }, (_, i) => JSON.stringify([i, "é€😀".repeat(100 + (i % 7))]));
    const parcels = makeParcels(new Map([[plain, rows]]));
    expect(parcels.length).toBeGreaterThan(3);
    for (const p of parcels) expect(bytes(parcelBody(p))).toBeLessThanOrEqual(MAX_PARCEL_BYTES);
    expect(parcels.flatMap((p) => p.rows.get(plain) ?? [])).toEqual(rows);
  });

  it("a parcel's counted rows carry its key as their last element; its other rows are as encoded", () => {
    const [p] = makeParcels(
      new Map([
        [plain, ['["a",1]']],
        [counted, ['["k",2]']],
      ]),
    );
    expect(p?.rows.get(plain)).toEqual(['["a",1]']);
    expect(p?.rows.get(counted)).toEqual([JSON.stringify(["k", 2, p?.key])]);
  });

  it("a message body reads back as the same parcel; a body that is not one, or names an unknown kind, is told apart", () => {
    const [p] = makeParcels(new Map([[plain, ['["a",null,{"x":"y"}]', '["b",2]']]]));
    const back = readParcel(parcelBody(p!), kinds);
    expect(back).toEqual(p);
    expect(readParcel("{", kinds)).toBe("malformed");
    expect(readParcel(JSON.stringify({ k: 1 }), kinds)).toBe("malformed");
    expect(readParcel(JSON.stringify({ k: "x", t: 1, r: { other: [[1]] } }), kinds)).toBe("unknown_kind");
  });
});
