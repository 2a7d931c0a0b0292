// The console's OIDC Auth form as data (src/console/oidc-auth/form-model.ts): what a submitted form becomes
// for the service, what a saved configuration puts back into the fields, and how the service's issues are
// worded next to the fields. The service's own parser (parseOidcConfig) is used as the other side.
import { jsx } from "hono/jsx";
import { describe, expect, it } from "vitest";
import { OidcForm } from "../../src/console/oidc-auth/form";
import {
  defaultValues,
  errorsByField,
  inputFromForm,
  isPreset,
  PRESETS,
  valuesFromConfig,
  withPreset,
  type OidcFormValues,
} from "../../src/console/oidc-auth/form-model";
import { refusalOf } from "../../src/console/refusals";
import { enforceConfigPolicy } from "../../src/oidc/config-policy";
import { parseOidcConfig } from "../../src/oidc/config-schema";
import type { Identity, OidcAuthConfig } from "../../src/storage/records";

const OPTS = { allowInsecure: false };
const GITLAB = "https://gitlab.com";
const SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";

/** The form a browser submits for these values: text fields as they are, every grid row plus a blank one. */
function submitted(v: OidcFormValues, change: Record<string, string> = {}): URLSearchParams {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(v)) if (typeof value === "string") form.set(name, value);
  for (const [k, value] of [...v.claims, ["", ""]]) {
    form.append("claimKey", k!);
    form.append("claimValue", value!);
  }
  for (const [k, claim] of [...v.metadata, ["", ""]]) {
    form.append("metaKey", k!);
    form.append("metaClaim", claim!);
  }
  for (const [name, value] of Object.entries(change)) form.set(name, value);
  return form;
}

/** A form with only these fields (what a hand-made or partial POST carries). */
const form = (fields: Record<string, string | string[]>) => {
  const f = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) f.append(name, v);
  return f;
};

/** Form → service input → the service's parser; the issues worded for the form's fields. */
function submit(f: URLSearchParams, existing: OidcAuthConfig | null = null) {
  const { values, input, issues } = inputFromForm(f);
  const parsed = parseOidcConfig(input, existing, OPTS);
  const all = [...issues, ...(parsed.ok ? [] : parsed.issues)];
  return { values, input, parsed, errors: errorsByField(all, values) };
}

const saved: OidcAuthConfig = {
  id: "cfg-1",
  identityId: "id-1",
  oidcDiscoveryUrl: GITLAB,
  boundIssuer: GITLAB,
  caCert: "",
  boundSubject: "project_path:mygroup/*:ref_type:branch:ref:main",
  boundAudiences: "https://edge-oidc-auth.example, https://other.example",
  boundClaims: { ref_protected: "true", project_id: "1234, 5678", "namespace.path": "mygroup" },
  condition: 'claims.ref_type == "branch"',
  claimMetadataMapping: { project: "project_path", ref: "ref" },
  accessTokenTTL: 7200,
  accessTokenMaxTTL: 86400,
  accessTokenNumUsesLimit: 5,
  accessTokenTrustedIps: [{ ipAddress: "203.0.113.0/24" }, { ipAddress: "2001:db8::/32" }],
  jwksUrl: "https://gitlab.com/oauth/discovery/keys",
  jwksJson: null,
  replayProtection: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};
const { id: _id, identityId: _identityId, createdAt: _c, updatedAt: _u, ...savedFields } = saved;

describe("round trips", () => {
  it("a saved configuration, shown in the form and submitted unchanged, parses back to itself", () => {
    const values = valuesFromConfig(saved);
    expect(values.trustedIps).toBe("203.0.113.0/24\n2001:db8::/32");
    expect(values.claims).toEqual([
      ["ref_protected", "true"],
      ["project_id", "1234, 5678"],
      ["namespace.path", "mygroup"],
    ]);
    const { values: again, parsed } = submit(submitted(values));
    expect(again).toEqual(values);
    expect(parsed).toEqual({ ok: true, fields: savedFields });
  });

  it("the condition goes as typed, its line breaks as LF, and an emptied one removes it", () => {
    const { input } = submit(
      submitted(valuesFromConfig(saved), { condition: ' claims.ref == "main" &&\r\nclaims.ref_protected == "true" ' }),
    );
    expect(input.condition).toBe('claims.ref == "main" &&\nclaims.ref_protected == "true"');
    const { parsed } = submit(submitted(valuesFromConfig(saved), { condition: "  " }), saved);
    expect(parsed.ok && parsed.fields.condition).toBe("");
  });

  it("replay protection is a checkbox: sent checked it saves on, left unchecked (not sent) it saves off", () => {
    const protectedConfig = { ...saved, replayProtection: true };
    const kept = submit(submitted(valuesFromConfig(protectedConfig), { replayProtection: "on" }), protectedConfig);
    expect(kept.parsed.ok && kept.parsed.fields.replayProtection).toBe(true);
    const unchecked = submit(submitted(valuesFromConfig(protectedConfig)), protectedConfig);
    expect(unchecked.parsed.ok && unchecked.parsed.fields.replayProtection).toBe(false);
  });

  it("the defaults, with an issuer and a subject filled in, save what an API call with only those gets", () => {
    const values = { ...withPreset(defaultValues(), "gitlab"), boundSubject: SUBJECT };
    const { parsed } = submit(submitted(values));
    const api = parseOidcConfig({ oidcDiscoveryUrl: GITLAB, boundIssuer: GITLAB, boundSubject: SUBJECT }, null, OPTS);
    expect(api.ok).toBe(true);
    expect(parsed).toEqual(api);
  });

  it("a configuration without metadata mapping or JWKS shows empty fields and saves them as none", () => {
    const values = valuesFromConfig({ ...saved, claimMetadataMapping: null, jwksUrl: null, jwksJson: null });
    expect([values.metadata, values.jwksUrl, values.jwksJson]).toEqual([[], "", ""]);
    const { input } = submit(submitted(values));
    expect([input.claimMetadataMapping, input.jwksUrl, input.jwksJson]).toEqual([null, null, null]);
  });
});

describe("presets", () => {
  it("fill in the discovery URL and the issuer, and nothing else", () => {
    const values = withPreset(valuesFromConfig(saved), "github");
    expect(values).toEqual({
      ...valuesFromConfig(saved),
      oidcDiscoveryUrl: PRESETS.github.issuer,
      boundIssuer: PRESETS.github.issuer,
    });
  });

  it.each([
    ["gitlab", true],
    ["github", true],
    ["bitbucket", false],
    ["", false],
    [undefined, false],
  ])("%j is a preset: %s", (name, expected) => {
    expect(isPreset(name)).toBe(expected);
  });
});

describe("blank is not zero", () => {
  it("0 is a number: no limit, unlimited uses", () => {
    const { parsed } = submit(
      submitted(valuesFromConfig(saved), { accessTokenTTL: "0", accessTokenMaxTTL: " 0 ", accessTokenNumUsesLimit: "0" }),
    );
    expect(
      parsed.ok && [parsed.fields.accessTokenTTL, parsed.fields.accessTokenMaxTTL, parsed.fields.accessTokenNumUsesLimit],
    ).toEqual([0, 0, 0]);
  });

  it("a blank number field is refused, worded for the form rather than as 'expected number'", () => {
    const { errors } = submit(
      submitted(valuesFromConfig(saved), { accessTokenTTL: "", accessTokenMaxTTL: "", accessTokenNumUsesLimit: " " }),
    );
    expect(errors).toEqual({
      accessTokenTTL: ["must be a whole number of seconds (0 = no limit)"],
      accessTokenMaxTTL: ["must be a whole number of seconds (0 = no limit)"],
      accessTokenNumUsesLimit: ["must be a whole number (0 = unlimited)"],
    });
  });

  it("words a non-number the same way, and leaves the service's other number messages alone", () => {
    const words = submit(submitted(valuesFromConfig(saved), { accessTokenTTL: "1h" })).errors;
    expect(words).toEqual({ accessTokenTTL: ["must be a whole number of seconds (0 = no limit)"] });
    const above = submit(submitted(valuesFromConfig(saved), { accessTokenTTL: "7200", accessTokenMaxTTL: "3600" })).errors;
    expect(above).toEqual({ accessTokenTTL: ["must not be greater than accessTokenMaxTTL"] });
  });

  it("a blank text field is empty, a blank JWKS field is none, and every field is trimmed", () => {
    const { values, input } = inputFromForm(
      form({ boundSubject: "  ", caCert: "", jwksUrl: " ", jwksJson: "", boundIssuer: `  ${GITLAB}\n` }),
    );
    expect([input.boundSubject, input.caCert, input.jwksUrl, input.jwksJson, input.boundIssuer]).toEqual(["", "", null, null, GITLAB]);
    expect(values.boundIssuer).toBe(GITLAB);
  });

  it("a form without the number fields sends them blank (refused), not as defaults", () => {
    const { input } = inputFromForm(form({ oidcDiscoveryUrl: GITLAB }));
    expect([input.accessTokenTTL, input.accessTokenMaxTTL, input.accessTokenNumUsesLimit]).toEqual(["", "", ""]);
  });
});

describe("trusted IPs", () => {
  it("are one entry per line, and commas and spaces separate too; blank lines are skipped", () => {
    const { input } = inputFromForm(form({ trustedIps: "203.0.113.0/24\n\n 198.51.100.7, 2001:db8::/32\r\n10.0.0.0/8 192.0.2.1\n" }));
    expect(input.accessTokenTrustedIps).toEqual(
      ["203.0.113.0/24", "198.51.100.7", "2001:db8::/32", "10.0.0.0/8", "192.0.2.1"].map((ipAddress) => ({ ipAddress })),
    );
  });

  it("an empty list is refused with the service's message (0.0.0.0/0 and ::/0 allow everything)", () => {
    const { input, errors } = submit(submitted(valuesFromConfig(saved), { trustedIps: " \n " }));
    expect(input.accessTokenTrustedIps).toEqual([]);
    expect(errors).toEqual({ accessTokenTrustedIps: ["at least one range; use 0.0.0.0/0 and ::/0 to allow every address"] });
  });

  it("a bad entry is named by its text and its position in the list", () => {
    const { errors } = submit(submitted(valuesFromConfig(saved), { trustedIps: "203.0.113.0/24\n10.0.0.0/33, nonsense" }));
    expect(errors).toEqual({
      accessTokenTrustedIps: [
        "“10.0.0.0/33” (entry 2): must be an IPv4/IPv6 address or CIDR range",
        "“nonsense” (entry 3): must be an IPv4/IPv6 address or CIDR range",
      ],
    });
  });
});

describe("claim grids", () => {
  it("pair keys and values by position, trim them and drop blank rows", () => {
    const { values, input, issues } = inputFromForm(
      form({
        claimKey: [" ref_protected ", "", "project_id"],
        claimValue: ["true ", " ", "1234"],
        metaKey: ["", "project"],
        metaClaim: ["", "project_path"],
      }),
    );
    expect(issues).toEqual([]);
    expect(values.claims).toEqual([
      ["ref_protected", "true"],
      ["project_id", "1234"],
    ]);
    expect(input.boundClaims).toEqual({ ref_protected: "true", project_id: "1234" });
    expect(input.claimMetadataMapping).toEqual({ project: "project_path" });
  });

  it("keep a claim whose allowed value is empty (it then matches only an empty claim)", () => {
    expect(inputFromForm(form({ claimKey: "environment", claimValue: "" })).input.boundClaims).toEqual({ environment: "" });
  });

  it("a grid with no filled row is no claims and no metadata mapping", () => {
    const { input } = inputFromForm(form({ claimKey: ["", ""], claimValue: ["", ""], metaKey: "", metaClaim: "" }));
    expect([input.boundClaims, input.claimMetadataMapping]).toEqual([{}, null]);
  });

  it("a value without a name and a name twice are reported on the grid, before the service is asked", () => {
    const { input, issues } = inputFromForm(
      form({ claimKey: ["", "a", "a"], claimValue: ["orphan", "1", "2"], metaKey: ["x", "x"], metaClaim: ["p", "q"] }),
    );
    expect(issues).toEqual([
      { field: "boundClaims", message: "row 1: enter the claim name for “orphan”" },
      { field: "boundClaims", message: "“a” appears twice" },
      { field: "claimMetadataMapping", message: "“x” appears twice" },
    ]);
    // The first of two rows with one name is what the input keeps.
    expect([input.boundClaims, input.claimMetadataMapping]).toEqual([{ a: "1" }, { x: "p" }]);
    expect(errorsByField(issues, defaultValues())).toEqual({
      boundClaims: ["row 1: enter the claim name for “orphan”", "“a” appears twice"],
      claimMetadataMapping: ["“x” appears twice"],
    });
  });

  it("the service's complaint about one entry names that entry", () => {
    const { errors } = submit(submitted({ ...valuesFromConfig(saved), metadata: [["bad key!", "project_path"]] }));
    expect(Object.keys(errors)).toEqual(["claimMetadataMapping"]);
    expect(errors.claimMetadataMapping![0]).toMatch(/^bad key!: /);
  });
});

describe("the service's issues, per form field", () => {
  it("go to the field they name, several per field in order", () => {
    const values = valuesFromConfig(saved);
    expect(
      errorsByField(
        [
          { field: "oidcDiscoveryUrl", message: "must use https" },
          { field: "accessTokenTTL", message: "must not be greater than accessTokenMaxTTL" },
          { field: "oidcDiscoveryUrl", message: "is required" },
        ],
        values,
      ),
    ).toEqual({ oidcDiscoveryUrl: ["must use https", "is required"], accessTokenTTL: ["must not be greater than accessTokenMaxTTL"] });
  });

  it("fields first: a configuration that binds nothing and has a bad URL is refused for the URL", () => {
    const { errors } = submit(
      submitted({ ...valuesFromConfig(saved), boundSubject: "**", claims: [["aud", "x"]], oidcDiscoveryUrl: "http://gitlab.com" }),
    );
    expect(Object.keys(errors)).toEqual(["oidcDiscoveryUrl"]);
  });

  it("then the condition, with its position, and owner pinning, each shown at its field", () => {
    const policyErrors = (values: OidcFormValues) => {
      const { parsed } = submit(submitted(values));
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      try {
        enforceConfigPolicy(parsed.fields);
      } catch (err) {
        return errorsByField(refusalOf(err)!.issues, values);
      }
      return {};
    };
    const broad = policyErrors({ ...valuesFromConfig(saved), boundSubject: "**", claims: [["ref_protected", "true"]], condition: "" });
    expect(broad).toEqual({ boundSubject: [expect.stringMatching(/^boundSubject can match GitLab subjects/)] });
    const typo = policyErrors({ ...valuesFromConfig(saved), condition: 'claims.ref == "main" &&\r\n  claims.ref ==== "x"' });
    expect(typo).toEqual({ condition: [expect.stringMatching(/^line 2, column 16: /)] });
  });

  it("say nothing when there is nothing to say", () => {
    expect(errorsByField([], defaultValues())).toEqual({});
  });
});

describe("the form's markup", () => {
  const identity: Identity = {
    id: "id-1",
    orgId: "org-1",
    name: "deployer",
    role: "member",
    stateObject: "00",
    authMethods: ["oidc-auth"],
    createdAt: saved.createdAt,
    updatedAt: saved.updatedAt,
  };
  const unescapeHtml = (text: string) =>
    text.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" })[e]!);

  /** What a browser submits for the rendered form, unchanged: every named input and textarea, in order. */
  async function rendered(values: OidcFormValues): Promise<URLSearchParams> {
    const html = await jsx(OidcForm, { ui: { nonce: "n", csrf: "c" }, identity, values, errors: {}, attached: true }).toString();
    const out = new URLSearchParams();
    for (const [, tag, attrs, body] of html.matchAll(/<(input|textarea)\b([^>]*)>(?:([^<]*)<\/textarea>)?/g)) {
      const name = /\bname="([^"]*)"/.exec(attrs!)?.[1];
      if (!name || name === "_csrf") continue;
      // A browser sends a checkbox only when it is checked, as "on" (it has no value attribute).
      if (/\btype="checkbox"/.test(attrs!)) {
        if (/\bchecked\b/.test(attrs!)) out.append(name, "on");
        continue;
      }
      out.append(name, unescapeHtml(tag === "textarea" ? body! : (/\bvalue="([^"]*)"/.exec(attrs!)?.[1] ?? "")));
    }
    return out;
  }

  it("submits exactly the values it shows", async () => {
    const values = valuesFromConfig({ ...saved, caCert: "", jwksJson: '{"keys":[]}', boundSubject: 'a "quoted" <subject> & more' });
    expect(inputFromForm(await rendered(values)).values).toEqual(values);
    const protectedValues = valuesFromConfig({ ...saved, replayProtection: true });
    expect(inputFromForm(await rendered(protectedValues)).values).toEqual(protectedValues);
  });

  it("shows two blank claim rows when there are none, so submitting it unchanged adds nothing", async () => {
    const submittedForm = await rendered(defaultValues());
    expect(submittedForm.getAll("claimKey")).toEqual(["", ""]);
    expect(inputFromForm(submittedForm).values).toEqual(defaultValues());
  });
});
