import { describe, expect, it } from "vitest";
import * as z from "zod";
import { ignoredKeysWarning, unknownKeys } from "../../src/http/ignored-keys";
import { createIdentityInput, updateIdentityInput } from "../../src/admin/identities";
import { oidcConfigInputSchema } from "../../src/oidc/config-schema";

describe("unknownKeys: the members a schema ignores, by path", () => {
  it("top-level members the schema does not name; none when it names them all", () => {
    expect(unknownKeys(createIdentityInput, { name: "a", organizationId: "o", hasDeleteProtection: false })).toEqual([
      "hasDeleteProtection",
    ]);
    expect(unknownKeys(createIdentityInput, { name: "a", organizationId: "o", role: "member" })).toEqual([]);
    expect(unknownKeys(updateIdentityInput, { name: "a", identityId: "x", metadata: [] })).toEqual(["identityId", "metadata"]);
  });

  it("walks into arrays of objects, through optional, nullable, default and transforms", () => {
    const input = {
      accessTokenTrustedIps: [
        { ipAddress: "10.0.0.0", prefix: 8, type: "ipv4" },
        { ipAddress: "1.2.3.4", note: "x" },
      ],
      accessTokenTTL: "60", // a preprocessed field
      id: "x",
    };
    expect(unknownKeys(oidcConfigInputSchema, input)).toEqual(["accessTokenTrustedIps.1.note", "id"]);
  });

  it("never reports the keys of a record: they are data (claim names, metadata keys)", () => {
    const input = { boundClaims: { anything: "1", "dot.path": "2" }, claimMetadataMapping: { k: "sub" } };
    expect(unknownKeys(oidcConfigInputSchema, input)).toEqual([]);
    const nested = z.object({ m: z.record(z.string(), z.object({ a: z.string() })) });
    expect(unknownKeys(nested, { m: { key: { a: "1", b: "2" } } })).toEqual(["m.key.b"]);
  });

  it("follows the option of a union that accepts the value; reports nothing for loose objects", () => {
    const union = z.union([z.object({ roles: z.array(z.object({ role: z.string() })) }), z.object({ role: z.string() })]);
    expect(unknownKeys(union, { roles: [{ role: "a", isTemporary: false }] })).toEqual(["roles.0.isTemporary"]);
    expect(unknownKeys(union, { role: "a", x: 1 })).toEqual(["x"]);
    expect(unknownKeys(z.looseObject({ a: z.string() }), { a: "1", b: 2 })).toEqual([]);
  });

  it("reports nothing for values that are not objects", () => {
    expect(unknownKeys(createIdentityInput, [{ name: "a" }])).toEqual([]);
    expect(unknownKeys(createIdentityInput, null)).toEqual([]);
  });
});

describe("ignoredKeysWarning", () => {
  it("is null when nothing was ignored", () => {
    expect(ignoredKeysWarning([])).toBeNull();
  });

  it("lists at most 20 paths, each at most 128 characters", () => {
    const paths = Array.from({ length: 22 }, (_, i) => (i === 0 ? "k".repeat(300) : `p${i}`));
    const warning = ignoredKeysWarning(paths)!;
    expect(warning.code).toBe("unknown_keys_ignored");
    expect(warning.keys).toHaveLength(20);
    expect(warning.keys[0]).toBe(`${"k".repeat(128)}…`);
    expect(warning.field).toBe(warning.keys.join(","));
    expect(warning.message).toMatch(/ and 2 more\.$/);
  });
});
