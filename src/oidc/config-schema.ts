import * as z from "zod";
import { DEFAULT_TRUSTED_IPS, OIDC_DEFAULT_TTL_SECONDS, OIDC_MAX_TTL_BOUND_SECONDS } from "../constants";
import type { OidcAuthFields } from "../storage/oidc-auth-configs";
import type { OidcAuthConfig } from "../storage/records";
import { ipTypeOf, parseIpRange } from "../net/ip-ranges";
import { splitPatternList } from "./glob";
import { checkFetchableUrl } from "./url-policy";
import { parseJwks, PRIVATE_MEMBERS, rejectKey } from "./jwks";
import { pemCertificateProblem } from "./pem";
import { parseStrictJson } from "./strict-json";

/**
 * A whole number from 0 to `max`. Integers arrive as JSON numbers from the API and as digit strings from
 * HTML forms and Infisical's dashboard; anything else (`"1e3"`, `1.5`) is refused saying both are taken.
 */
export const NOT_A_WHOLE_NUMBER = "expected a whole number, or a string of decimal digits";

/**
 * Metadata of a whole number that is also taken as a string of decimal digits: the API reference shows
 * both forms (src/http/openapi/document.ts), where the schema's own JSON Schema shows only the number.
 */
export const DIGIT_STRING_TOO = { "x-digit-string-too": true } as const;

const wholeNumber = (max: number) =>
  z
    .preprocess(
      (v) => (typeof v === "string" && /^\d{1,10}$/.test(v.trim()) ? Number(v.trim()) : v),
      z
        .number({
          error: (issue) => (issue.code === "invalid_type" ? NOT_A_WHOLE_NUMBER : undefined),
        })
        .int()
        .min(0)
        .max(max),
    )
    .meta(DIGIT_STRING_TOO);
const seconds = wholeNumber(OIDC_MAX_TTL_BOUND_SECONDS);
const count = wholeNumber(1_000_000_000);

/**
 * A trusted IP as a request sends it: Infisical's request shape `{ ipAddress: "10.0.0.0/8" }` (an address or
 * a CIDR range), or the shape its responses (and ours) read back, `{ ipAddress: "10.0.0.0", type: "ipv4",
 * prefix: 8 }`, so that a read-then-update round trip keeps its meaning. Stored as the text written
 * (`10.0.0.0/8`, `1.2.3.4`): a single address stays one without a prefix, so the answer says what was sent
 * (Infisical's Terraform provider rebuilds `ipAddress + "/" + prefix` and would see drift otherwise). The
 * spelling is checked strictly (src/net/ip-ranges.ts); matching parses it again on every use.
 */
const trustedIp = z
  .object({
    ipAddress: z.string().trim().describe("an IPv4/IPv6 address or CIDR range (`10.0.0.0/8`), or an address with `prefix`"),
    prefix: z
      .number()
      .int()
      .min(0)
      .max(128)
      .nullish()
      .describe("the range's prefix length, as answers give it; absent for a single address"),
    type: z.enum(["ipv4", "ipv6"]).nullish().describe("`ipv4` or `ipv6`, as answers give it; must agree with the address"),
  })
  .transform((v, ctx) => {
    const [address = "", written] = v.ipAddress.split(/\/(.*)/s); // the address, and the prefix written after a "/"
    const prefix = v.prefix ?? null;
    const text = prefix === null || written !== undefined ? v.ipAddress : `${v.ipAddress}/${prefix}`;
    if (parseIpRange(text) === null) {
      ctx.addIssue({ code: "custom", path: ["ipAddress"], message: "must be an IPv4/IPv6 address or CIDR range" });
      return z.NEVER;
    }
    if (written !== undefined && prefix !== null && String(prefix) !== written) {
      ctx.addIssue({ code: "custom", path: ["prefix"], message: "contradicts the prefix written in ipAddress" });
      return z.NEVER;
    }
    if (v.type && v.type !== ipTypeOf(address)) {
      ctx.addIssue({ code: "custom", path: ["type"], message: `is ${ipTypeOf(address)} for this address` });
      return z.NEVER;
    }
    return { ipAddress: text };
  });

const trustedIps = z.array(trustedIp).min(1, "at least one range; use 0.0.0.0/0 and ::/0 to allow every address").max(100);

const claimKey = z.string().min(1).max(256);
const patternText = z.string().max(4096);

/**
 * Every field of a configuration; all optional so the same shape serves POST (with defaults) and PATCH.
 * Members it does not name are ignored, as Infisical's schemas ignore them (the API says which it ignored:
 * src/http/ignored-keys.ts).
 * Each field's description is written once, here: the console shows it as the field's help (adding only
 * what is about its form: lines, rows, the current value) and the API reference can read it from the
 * schema. Backticks mark code (`iss`).
 */
const fieldsSchema = z.object({
  oidcDiscoveryUrl: z
    .string()
    .trim()
    .min(1)
    .max(2048)
    .describe(
      "The issuer's base URL; `/.well-known/openid-configuration` is appended. GitLab: `https://gitlab.com` (self-managed: the instance URL). " +
        "GitHub: `https://token.actions.githubusercontent.com` (GHES: `https://HOST/_services/token`).",
    ),
  boundIssuer: z
    .string()
    .min(1)
    .max(2048)
    .describe(
      "Must equal the token's `iss` byte for byte, and the discovery document's `issuer`. Usually the same as the discovery URL.",
    ),
  // Informational on Workers (fetch cannot trust a custom CA): validated and stored, see src/oidc/pem.ts.
  caCert: z
    .string()
    .max(65_536)
    .transform((v) => (v.trim() === "" ? "" : v))
    .superRefine((v, ctx) => {
      const problem = v.trim() === "" ? null : pemCertificateProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe(
      "PEM (-----BEGIN CERTIFICATE-----) of the CA behind a self-managed IdP's TLS certificate. Stored for compatibility with Infisical; " +
        "a Worker's outbound requests use the platform's trust store, so for an IdP behind a private CA supply its JWKS under Advanced instead.",
    ),
  boundSubject: patternText.describe(
    "One pattern for `sub`. GitLab: `project_path:GROUP/PROJECT:ref_type:branch|tag:ref:NAME`. " +
      "GitHub: `repo:OWNER/REPO:ref:refs/heads/BRANCH`, `repo:O/R:environment:E`, `repo:O/R:pull_request` " +
      "(a `:` inside a value is written `%3A`).",
  ),
  // A list with no pattern in it (" ", ",") binds no audience, as an empty one does (Infisical trims it to "").
  boundAudiences: patternText
    .transform((v) => (splitPatternList(v).length === 0 ? "" : v))
    .describe(
      "Comma-separated patterns; one must match an `aud` entry. GitLab: the `aud` your job's `id_tokens:` asks for. " +
        "GitHub: defaults to `https://github.com/OWNER`.",
    ),
  boundClaims: z
    .record(claimKey, patternText)
    .refine((r) => Object.keys(r).length <= 64, "at most 64 claims")
    .superRefine((r, ctx) => {
      // A bound claim with no pattern (" ", ",") would refuse every token, which no one means by it.
      for (const [claim, list] of Object.entries(r)) {
        if (splitPatternList(list).length === 0) {
          ctx.addIssue({ code: "custom", path: [claim], message: "needs at least one pattern; remove the claim to stop binding it" });
        }
      }
    })
    .describe(
      "Every claim listed must match; a value is a comma-separated list of patterns, any of which may match. Names may be dot paths. " +
        "GitLab: bind `project_id` and `ref_protected` = `true` for anything sensitive (in a merge-request pipeline from a fork, " +
        "`project_*` describe the fork). GitHub: `repository_id`, `repository_owner_id`, `environment`, `ref`.",
    ),
  condition: z
    .string()
    .max(4096)
    .transform((v) => (v.trim() === "" ? "" : v))
    .describe(
      "A CEL expression over `claims` (the verified ID token's payload) that must be `true`, on top of the patterns; empty = none. " +
        'Example: `claims.ref_type == "tag" && claims.ref.matches("^v[0-9]+[.][0-9]+[.][0-9]+$") && !(claims.user_login in ["dependabot[bot]"])`. ' +
        "`matches` is RE2; also `startsWith`, `endsWith`, `contains`, `size`, `has`, `in`, `exists`, `all`, `split`, `lowerAscii`. " +
        "A missing claim, a wrong type or an error refuses the login (`condition_failed`). " +
        'A top-level conjunct `claims.namespace_id == "1234"` (or `in [...]`) on an owner claim pins the owner.',
    ),
  claimMetadataMapping: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - only"), claimKey)
    .refine((r) => Object.keys(r).length <= 32, "at most 32 mappings")
    .nullable()
    .describe(
      "Copied from the ID token into the access token's metadata, for downstream services. Values over 256 characters are left out.",
    ),
  accessTokenTTL: seconds.describe(
    "Seconds each token lives; 0 = no limit (the deployment ceiling still applies). Not above the max TTL.",
  ),
  accessTokenMaxTTL: seconds.describe("Seconds from first issuance, over all renewals; 0 = no limit."),
  accessTokenNumUsesLimit: count.describe(
    "0 = unlimited. Exactly this many uses succeed, under any concurrency; refused uses consume nothing.",
  ),
  accessTokenTrustedIps: trustedIps.describe(
    "Checked on every use of a token (against `CF-Connecting-IP`), with the current list. `0.0.0.0/0` and `::/0` allow every address.",
  ),
  jwksUrl: z
    .string()
    .trim()
    .max(2048)
    .nullable()
    .describe("Use this key set instead of the discovery document's jwks_uri (also allows another host)."),
  jwksJson: z.string().max(65_536).nullable().describe("A key set you supply; then no key is fetched."),
  replayProtection: z
    .boolean()
    .describe("Refuse a second login with the same ID token (`iss`, `jti`) while it is valid; costs a Durable Object call per login."),
});

export const oidcConfigInputSchema = fieldsSchema.partial();
export type OidcConfigInput = z.input<typeof oidcConfigInputSchema>;

const DEFAULTS: Omit<OidcAuthFields, "oidcDiscoveryUrl" | "boundIssuer"> = {
  caCert: "",
  boundSubject: "",
  boundAudiences: "",
  boundClaims: {},
  condition: "",
  claimMetadataMapping: null,
  accessTokenTTL: OIDC_DEFAULT_TTL_SECONDS,
  accessTokenMaxTTL: OIDC_DEFAULT_TTL_SECONDS,
  accessTokenNumUsesLimit: 0,
  accessTokenTrustedIps: DEFAULT_TRUSTED_IPS.map((ipAddress) => ({ ipAddress })),
  jwksUrl: null,
  jwksJson: null,
  replayProtection: false,
};

export interface FieldIssue {
  field: string;
  message: string;
}

export type ConfigParseResult = { ok: true; fields: OidcAuthFields } | { ok: false; issues: FieldIssue[] };

/**
 * Validates a POST (existing = null, defaults applied) or a PATCH (merged over existing), then checks the
 * rules that span fields. Returns every issue with the field it belongs to, so forms can show them inline.
 * What the fields admit (the condition compiles, an owner is pinned) is judged afterwards, on valid fields
 * only: ./config-policy.ts.
 */
export function parseOidcConfig(input: unknown, existing: OidcAuthConfig | null, opts: { allowInsecure: boolean }): ConfigParseResult {
  const reserved = reservedMemberIssues(input);
  if (reserved.length > 0) return { ok: false, issues: reserved };
  const parsed = oidcConfigInputSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        field: i.path.map(String).join("."),
        message: i.message,
      })),
    };
  }
  const input_ = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  const base = existing ?? DEFAULTS;
  const merged = { ...DEFAULTS, ...base, ...input_ } as Partial<OidcAuthFields>;
  const issues: FieldIssue[] = [];

  if (!merged.oidcDiscoveryUrl) issues.push({ field: "oidcDiscoveryUrl", message: "is required" });
  if (!merged.boundIssuer) issues.push({ field: "boundIssuer", message: "is required" });
  for (const field of ["oidcDiscoveryUrl", "jwksUrl"] as const) {
    const url = merged[field];
    if (!url) continue;
    const check = checkFetchableUrl(url, opts);
    if (!check.ok) issues.push({ field, message: check.reason });
    // The discovery path is appended to it (src/oidc/url-policy.ts): after a query it would land in the query.
    else if (field === "oidcDiscoveryUrl" && check.url.href.includes("?")) {
      issues.push({ field, message: "must not contain a query: /.well-known/openid-configuration is appended to it" });
    }
  }
  const f = merged as OidcAuthFields;
  if (f.jwksJson && f.jwksJson.trim() !== "") {
    const problem = jwksJsonProblem(f.jwksJson);
    if (problem) issues.push({ field: "jwksJson", message: problem });
  }
  if (f.accessTokenMaxTTL > 0 && f.accessTokenTTL > f.accessTokenMaxTTL) {
    issues.push({ field: "accessTokenTTL", message: "must not be greater than accessTokenMaxTTL" });
  }
  return issues.length ? { ok: false, issues } : { ok: true, fields: f };
}

/** The maps whose member names are claim names or metadata keys. */
const NAMED_MAPS = ["boundClaims", "claimMetadataMapping"] as const;

/**
 * A member named `__proto__` in those maps: JSON keeps it as a member, but a JavaScript object (zod's output,
 * every copy) cannot (assigning it sets the prototype), so the binding or mapping would vanish without a word.
 */
function reservedMemberIssues(input: unknown): FieldIssue[] {
  if (typeof input !== "object" || input === null) return [];
  return NAMED_MAPS.flatMap((field) => {
    const map = (input as Record<string, unknown>)[field];
    return typeof map === "object" && map !== null && Object.hasOwn(map, "__proto__")
      ? [{ field: `${field}.__proto__`, message: "'__proto__' cannot be a claim name or a metadata key" }]
      : [];
  });
}

/**
 * `jwksJson`, the key set an admin supplies for an IdP the Worker cannot reach: a JWKS object with at least
 * one key the login would use (the same parseJwks/rejectKey rules as a fetched JWKS), and no private or
 * symmetric key at all: pasting one is a leak to report, never something to store.
 */
export function jwksJsonProblem(text: string): string | null {
  let raw: unknown;
  try {
    raw = parseStrictJson(text, { maxDepth: 8 });
  } catch {
    return 'must be a JWKS: a JSON object {"keys":[...]} (no duplicate member names)';
  }
  const keys = (raw as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'must be a JWKS with a non-empty "keys" array';
  if (keys.length > 100) return "at most 100 keys";
  for (const [i, key] of keys.entries()) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) return `key ${i} is not a JSON object`;
    const secret = PRIVATE_MEMBERS.find((m) => Object.hasOwn(key, m));
    if (secret !== undefined || (key as { kty?: unknown }).kty === "oct") {
      return `must not contain private or symmetric keys (key ${i} has '${secret ?? "kty: oct"}'): supply the IdP's public keys only, and treat the pasted key as leaked`;
    }
  }
  if (parseJwks(raw).keys.length === 0) {
    const reasons = keys.map((k, i) => `key ${i}: ${rejectKey(k as Record<string, unknown>) ?? "duplicate"}`).slice(0, 5);
    return `has no usable public signing key (${reasons.join("; ")})`;
  }
  return null;
}
