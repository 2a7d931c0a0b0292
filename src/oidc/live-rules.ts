/**
 * The rules a live access token is held to: whether an identity's *current* OIDC Auth configuration would
 * still admit the ID token the access token was issued for. A login signs into the access token the ID
 * token's claim snapshot (`claimSnapshot`), where its keys came from (`keySourceFingerprint`) and which
 * configuration admitted it (`configFingerprint`); the identity's Durable Object keeps the current
 * configuration's `LiveRules` in its policy and, once the configuration differs from the token's, asks
 * `configAdmitsClaims` (src/tokens/admission.ts). See docs/architecture.md, "How configuration changes
 * reach live tokens".
 */
import type { JWTPayload } from "jose";
import { encodeBase64url } from "../encoding/base64url";
import { sha256 } from "../encoding/sha256";
import { failure, Reason, type Failure } from "../errors";
import type { OidcAuthConfig } from "../storage/records";
import { checkBindings } from "./bindings";
import type { ClaimSnapshot, LeftOut } from "./claim-snapshot";

/** What a decision on a live token needs of a configuration: small, plain data (it crosses RPC). */
export interface LiveRules {
  boundIssuer: string;
  boundSubject: string;
  boundAudiences: string;
  boundClaims: Record<string, string>;
  /** The CEL condition ("" for none), evaluated by checkBindings after the globs. */
  condition: string;
  /** `keySourceFingerprint` of the configuration. */
  keySource: string;
  /** `configFingerprint` of the configuration: equal to a token's `cfp` when it was issued under exactly it. */
  version: string;
  /** The configuration's `updatedAt` in epoch ms (NaN if unreadable): judges tokens issued without a snapshot. */
  updatedAtMs: number;
}

/** What an access token carries of the login it was issued for (its signed `idc`, `idd` and `kfp` claims). */
export interface IssuedFor {
  claims: ClaimSnapshot;
  keySource: string;
  /** what the snapshot left out; absent (a caller of an older version): "unknown" */
  leftOut?: LeftOut;
}

/**
 * THE re-check of a live token: would the configuration admit the ID token whose snapshot it carries? Pure.
 * Refuses when the keys now come from elsewhere (the signature was checked against the old source and
 * cannot be checked again: only its claims were kept), when `iss` is not the bound issuer, or when the
 * bindings (subject, audiences, claims, condition: `checkBindings`, the very evaluation of a login) refuse. Answers
 * the refusal a login would get (or null when admitted); the caller turns it into `binding_changed`.
 */
export function configAdmitsClaims(rules: LiveRules, issued: IssuedFor): Failure | null {
  if (issued.keySource !== rules.keySource) {
    return failure(Reason.key_not_found, "The configuration now takes the issuer's keys from another source");
  }
  if (issued.claims.iss !== rules.boundIssuer) return failure(Reason.issuer_mismatch);
  const bindings = checkBindings(issued.claims as JWTPayload, rules, issued.leftOut ?? "unknown");
  return bindings.ok ? null : bindings;
}

/**
 * Where a configuration's keys come from: its discovery URL, `jwksUrl` and `jwksJson`. Any change of these
 * (even one that would fetch the same keys) changes the fingerprint: tokens issued under the old source end.
 */
export const keySourceFingerprint = (config: OidcAuthConfig): Promise<string> =>
  fingerprint(JSON.stringify([config.oidcDiscoveryUrl, config.jwksUrl ?? "", config.jwksJson ?? ""]));

/**
 * The whole configuration but its timestamps, in a canonical form: any field, including one added later,
 * changes it. (A change of TTL or trusted IPs therefore re-checks each live token once; the check admits
 * those that still match.)
 */
export const configFingerprint = (config: OidcAuthConfig): Promise<string> =>
  fingerprint(JSON.stringify(canonical({ ...config, createdAt: undefined, updatedAt: undefined })));

/** The configuration's `LiveRules`, computed once per configuration object (a login context holds one). */
export function liveRules(config: OidcAuthConfig): Promise<LiveRules> {
  let rules = computed.get(config);
  if (!rules) {
    rules = computeLiveRules(config);
    computed.set(config, rules);
  }
  return rules;
}

const computed = new WeakMap<OidcAuthConfig, Promise<LiveRules>>();

async function computeLiveRules(config: OidcAuthConfig): Promise<LiveRules> {
  const [keySource, version] = await Promise.all([keySourceFingerprint(config), configFingerprint(config)]);
  return {
    boundIssuer: config.boundIssuer,
    boundSubject: config.boundSubject,
    boundAudiences: config.boundAudiences,
    boundClaims: config.boundClaims,
    condition: config.condition,
    keySource,
    version,
    updatedAtMs: Date.parse(config.updatedAt),
  };
}

/** 128 bits of SHA-256, base64url: 22 characters. */
async function fingerprint(text: string): Promise<string> {
  return encodeBase64url((await sha256(text)).subarray(0, 16));
}

/** Objects with their keys sorted, at every depth: the same configuration read twice gives the same text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, canonical(object[key])]),
  );
}
