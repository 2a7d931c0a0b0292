import { describe, expect, it } from "vitest";
import { REDACTED_JWT, redactJwts, redactJwtsDeep } from "../../src/observability/redact";

const JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJwcm9qZWN0X3BhdGg6Z3JvdXAvYXBwIn0.c2lnbmF0dXJl";

describe("redactJwts", () => {
  it("replaces a whole token, a token cut after its payload, and a header alone", () => {
    expect(redactJwts(`before ${JWT} after`)).toBe(`before ${REDACTED_JWT} after`);
    expect(redactJwts(`${JWT.slice(0, 60)}…`)).toBe(`${REDACTED_JWT}…`);
    expect(redactJwts(JWT.split(".")[0]!)).toBe(REDACTED_JWT);
  });

  it("leaves text without a token as it is", () => {
    for (const text of ["organizationId", "boundClaims.ref", "eyJ", "key eyJx", "claim_not_allowed: ref_protected"]) {
      expect(redactJwts(text)).toBe(text);
    }
  });

  it("reaches strings and keys at any depth", () => {
    expect(redactJwtsDeep([{ field: `boundClaims.${JWT}`, message: "Expected string" }, { [JWT]: [JWT, 7] }])).toEqual([
      { field: `boundClaims.${REDACTED_JWT}`, message: "Expected string" },
      { [REDACTED_JWT]: [REDACTED_JWT, 7] },
    ]);
  });
});
