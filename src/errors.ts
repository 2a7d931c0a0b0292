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
  | "refused" // the credentials or the presented token are not accepted
  | "forbidden" // authenticated, but not allowed to do this
  | "not_found" // the named thing does not exist or is not visible to the caller
  | "invalid" // the request is malformed or fails validation
  | "conflict" // the request collides with existing state
  | "too_large" // input exceeds a size bound
  | "rate_limited" // the caller must slow down
  | "unavailable" // a dependency is down or misconfigured; retrying may help
  | "internal"; // a bug: never carries internals

/** Every reason, by kind, with its default message. A code is written here and nowhere else in src/. */
const REASONS_BY_KIND = {
  refused: {
    credentials_missing: "Send Authorization: Bearer <access token>",
    credentials_invalid: "The admin key or access token is not valid",
    access_token_invalid: "The access token is invalid",
    access_token_expired: "The access token has expired",
    token_max_ttl_reached: "The access token reached its max TTL; log in again",
    token_revoked: "The access token has been revoked",
    token_uses_exhausted: "The access token has no uses left",
    auth_method_removed: "The configuration this token was issued under was removed",
    binding_changed:
      "The OIDC Auth configuration changed and no longer admits the ID token this access token was issued for; log in again",
    token_malformed: "The token is not a well-formed signed JWT",
    token_encrypted: "Encrypted tokens (JWE) are not accepted; send the signed ID token",
    token_unsupported: "The token uses an unsupported JOSE feature",
    alg_not_allowed: "The token's signing algorithm is not accepted",
    header_not_allowed: "The token header carries a parameter that is refused",
    key_not_found: "No key of the issuer matches the token's key id and algorithm",
    signature_invalid: "The token's signature does not verify with the issuer's key",
    exp_invalid: "The token must carry a numeric exp",
    nbf_invalid: "The token's nbf must be numeric",
    iat_invalid: "The token's iat must be numeric",
    token_expired: "The token has expired",
    token_not_yet_valid: "The token is not valid yet (nbf)",
    token_issued_in_future: "The token's iat is in the future",
    issuer_mismatch: "The token's iss is not the configured issuer",
    discovery_issuer_mismatch: "The discovery document's issuer is not the configured bound issuer",
    jwks_uri_refused: "The issuer's jwks_uri is not acceptable",
    static_keys_invalid: "The configuration's jwksJson is not a usable JWKS; an admin must fix it",
    subject_not_allowed: "The token's sub does not match the bound subject",
    audience_not_allowed: "No audience of the token matches the bound audiences",
    claim_not_allowed: "A claim of the token is missing or does not match the bound value",
    condition_failed: "The token does not satisfy the identity's condition",
    jti_required: "Replay protection is on for this identity: the token must carry a jti (at most 256 characters)",
    token_replayed: "This ID token was already used to log in; request a new one",
  },
  forbidden: {
    ip_not_trusted: "The client IP address is not in the identity's trusted IP ranges",
    insufficient_role: "Only identities with the organization role 'admin' may do this",
    organization_forbidden: "This identity may only manage its own organization",
    admin_key_required: "Only the deployment's admin key may do this",
    csrf_failed: "The form is stale or did not come from this console; reload the page and try again",
  },
  not_found: {
    identity_not_found: "No identity has this id",
    organization_not_found: "No organization has this id",
    project_not_found: "No project has this id",
    membership_not_found: "The identity is not a member of this project",
    token_not_found: "This identity has no token with this id",
    oidc_auth_not_configured: "This identity has no OIDC Auth configuration",
    route_not_found: "No such endpoint",
    method_not_allowed: "This endpoint does not take this method",
  },
  invalid: {
    identity_not_in_organization: "The identity belongs to another organization than the project",
    temporary_range_invalid: "A temporary role needs a temporaryRange such as 30m, 1h or 7d (positive, at most 10 years)",
    invalid_request: "The request is invalid",
    invalid_oidc_config: "Invalid OIDC Auth configuration",
    condition_invalid: "The condition is not a valid CEL expression for a login",
    binding_too_broad: "The configuration does not pin an owner: on a shared issuer it would admit every user of the issuer",
    invalid_arguments: "The call's arguments are invalid",
    unsupported_media_type: "This content type is not accepted",
    unsupported_grant_type: "This grant_type is not supported; send urn:ietf:params:oauth:grant-type:token-exchange",
    unsupported_token_type: "This token type is not supported here",
    invalid_target: "A token is issued for one identity: name it in audience, and send resource only as absolute URIs",
  },
  conflict: {
    slug_taken: "This slug is already taken",
    auth_method_exists: "This identity already has OIDC Auth; use PATCH to change it",
    membership_exists: "The identity is already a member; use PATCH",
    quota_exceeded: "The organization has reached its quota for this kind of record",
  },
  too_large: {
    token_too_large: "The token is too large",
    body_too_large: "The request body is too large",
  },
  rate_limited: {
    rate_limited_client: "Too many logins from this address; retry after the Retry-After delay",
    rate_limited_failed_logins: "Too many refused logins for this identity from this address; retry after the Retry-After delay",
    rate_limited_token_calls: "Too many token renewals and revocations from this address; retry after the Retry-After delay",
    rate_limited_admin_auth: "Too many failed admin authentications from this address; retry after the Retry-After delay",
  },
  unavailable: {
    idp_unavailable: "The identity provider could not be reached; retry later",
    replay_check_unavailable: "Replay protection is unavailable; retry",
    token_state_unavailable: "Token state is unavailable; retry",
    propagation_failed: "The change was saved but live tokens could not be updated yet; retry the request",
    signing_key_missing: "This deployment has no SIGNING_KEYS secret; it cannot issue tokens",
    signing_key_invalid: "SIGNING_KEYS is not valid",
    console_closed: "The console is closed: this deployment has no ADMIN_API_KEY",
    admin_key_too_weak: "ADMIN_API_KEY is shorter than 32 characters: the admin API and console are closed until it is replaced",
    unavailable: "The service is unavailable; retry",
    storage_unavailable: "The database is unavailable; retry",
  },
  internal: {
    internal_error: "Internal error",
  },
} as const satisfies Record<ReasonKind, Record<string, string>>;

/** A registered reason. A string that is not a key of the registry does not typecheck. */
export type ReasonCode = { [K in ReasonKind]: keyof (typeof REASONS_BY_KIND)[K] }[ReasonKind];

const REASONS = new Map<string, { kind: ReasonKind; message: string }>();
for (const [kind, reasons] of Object.entries(REASONS_BY_KIND) as [ReasonKind, Record<string, string>][]) {
  for (const [code, message] of Object.entries(reasons)) {
    if (REASONS.has(code)) throw new Error(`src/errors.ts: reason ${code} is registered twice`);
    REASONS.set(code, { kind, message });
  }
}

/** `Reason.token_expired === "token_expired"`: code names the reason, never a bare string. */
export const Reason = Object.freeze(
  Object.fromEntries([...REASONS.keys()].map((code) => [code, code])) as { readonly [C in ReasonCode]: C },
);

export const REASON_CODES = [...REASONS.keys()] as readonly ReasonCode[];

export const reasonKind = (reason: ReasonCode): ReasonKind => REASONS.get(reason)!.kind;
export const defaultMessage = (reason: ReasonCode): string => REASONS.get(reason)!.message;

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === "string" && REASONS.has(value);
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
