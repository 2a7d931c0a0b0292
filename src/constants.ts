/** Values with consequences live here, each with the reason it has this value. See docs/. */

/** Leeway for exp/nbf/iat of incoming ID tokens: CI runners' clocks drift a little, not minutes. */
export const CLOCK_SKEW_SECONDS = 30;

/** Algorithms accepted on incoming ID tokens: asymmetric only, never HS* or none. */
export const ALLOWED_ID_TOKEN_ALGS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;

/**
 * Presented ID tokens (src/oidc/token-shape.ts): at most 16 KiB, refused with 413 `token_too_large` before
 * anything is decoded. Real CI tokens are 1-2 KiB (GitLab, GitHub); 16 KiB leaves room for IdPs with many
 * group claims while bounding what one request can make us parse. Header and payload nest at most 16 deep.
 */
export const MAX_ID_TOKEN_BYTES = 16 * 1024;
export const MAX_ID_TOKEN_JSON_DEPTH = 16;

/** Our own access tokens. */
export const ACCESS_TOKEN_ALG = "ES256";
export const ACCESS_TOKEN_TYPE = "at+jwt";
export const ACCESS_TOKEN_AUDIENCE = "edge-oidc-auth";

/** Deployment-wide ceiling on any token lifetime when the var is unset (30 days). */
export const DEFAULT_TOKEN_MAX_LIFETIME_SECONDS = 2_592_000;

/**
 * Days of audit events D1 keeps when AUDIT_HOT_DAYS is unset. D1 then holds at most four days of events
 * (the archive moves whole days): at 1M logins a day and 1.6 kB per login row (measured,
 * test/integration/audit-capacity.test.ts) about 6.5 GB of D1's 10 GB, the rest left for live tokens'
 * ledger rows and the other tables. The console's recent history and the traffic pages (hourly counts,
 * not events) stay in D1; older reads go to R2 (docs/architecture.md, "Audit tiers").
 */
export const DEFAULT_AUDIT_HOT_DAYS = 3;
/** Days of audit events kept when AUDIT_RETENTION_DAYS is unset. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

/** Identities (hence OIDC Auth configurations, one per identity) and projects per organization, when unset. */
export const DEFAULT_ORG_MAX_IDENTITIES = 1_000;
export const DEFAULT_ORG_MAX_PROJECTS = 1_000;

/** Infisical's defaults and bounds for OIDC Auth configurations. */
export const OIDC_DEFAULT_TTL_SECONDS = 2_592_000;
export const OIDC_MAX_TTL_BOUND_SECONDS = 315_360_000;
export const DEFAULT_TRUSTED_IPS = ["0.0.0.0/0", "::/0"] as const;

/** Discovery documents and key sets. */
export const DISCOVERY_CACHE_TTL_SECONDS = 3600;
export const JWKS_CACHE_TTL_SECONDS = 600;
/** After an unknown kid forced a refetch, wait this long before the next one for the same issuer. */
export const JWKS_REFETCH_COOLDOWN_SECONDS = 30;
/** Identity + configuration copies in isolate memory; admin changes invalidate the local copy at once. */
export const CONFIG_CACHE_TTL_MS = 10_000;
export const CONFIG_CACHE_ENTRIES = 10_000;
export const ISSUER_CACHE_ENTRIES = 1_000;
/**
 * Our access tokens whose signature verified, per isolate (src/tokens/access-token.ts): with the ID token's
 * claim snapshot, about 4 KiB each for a GitLab-shaped token (1.6 KiB without), some 15 MiB when full.
 */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 4_096;

/** Request bodies. */
export const MAX_LOGIN_BODY_BYTES = 64 * 1024;
export const MAX_ADMIN_BODY_BYTES = 256 * 1024;

/**
 * Login rate limits (src/http/rate-limit.ts; the limits themselves are `simple.limit` of the
 * `[[ratelimits]]` bindings in wrangler.toml). These periods must equal the bindings' `simple.period`:
 * they are the Retry-After of each 429 and how long an isolate blocks an (identity, client) pair or, for
 * LOGIN_ADDRESS_FAILURE_LIMITER (also FAILED_LOGIN_PERIOD_SECONDS), a client address.
 */
export const FAILED_LOGIN_PERIOD_SECONDS = 60;
/** Failed admin authentications per client address (ADMIN_AUTH_LIMITER): Retry-After and block length. */
export const FAILED_ADMIN_AUTH_PERIOD_SECONDS = 60;
export const CLIENT_LOGIN_PERIOD_SECONDS = 10;
/** Renewals and revocations per client address (TOKEN_CLIENT_LIMITER): the Retry-After of its 429. */
export const TOKEN_CALL_PERIOD_SECONDS = 10;
/**
 * One unit of LOGIN_CLIENT_LIMITER is this many logins: an isolate reserves a block of logins for a client
 * address with one limiter call and spends it locally (src/http/rate-limit.ts). wrangler.toml's `limit`
 * for that binding is therefore in blocks: 100 blocks = 1000 logins per period.
 */
export const CLIENT_LOGINS_PER_LIMITER_UNIT = 10;
