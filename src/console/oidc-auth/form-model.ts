// The OIDC Auth form as data, without markup or I/O: the values its fields hold (typed by the admin, read
// from the saved configuration, or the defaults), the service's input built from them, and the service's
// issues worded for those fields.
import { DEFAULT_TRUSTED_IPS, OIDC_DEFAULT_TTL_SECONDS } from "../../constants";
import type { OidcAuthConfig } from "../../storage/records";
import { NOT_A_WHOLE_NUMBER } from "../../oidc/config-schema";
import type { FieldErrors, FieldIssue } from "../forms";

/** What the fields hold, as text; key/value grids as [key, value] rows. */
export interface OidcFormValues {
  oidcDiscoveryUrl: string;
  boundIssuer: string;
  caCert: string;
  boundSubject: string;
  boundAudiences: string;
  claims: [string, string][];
  /** the CEL condition ("" = none) */
  condition: string;
  /** an ID token may log in once (a checkbox: on or off) */
  replayProtection: boolean;
  metadata: [string, string][];
  accessTokenTTL: string;
  accessTokenMaxTTL: string;
  accessTokenNumUsesLimit: string;
  /** one IP address or CIDR range per line */
  trustedIps: string;
  jwksUrl: string;
  jwksJson: string;
}

/** A new configuration's fields: the service's defaults. */
export const defaultValues = (): OidcFormValues => ({
  oidcDiscoveryUrl: "",
  boundIssuer: "",
  caCert: "",
  boundSubject: "",
  boundAudiences: "",
  claims: [],
  condition: "",
  replayProtection: false,
  metadata: [],
  accessTokenTTL: String(OIDC_DEFAULT_TTL_SECONDS),
  accessTokenMaxTTL: String(OIDC_DEFAULT_TTL_SECONDS),
  accessTokenNumUsesLimit: "0",
  trustedIps: DEFAULT_TRUSTED_IPS.join("\n"),
  jwksUrl: "",
  jwksJson: "",
});

/** A saved configuration's fields. */
export const valuesFromConfig = (c: OidcAuthConfig): OidcFormValues => ({
  oidcDiscoveryUrl: c.oidcDiscoveryUrl,
  boundIssuer: c.boundIssuer,
  caCert: c.caCert,
  boundSubject: c.boundSubject,
  boundAudiences: c.boundAudiences,
  claims: Object.entries(c.boundClaims),
  condition: c.condition,
  replayProtection: c.replayProtection,
  metadata: Object.entries(c.claimMetadataMapping ?? {}),
  accessTokenTTL: String(c.accessTokenTTL),
  accessTokenMaxTTL: String(c.accessTokenMaxTTL),
  accessTokenNumUsesLimit: String(c.accessTokenNumUsesLimit),
  trustedIps: c.accessTokenTrustedIps.map((i) => i.ipAddress).join("\n"),
  jwksUrl: c.jwksUrl ?? "",
  jwksJson: c.jwksJson ?? "",
});

/** Issuer presets: the two shared issuers CI jobs use most. Only issuer and discovery URL are filled in. */
export const PRESETS = {
  gitlab: {
    label: "GitLab.com",
    issuer: "https://gitlab.com",
    subject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  },
  github: {
    label: "GitHub Actions",
    issuer: "https://token.actions.githubusercontent.com",
    subject: "repo:octo-org/octo-repo:ref:refs/heads/main",
  },
} as const;
export type PresetName = keyof typeof PRESETS;
export const isPreset = (p: string | undefined): p is PresetName => p === "gitlab" || p === "github";

/** `values` with a preset's issuer as discovery URL and issuer. */
export const withPreset = (values: OidcFormValues, preset: PresetName): OidcFormValues => ({
  ...values,
  oidcDiscoveryUrl: PRESETS[preset].issuer,
  boundIssuer: PRESETS[preset].issuer,
});

/** Rows of a key/value grid: keys and values paired by position, trimmed, blank rows dropped. */
function pairs(form: URLSearchParams, keyName: string, valueName: string): [string, string][] {
  const keys = form.getAll(keyName);
  const values = form.getAll(valueName);
  const out: [string, string][] = [];
  for (let i = 0; i < Math.max(keys.length, values.length); i++) {
    const k = (keys[i] ?? "").trim();
    const v = (values[i] ?? "").trim();
    if (k || v) out.push([k, v]);
  }
  return out;
}

/** The entries of the trusted IPs text: separated by line breaks, spaces or commas. */
const ipList = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/**
 * Reads the submitted form: the values to show again, the service's raw input (validated by the service,
 * not here), and the problems of grid rows that the service cannot see (a value without a key, a key twice).
 */
export function inputFromForm(form: URLSearchParams): {
  values: OidcFormValues;
  input: Record<string, unknown>;
  issues: FieldIssue[];
} {
  const get = (name: string) => (form.get(name) ?? "").trim();
  const values: OidcFormValues = {
    oidcDiscoveryUrl: get("oidcDiscoveryUrl"),
    boundIssuer: get("boundIssuer"),
    caCert: get("caCert"),
    boundSubject: get("boundSubject"),
    boundAudiences: get("boundAudiences"),
    claims: pairs(form, "claimKey", "claimValue"),
    // Browsers submit a textarea's line breaks as CRLF: positions in the condition count LF only.
    condition: get("condition").replaceAll("\r\n", "\n"),
    // A checkbox is sent only when checked.
    replayProtection: form.has("replayProtection"),
    metadata: pairs(form, "metaKey", "metaClaim"),
    accessTokenTTL: get("accessTokenTTL"),
    accessTokenMaxTTL: get("accessTokenMaxTTL"),
    accessTokenNumUsesLimit: get("accessTokenNumUsesLimit"),
    trustedIps: get("trustedIps"),
    jwksUrl: get("jwksUrl"),
    jwksJson: get("jwksJson"),
  };
  const issues: FieldIssue[] = [];
  const record = (rows: [string, string][], field: string, what: string) => {
    const out: Record<string, string> = {};
    rows.forEach(([k, v], i) => {
      if (!k) issues.push({ field, message: `row ${i + 1}: enter the ${what} name for “${v}”` });
      else if (Object.hasOwn(out, k)) issues.push({ field, message: `“${k}” appears twice` });
      else out[k] = v;
    });
    return out;
  };
  const boundClaims = record(values.claims, "boundClaims", "claim");
  const mapping = record(values.metadata, "claimMetadataMapping", "metadata key");
  const input: Record<string, unknown> = {
    oidcDiscoveryUrl: values.oidcDiscoveryUrl,
    boundIssuer: values.boundIssuer,
    caCert: values.caCert,
    boundSubject: values.boundSubject,
    boundAudiences: values.boundAudiences,
    boundClaims,
    condition: values.condition,
    replayProtection: values.replayProtection,
    claimMetadataMapping: Object.keys(mapping).length ? mapping : null,
    accessTokenTTL: values.accessTokenTTL,
    accessTokenMaxTTL: values.accessTokenMaxTTL,
    accessTokenNumUsesLimit: values.accessTokenNumUsesLimit,
    accessTokenTrustedIps: ipList(values.trustedIps).map((ipAddress) => ({ ipAddress })),
    jwksUrl: values.jwksUrl || null,
    jwksJson: values.jwksJson || null,
  };
  return { values, input, issues };
}

const NUMBER_FIELDS = new Set(["accessTokenTTL", "accessTokenMaxTTL", "accessTokenNumUsesLimit"]);

/**
 * Issues (the service's or the grids') as messages per form field ("_form" for none), worded for the form:
 * which trusted IP entry, which claim, and what a number field takes instead of the API's wording (NOT_A_WHOLE_NUMBER).
 */
export function errorsByField(issues: FieldIssue[], values: OidcFormValues): FieldErrors {
  const out: FieldErrors = {};
  const ips = ipList(values.trustedIps);
  for (const { field, message } of issues) {
    const [head = "_form", ...rest] = field.split(".");
    let text = message;
    if (head === "accessTokenTrustedIps" && rest.length && /^\d+$/.test(rest[0]!)) {
      const i = Number(rest[0]);
      text = `“${ips[i] ?? ""}” (entry ${i + 1}): ${message}`;
    } else if ((head === "boundClaims" || head === "claimMetadataMapping") && rest.length) {
      text = `${rest.join(".")}: ${message}`;
    } else if (NUMBER_FIELDS.has(head) && message === NOT_A_WHOLE_NUMBER) {
      text =
        head === "accessTokenNumUsesLimit"
          ? "must be a whole number (0 = unlimited)"
          : "must be a whole number of seconds (0 = no limit)";
    }
    (out[head] ??= []).push(text);
  }
  return out;
}
