// The OIDC Auth form's help comes from the configuration schema's descriptions (src/oidc/config-schema.ts):
// written once, read through the schema's optional/nullable wrappers, rendered with `code` spans.
import { jsx } from "hono/jsx";
import { describe, expect, it } from "vitest";
import { fieldHelp, FieldHelp, secondsHelp, type OidcField } from "../../src/console/oidc-auth/help";
import { oidcConfigInputSchema } from "../../src/oidc/config-schema";

const FIELDS = Object.keys(oidcConfigInputSchema.shape) as OidcField[];

describe("fieldHelp", () => {
  it.each(FIELDS)("%s has a description", (field) => {
    expect(fieldHelp(field).length).toBeGreaterThan(20);
  });

  it("reads through the wrappers: the optional field itself carries no description", () => {
    expect(oidcConfigInputSchema.shape.boundSubject.description).toBeUndefined();
    expect(oidcConfigInputSchema.shape.jwksUrl.unwrap().description).toBe(fieldHelp("jwksUrl"));
    expect(fieldHelp("boundSubject")).toMatch(/^One pattern for `sub`\./);
  });

  it("the seconds fields add what the value amounts to, when it is a number", () => {
    expect(secondsHelp("accessTokenMaxTTL", "86400")).toBe("Seconds from first issuance, over all renewals; 0 = no limit. Now: 1 d.");
    expect(secondsHelp("accessTokenMaxTTL", "0")).toBe("Seconds from first issuance, over all renewals; 0 = no limit. Now: no limit.");
    expect(secondsHelp("accessTokenMaxTTL", "1h")).toBe(fieldHelp("accessTokenMaxTTL"));
  });
});

describe("FieldHelp", () => {
  it("renders backticks as code, with the form's own words before and after", async () => {
    const html = await jsx(FieldHelp, { field: "accessTokenTrustedIps", before: "One per line. ", after: " More." }).toString();
    expect(html).toBe(
      "One per line. Checked on every use of a token (against <code>CF-Connecting-IP</code>), with the current list. " +
        "<code>0.0.0.0/0</code> and <code>::/0</code> allow every address. More.",
    );
  });
});
