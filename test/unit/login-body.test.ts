import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { DomainError } from "../../src/errors";
import { loginBody, loginRequestOf } from "../../src/http/routes/login";

/** The login body as the schema alone reads it (the 413 for a long jwt is the route's, not the schema's). */
const bySchema = loginBody.extend({ jwt: z.string().trim().min(1) });

type Outcome = { ok: unknown } | { refused: unknown };
const outcome = (read: () => unknown): Outcome => {
  try {
    return { ok: read() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { refused: { reasonCode: err.reasonCode, details: err.details } };
  }
};
const schemaOutcome = (raw: unknown): Outcome => {
  const parsed = bySchema.safeParse(raw);
  if (parsed.success) return { ok: parsed.data };
  const details = parsed.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));
  return { refused: { reasonCode: "invalid_request", details } };
};

describe("the login body read without zod when it is plainly valid", () => {
  it("trims, drops unknown members, and keeps organizationSlug only when sent", () => {
    expect(loginRequestOf({ identityId: " a ", jwt: "\tx.y.z\n", extra: 1 })).toEqual({ identityId: "a", jwt: "x.y.z" });
    expect(Object.keys(loginRequestOf({ identityId: "a", jwt: "j" }))).toEqual(["identityId", "jwt"]);
    expect(loginRequestOf({ identityId: "a", jwt: "j", organizationSlug: " acme " })).toEqual({
      identityId: "a",
      jwt: "j",
      organizationSlug: "acme",
    });
  });

  it("gives the schema's answer, or its exact 422, for any body", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.constantFrom("", " ", "\u00a0", "\ufeff", "a".repeat(128), ` ${"a".repeat(128)} `, "a".repeat(129)),
    );
    const member = fc.oneof(
      text,
      fc.constant(null),
      fc.integer(),
      fc.boolean(),
      fc.constant(undefined),
      fc.array(text, { maxLength: 1 }),
    );
    const body = fc.oneof(
      fc.record({ identityId: member, jwt: member, organizationSlug: member, other: member }, { requiredKeys: [] }),
      fc.constantFrom(null, "x", 1, [], [{ identityId: "a", jwt: "j" }]),
    );
    fc.assert(
      fc.property(body, (raw) => {
        expect(outcome(() => loginRequestOf(raw))).toEqual(schemaOutcome(raw));
      }),
      { numRuns: 2_000 },
    );
  });
});
