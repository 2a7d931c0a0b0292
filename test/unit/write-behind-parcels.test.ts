import { describe, expect, it } from "vitest";
import {
  MAX_PARCEL_BYTES,
  makeParcels,
  type Parcel,
  parcelBody,
  readParcel,
  rowsAreJson,
  type Statement,
} from "../../src/storage/write-behind-parcels";

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
    expect(readParcel('{"k":"x","t":1,"n":{"other":1}}\n[1]', kinds)).toBe("unknown_kind");
  });

  it("a body is a header line and one row per line; a header whose counts disagree with its lines, or a line that is not an array, is malformed", () => {
    const [p] = makeParcels(new Map([[plain, ['["a\\nb"]', '["c"]']]]));
    const body = parcelBody(p!);
    expect(body.split("\n")).toEqual([JSON.stringify({ k: p!.key, t: p!.madeAt, n: { plain: 2 } }), '["a\\nb"]', '["c"]']);
    const header = body.slice(0, body.indexOf("\n"));
    expect(readParcel(`${header}\n["a"]`, kinds)).toBe("malformed"); // one row short
    expect(readParcel(`${header}\n["a"]\n["b"]\n["c"]`, kinds)).toBe("malformed"); // one row more
    expect(readParcel(`${header}\n["a"]\n{"b":1}`, kinds)).toBe("malformed");
    expect(readParcel(`{"k":"x","t":1,"n":{"plain":0}}\n`, kinds)).toBe("malformed");
    expect(readParcel(`{"k":"x","t":"1","n":{"plain":1}}\n[1]`, kinds)).toBe("malformed");
  });

  it("a parcel of the single-object body that came before the line format reads as the same rows", () => {
    const body = JSON.stringify({ k: "key", t: 5, r: { plain: [["a", 1]], counted: [["k", 2, "key"]] } });
    const back = readParcel(body, kinds);
    expect(back).toEqual({
      key: "key",
      madeAt: 5,
      rowCount: 2,
      rows: new Map([
        [plain, ['["a",1]']],
        [counted, ['["k",2,"key"]']],
      ]),
    });
    expect(readParcel(JSON.stringify({ k: "key", t: 5, r: { plain: [1] } }), kinds)).toBe("malformed");
  });

  it("rowsAreJson tells a parcel whose rows a statement can read from a damaged one", () => {
    const [p] = makeParcels(new Map([[plain, ['["a",1]']]]));
    expect(rowsAreJson(p!)).toBe(true);
    const damaged = readParcel(`${JSON.stringify({ k: "x", t: 1, n: { plain: 1 } })}\n[not json]`, kinds);
    expect(damaged).not.toBe("malformed");
    expect(rowsAreJson(damaged as Parcel)).toBe(false);
    const notArray = readParcel(`${JSON.stringify({ k: "x", t: 1, n: { plain: 1 } })}\n["a"],["b"]`, kinds);
    expect(rowsAreJson(notArray as Parcel)).toBe(false);
  });
});
