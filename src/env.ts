import {
  DEFAULT_AUDIT_HOT_DAYS,
  DEFAULT_AUDIT_RETENTION_DAYS,
  DEFAULT_ORG_MAX_IDENTITIES,
  DEFAULT_ORG_MAX_PROJECTS,
  DEFAULT_TOKEN_MAX_LIFETIME_SECONDS,
} from "./constants";
import { log } from "./observability/log";
import type { TokenStateObject } from "./tokens/token-state-object";

/** Bindings and vars of the Worker (wrangler.toml). Vars arrive as strings. */
export interface Env {
  DB: D1Database;
  CACHE: KVNamespace;
  TOKEN_STATE: DurableObjectNamespace<TokenStateObject>;

  /**
   * Secret: bearer key of the admin API, at least 32 characters (a shorter one closes the admin API and the
   * console with 503 `admin_key_too_weak`). Unset means the admin API refuses everyone but org admins.
   */
  ADMIN_API_KEY?: string;
  /**
   * Optional secret, at least 32 characters: the console's session and CSRF keys are derived from
   * ADMIN_API_KEY with it. Unset: with a random salt generated once and kept in D1 (src/console/keys.ts).
   */
  CONSOLE_SECRET?: string;
  /** Secret: JSON `{ "keys": [private JWK with kid, ...], "active": kid? }` used to sign access tokens. */
  SIGNING_KEYS?: string;
  /** "true" lets discovery/JWKS URLs be http, IP literals or loopback. Local dev and tests only. */
  ALLOW_INSECURE_ISSUERS?: string;
  /** Ceiling on any access token's lifetime, seconds (default 30 days). */
  TOKEN_MAX_LIFETIME_SECONDS?: string;
  /** Days audit events are kept (the maintenance cron deletes older ones, in both tiers); default 90. */
  AUDIT_RETENTION_DAYS?: string;
  /**
   * Days of audit events kept in D1 (the hot tier) before the maintenance cron moves them to the
   * AUDIT_ARCHIVE bucket; default 3 (docs/architecture.md, "Audit tiers").
   */
  AUDIT_HOT_DAYS?: string;
  /**
   * R2 bucket of the audit archive (the cold tier). Absent: nothing is archived, D1 keeps every event for
   * the whole retention, and reads read D1 alone.
   */
  AUDIT_ARCHIVE?: R2Bucket;
  /**
   * Queue of write-behind parcels (producer and consumer: this Worker). Present, the isolates' timer-driven
   * flushes send their rows here and the consumer writes up to 100 parcels per D1 call; absent, each
   * isolate writes to D1 itself (docs/architecture.md, "Write-behind").
   */
  WRITE_BEHIND_QUEUE?: Queue<string>;
  /**
   * Most identities per organization (default 1000); a create past it is 409 `quota_exceeded`. An identity
   * has at most one OIDC Auth configuration, so this bounds configurations too.
   */
  ORG_MAX_IDENTITIES?: string;
  /** Most projects per organization (default 1000); a create past it is 409 `quota_exceeded`. */
  ORG_MAX_PROJECTS?: string;
  /** Share of answers below 400 that get an access log line, 0 to 1 (refusals and errors always do). Unset: 1. */
  ACCESS_LOG_SAMPLE_RATE?: string;
  /**
   * The deployment's public URL, an origin such as `https://auth.example.com`: the issuer identifier of the
   * OAuth metadata (RFC 8414) and the `iss` of access tokens. Unset: the origin each request was sent to.
   */
  PUBLIC_URL?: string;

  /**
   * When a login waits for LOGIN_CLIENT_LIMITER's answer: unset or `concurrent` (the default), while its body
   * is read and its ID token verified, so the limiter's latency is off the critical path; `sequential` (or any
   * other value), before anything of the login is read. Either way its refusal wins (docs/security.md,
   * "Hostile callers"); docs/performance.md measures both.
   */
  LOGIN_LIMITER_ORDER?: string;

  /** Refused logins per (identity, client address); `[[ratelimits]]` in wrangler.toml. Absent: no limit. */
  LOGIN_FAILURE_LIMITER?: RateLimit;
  /** All logins per client address; `[[ratelimits]]` in wrangler.toml. Absent: no limit. */
  LOGIN_CLIENT_LIMITER?: RateLimit;
  /** Refused logins per client address, any identity; `[[ratelimits]]` in wrangler.toml. Absent: no limit. */
  LOGIN_ADDRESS_FAILURE_LIMITER?: RateLimit;
  /** Renewals and revocations per client address; `[[ratelimits]]` in wrangler.toml. Absent: no limit. */
  TOKEN_CLIENT_LIMITER?: RateLimit;
  /** Failed admin authentications (API and console sign-in) per client address; `[[ratelimits]]`. Absent: no limit. */
  ADMIN_AUTH_LIMITER?: RateLimit;
}

/** `ALLOW_INSECURE_ISSUERS`, read: local development and tests only. */
export const allowInsecureIssuers = (env: Pick<Env, "ALLOW_INSECURE_ISSUERS">): boolean => env.ALLOW_INSECURE_ISSUERS === "true";

/**
 * `LOGIN_LIMITER_ORDER`, read: whether a login waits for the client limiter before reading anything. A
 * value other than the two known ones means sequential, the order that does less for a limited client.
 */
export const loginLimiterFirst = (env: Pick<Env, "LOGIN_LIMITER_ORDER">): boolean =>
  env.LOGIN_LIMITER_ORDER !== undefined && env.LOGIN_LIMITER_ORDER !== "" && env.LOGIN_LIMITER_ORDER !== "concurrent";

/** `TOKEN_MAX_LIFETIME_SECONDS`, read: the ceiling on any access token's lifetime. */
export const tokenCeilingSeconds = (env: Pick<Env, "TOKEN_MAX_LIFETIME_SECONDS">): number => {
  const n = Number(env.TOKEN_MAX_LIFETIME_SECONDS);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_TOKEN_MAX_LIFETIME_SECONDS;
};

/**
 * `AUDIT_HOT_DAYS`, read: days of audit events D1 keeps before they move to the archive. A fraction (at
 * least an hour, 0.0417) is for deployments whose day of events does not fit D1 (docs/architecture.md,
 * "Audit tiers").
 */
export const auditHotDays = (env: Pick<Env, "AUDIT_HOT_DAYS">): number => {
  const n = Number(env.AUDIT_HOT_DAYS);
  return Number.isFinite(n) && n >= 1 / 24 ? n : DEFAULT_AUDIT_HOT_DAYS;
};

/** `AUDIT_RETENTION_DAYS`, read: how many days of audit events are kept (and can be replayed by a what-if). */
export const auditRetentionDays = (env: Pick<Env, "AUDIT_RETENTION_DAYS">): number => {
  const n = Number(env.AUDIT_RETENTION_DAYS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_AUDIT_RETENTION_DAYS;
};

/**
 * The issuer identifier (RFC 8414 §2): `PUBLIC_URL` when it is a usable origin (http(s), no path, query or
 * fragment; a trailing slash is dropped), else the origin of the request (`npm start`, tests, a deployment
 * that did not set it). The access tokens' `iss` and every endpoint of the OAuth metadata derive from it.
 */
export function issuerIdentifier(env: Pick<Env, "PUBLIC_URL">, requestUrl: string): string {
  const configured = env.PUBLIC_URL?.trim();
  if (configured) {
    const origin = publicOrigin(configured);
    if (origin) return origin;
  }
  return requestOrigin(requestUrl);
}

/**
 * The origin of a request URL, parsed once per distinct scheme and authority: a URL's origin is a function
 * of the text before its path alone, so that prefix is the key (every login asks, and a URL parse showed in
 * profiles). Bounded: the Host a client sends may vary.
 */
const requestOrigins = new Map<string, string>();
function requestOrigin(requestUrl: string): string {
  const scheme = requestUrl.indexOf("://");
  const pathStart = scheme === -1 ? -1 : requestUrl.indexOf("/", scheme + 3);
  if (pathStart === -1) return new URL(requestUrl).origin;
  const prefix = requestUrl.slice(0, pathStart);
  let origin = requestOrigins.get(prefix);
  if (origin === undefined) {
    origin = new URL(requestUrl).origin;
    if (requestOrigins.size >= 64) requestOrigins.clear();
    requestOrigins.set(prefix, origin);
  }
  return origin;
}

const publicOrigins = new Map<string, string | null>();
function publicOrigin(value: string): string | null {
  let origin = publicOrigins.get(value);
  if (origin === undefined) {
    origin = null;
    try {
      const url = new URL(value);
      const usable = (url.protocol === "https:" || url.protocol === "http:") && url.pathname === "/" && !url.search && !url.hash;
      if (usable && !url.username && !url.password) origin = url.origin;
    } catch {
      /* not a URL */
    }
    if (origin === null)
      log("warn", "public_url_ignored", { reason: "PUBLIC_URL must be an origin such as https://auth.example.com" });
    publicOrigins.set(value, origin);
  }
  return origin;
}

const positiveInteger = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

/** `ORG_MAX_IDENTITIES` and `ORG_MAX_PROJECTS`, read: the per-organization quotas. */
export const orgQuotas = (env: Pick<Env, "ORG_MAX_IDENTITIES" | "ORG_MAX_PROJECTS">): { identities: number; projects: number } => ({
  identities: positiveInteger(env.ORG_MAX_IDENTITIES, DEFAULT_ORG_MAX_IDENTITIES),
  projects: positiveInteger(env.ORG_MAX_PROJECTS, DEFAULT_ORG_MAX_PROJECTS),
});
