/**
 * The one registry of refusal reasons. Every `reasonCode` the service can answer is a key here, written
 * once, with its kind and a default message. Domain code throws `DomainError` (or returns its plain-data
 * `Failure` across a Durable Object or RPC boundary); only the edges turn a reason into a wire shape:
 * `src/http/errors.ts` (HTTP status), `src/rpc/failure.ts` (the AuthService result) and the console.
 *
 * Adding a reason is one line here; its HTTP status and RPC status follow from its kind (exhaustive tables
 * at the edges), so a new kind without a mapping fails the typecheck. `docs/errors.md` lists every reason
 * and a test keeps the two equal.
 */

/** What went wrong, in terms an edge can map to its own protocol. */
export type ReasonKind =
  | "refused" // the credentials or the presented token are not accepted (HTTP 401)
  | "forbidden" // authenticated, but not allowed to do this (403)
  | "not_found" // the named thing does not exist or is not visible to the caller (404)
  | "invalid" // the request is malformed or fails validation (422, a few 400/415 kept for compatibility)
  | "conflict" // the request collides with existing state (409, or 400 where Infisical answers 400)
  | "too_large" // input exceeds a size bound (413)
  | "rate_limited" // the caller must slow down (429)
  | "unavailable" // a dependency is down or misconfigured; retrying may help (503)
  | "internal"; // a bug: never carries internals (500)

interface ReasonSpec {
  readonly kind: ReasonKind;
  readonly message: string;
}

const REASONS = {
  // Credentials and our own access tokens
  credentials_missing: { kind: "refused", message: "Send Authorization: Bearer <access token>" },
  credentials_invalid: { kind: "refused", message: "The admin key or access token is not valid" },
  access_token_invalid: { kind: "refused", message: "The access token is invalid" },
  access_token_expired: { kind: "refused", message: "The access token has expired" },
  token_max_ttl_reached: { kind: "refused", message: "The access token reached its max TTL; log in again" },
  token_revoked: { kind: "refused", message: "The access token has been revoked" },
  token_uses_exhausted: { kind: "refused", message: "The access token has no uses left" },
  auth_method_removed: { kind: "refused", message: "The configuration this token was issued under was removed" },
  ip_not_trusted: { kind: "forbidden", message: "The client IP address is not in the identity's trusted IP ranges" },

  // The presented ID token: shape, signature, time
  token_too_large: { kind: "too_large", message: "The token is too large" },
  token_malformed: { kind: "refused", message: "The token is not a well-formed signed JWT" },
  token_encrypted: { kind: "refused", message: "Encrypted tokens (JWE) are not accepted; send the signed ID token" },
  token_unsupported: { kind: "refused", message: "The token uses an unsupported JOSE feature" },
  alg_not_allowed: { kind: "refused", message: "The token's signing algorithm is not accepted" },
  header_not_allowed: { kind: "refused", message: "The token header carries a parameter that is refused" },
  key_not_found: { kind: "refused", message: "No key of the issuer matches the token's key id and algorithm" },
  signature_invalid: { kind: "refused", message: "The token's signature does not verify with the issuer's key" },
  exp_invalid: { kind: "refused", message: "The token must carry a numeric exp" },
  nbf_invalid: { kind: "refused", message: "The token's nbf must be numeric" },
  iat_invalid: { kind: "refused", message: "The token's iat must be numeric" },
  token_expired: { kind: "refused", message: "The token has expired" },
  token_not_yet_valid: { kind: "refused", message: "The token is not valid yet (nbf)" },
  token_issued_in_future: { kind: "refused", message: "The token's iat is in the future" },

  // The issuer and the identity's bindings
  issuer_mismatch: { kind: "refused", message: "The token's iss is not the configured issuer" },
  discovery_issuer_mismatch: {
    kind: "refused",
    message: "The discovery document's issuer is not the configured bound issuer",
  },
  jwks_uri_refused: { kind: "refused", message: "The issuer's jwks_uri is not acceptable" },
  static_keys_invalid: {
    kind: "refused",
    message: "The configuration's jwksJson is not a usable JWKS; an admin must fix it",
  },
  subject_not_allowed: { kind: "refused", message: "The token's sub does not match the bound subject" },
  audience_not_allowed: { kind: "refused", message: "No audience of the token matches the bound audiences" },
  claim_not_allowed: { kind: "refused", message: "A claim of the token is missing or does not match the bound value" },
  jti_required: {
    kind: "refused",
    message: "Replay protection is on for this identity: the token must carry a jti (at most 256 characters)",
  },
  token_replayed: { kind: "refused", message: "This ID token was already used to log in; request a new one" },

  // Admin API
  insufficient_role: { kind: "forbidden", message: "Only identities with the organization role 'admin' may do this" },
  organization_forbidden: { kind: "forbidden", message: "This identity may only manage its own organization" },
  admin_key_required: { kind: "forbidden", message: "Only the deployment's admin key may do this" },
  csrf_failed: {
    kind: "forbidden",
    message: "The form is stale or did not come from this console; reload the page and try again",
  },
  identity_not_found: { kind: "not_found", message: "No identity has this id" },
  organization_not_found: { kind: "not_found", message: "No organization has this id" },
  project_not_found: { kind: "not_found", message: "No project has this id" },
  membership_not_found: { kind: "not_found", message: "The identity is not a member of this project" },
  token_not_found: { kind: "not_found", message: "This identity has no token with this id" },
  oidc_auth_not_configured: { kind: "not_found", message: "This identity has no OIDC Auth configuration" },
  route_not_found: { kind: "not_found", message: "No such endpoint" },
  slug_taken: { kind: "conflict", message: "This slug is already taken" },
  auth_method_exists: {
    kind: "conflict",
    message: "This identity already has OIDC Auth; use PATCH to change it",
  },
  membership_exists: { kind: "conflict", message: "The identity is already a member; use PATCH" },
  identity_not_in_organization: {
    kind: "invalid",
    message: "The identity belongs to another organization than the project",
  },

  // Request shape
  invalid_request: { kind: "invalid", message: "The request is invalid" },
  invalid_oidc_config: { kind: "invalid", message: "Invalid OIDC Auth configuration" },
  invalid_arguments: { kind: "invalid", message: "The call's arguments are invalid" },
  unsupported_media_type: { kind: "invalid", message: "This content type is not accepted" },
  body_too_large: { kind: "too_large", message: "The request body is too large" },

  // Abuse limits
  rate_limited_client: {
    kind: "rate_limited",
    message: "Too many logins from this address; retry after the Retry-After delay",
  },
  rate_limited_failed_logins: {
    kind: "rate_limited",
    message: "Too many refused logins for this identity from this address; retry after the Retry-After delay",
  },

  // Dependencies and deployment
  idp_unavailable: { kind: "unavailable", message: "The identity provider could not be reached; retry later" },
  replay_check_unavailable: { kind: "unavailable", message: "Replay protection is unavailable; retry" },
  token_state_unavailable: { kind: "unavailable", message: "Token state is unavailable; retry" },
  propagation_failed: {
    kind: "unavailable",
    message: "The change was saved but live tokens could not be updated yet; retry the request",
  },
  signing_key_missing: {
    kind: "unavailable",
    message: "This deployment has no SIGNING_KEYS secret; it cannot issue tokens",
  },
  signing_key_invalid: { kind: "unavailable", message: "SIGNING_KEYS is not valid" },
  console_closed: { kind: "unavailable", message: "The console is closed: this deployment has no ADMIN_API_KEY" },
  unavailable: { kind: "unavailable", message: "The service is unavailable; retry" },
  internal_error: { kind: "internal", message: "Internal error" },
} as const satisfies Record<string, ReasonSpec>;

/** A registered reason. A string that is not a key of the registry does not typecheck. */
export type ReasonCode = keyof typeof REASONS;

/** `Reason.token_expired === "token_expired"`: code names the reason, never a bare string. */
export const Reason = Object.freeze(
  Object.fromEntries(Object.keys(REASONS).map((code) => [code, code])) as { readonly [C in ReasonCode]: C },
);

export const REASON_CODES = Object.keys(REASONS) as readonly ReasonCode[];

export const reasonKind = (reason: ReasonCode): ReasonKind => REASONS[reason].kind;
export const defaultMessage = (reason: ReasonCode): string => REASONS[reason].message;

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === "string" && Object.hasOwn(REASONS, value);
}

/**
 * A refusal as plain data: what a Durable Object returns (custom classes do not survive RPC). Serializable,
 * so it carries no free-form details. `qualifier` names the part concerned (`claim_not_allowed: ref_protected`).
 */
export interface Failure {
  ok: false;
  reason: ReasonCode;
  /** Set only where the reason is raised in another role than its registered kind (see DomainErrorOptions). */
  kind?: ReasonKind;
  message: string;
  qualifier?: string;
  retryAfterSeconds?: number;
}

export interface DomainErrorOptions {
  /**
   * The registered kind, unless the raiser knows better: `identity_not_found` names a missing identity at
   * login (not_found), but when a token's identity is gone the token is what is refused (refused).
   */
  kind?: ReasonKind;
  qualifier?: string;
  details?: unknown;
  /** When retrying may help: after how many seconds (edges answer it as Retry-After). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * A refusal raised by domain code. It knows its reason, never an HTTP status. `message` is for humans and
 * never contains a token or a secret.
 */
export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly reason: ReasonCode;
  readonly kind: ReasonKind;
  readonly qualifier: string | undefined;
  readonly details: unknown;
  readonly retryAfterSeconds: number | undefined;

  constructor(reason: ReasonCode, message: string = defaultMessage(reason), options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.kind = options.kind ?? reasonKind(reason);
    this.qualifier = options.qualifier;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The code on the wire: the reason, with its qualifier when there is one. */
  get reasonCode(): string {
    return this.qualifier === undefined ? this.reason : `${this.reason}: ${this.qualifier}`;
  }

  toFailure(): Failure {
    return failure(this.reason, this.message, this);
  }

  static from(f: Failure): DomainError {
    return new DomainError(f.reason, f.message, f);
  }
}

/** A refusal as plain data (see `Failure`); optional members are left out when absent. */
export function failure(
  reason: ReasonCode,
  message: string = defaultMessage(reason),
  options: Omit<DomainErrorOptions, "cause" | "details"> = {},
): Failure {
  const f: Failure = { ok: false, reason, message };
  if (options.kind !== undefined && options.kind !== reasonKind(reason)) f.kind = options.kind;
  if (options.qualifier !== undefined) f.qualifier = options.qualifier;
  if (options.retryAfterSeconds !== undefined) f.retryAfterSeconds = options.retryAfterSeconds;
  return f;
}

/** A failure of ours or of a dependency, not the caller's doing (5xx on HTTP). */
export const isOutage = (err: DomainError): boolean => err.kind === "unavailable" || err.kind === "internal";

/** Whether `err` is a refusal with one of the given reasons (instead of comparing bare strings). */
export function isRefusal(err: unknown, ...reasons: ReasonCode[]): err is DomainError {
  return err instanceof DomainError && (reasons.length === 0 || reasons.includes(err.reason));
}
