import { describe, expect, it } from "vitest";
import { parseStrictJson } from "../../src/oidc/strict-json";

const read = (text: string) => parseStrictJson(text, { maxDepth: 8, requireObject: false });

describe("strict JSON: member names counted in the text", () => {
  it("reads documents whose strings hold quotes, backslashes and colons", () => {
    expect(read('{"a":"x\\"","b":"\\\\","c":"\\\\\\"y"}')).toEqual({ a: 'x"', b: "\\", c: '\\"y' });
    expect(read('{"a":"\\":\\"","b" :\n1}')).toEqual({ a: '":"', b: 1 });
    expect(read('[{"a":1},{"a":1}]')).toEqual([{ a: 1 }, { a: 1 }]);
    expect(read(`{"jwt":"${"e".repeat(5000)}","identityId":"x"}`)).toEqual({ jwt: "e".repeat(5000), identityId: "x" });
  });

  it("refuses a member named twice, however its strings around it are escaped", () => {
    for (const text of [
      '{"a":1,"a":2}',
      '{"a":"x\\"","b":"\\\\","c":{"d":"\\\\\\"","d":1}}',
      '{"\\u0061":1,"a":2}',
      '{"a\\\\":1,"a\\\\":2}',
      '{"s":"\\\\","s" : 2}',
    ]) {
      expect(() => read(text), text).toThrow("duplicate member name");
    }
  });
});

describe("strict JSON: Unicode text only", () => {
  it("refuses a lone surrogate in a value or a member name, accepts a pair", () => {
    for (const text of ['{"a":"x\\ud800"}', '{"a":"\\udc00y"}', '{"\\ud800":1}', '["\\udbff\\udbff"]', '{"a":{"b":["\\ude00"]}}']) {
      expect(() => read(text), text).toThrow("lone surrogate");
    }
    expect(read('{"a":"\\ud83d\\ude00","\\ud83d\\ude00":1}')).toEqual({ a: "😀", "😀": 1 });
  });
});
