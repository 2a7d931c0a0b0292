import { allowInsecureIssuers, tokenCeilingSeconds, type Env } from "../env";
import { DomainError, isOutage, Reason } from "../errors";
import { authenticateIdToken } from "../oidc/authenticate";
import { replayGuard } from "../oidc/replay";
import { prefetchIssuer } from "../oidc/prefetch";
import { isUuid } from "../storage/ids";
import { hasLoginContext, loadLoginContext } from "../storage/login-context";
import { auditLogin, type LoginAttempt, type LoginEvent } from "./audit";
import type { Caller } from "./caller";
import { issueAccessToken, type TokenResponse } from "./issue";
import { loadSigningKeys } from "./signing-keys";

export type LoginEnv = Pick<
  Env,
  "DB" | "CACHE" | "TOKEN_STATE" | "SIGNING_KEYS" | "ALLOW_INSECURE_ISSUERS" | "TOKEN_MAX_LIFETIME_SECONDS"
>;

export interface LoginRequest {
  identityId: string;
  /** the CI job's ID token */
  jwt: string;
  /** when given, the identity must belong to this organization */
  organizationSlug?: string | undefined;
  /** the wire format it came in, for the audit: Infisical's login (default) or an OAuth token exchange */
  event?: LoginEvent;
}

/**
 * Called once for a refusal that is the caller's doing (not an outage): may answer another refusal to give
 * instead (the HTTP edge's failed-login rate limit), which the audit records, with the original reason as
 * `details.refusedFor`.
 */
export type OnRefused = () => Promise<DomainError | null>;

const NO_SUCH_IDENTITY = "No identity has this identityId";

/**
 * A login with a CI job's ID token: the identity's login context, the ID token verified against its OIDC
 * Auth configuration (src/oidc/authenticate.ts), an access token issued (src/tokens/issue.ts), and one
 * audit event for the attempt, admitted or refused. Throws the refusal (a DomainError).
 *
 * `admitted` is a decision taken concurrently (the edge's client rate limit): awaited before the login
 * changes anything (the ID token's replay record, the token issued) and first on any refusal, so its
 * rejection is what the caller gets, with no audit event and no refusal counted (`onRefused`).
 */
export async function loginWithIdToken(
  env: LoginEnv,
  request: LoginRequest,
  caller: Caller,
  onRefused: OnRefused,
  admitted: Promise<void> = Promise.resolve(),
): Promise<TokenResponse> {
  const attempt: LoginAttempt = {
    identityId: isUuid(request.identityId) ? request.identityId : null,
    orgId: null,
    event: request.event ?? "login",
  };
  try {
    // A cold isolate reads the issuer's KV copies while the login context comes from D1: one round trip.
    if (attempt.identityId && !hasLoginContext(attempt.identityId)) {
      prefetchIssuer({ kv: env.CACHE, waitUntil: caller.waitUntil, allowInsecureIssuers: allowInsecureIssuers(env) }, request.jwt);
    }
    const context = attempt.identityId ? await loadLoginContext(env.DB, attempt.identityId) : null;
    if (!context) throw new DomainError(Reason.identity_not_found, NO_SUCH_IDENTITY);
    attempt.orgId = context.identity.orgId;
    // The same answer as an unknown id: a caller cannot learn that the id exists in another organization.
    if (request.organizationSlug && request.organizationSlug !== context.organization.slug) {
      throw new DomainError(Reason.identity_not_found, NO_SUCH_IDENTITY);
    }
    const { identity, config } = context;
    if (!config) throw new DomainError(Reason.oidc_auth_not_configured);

    const idToken = await authenticateIdToken(
      {
        kv: env.CACHE,
        waitUntil: caller.waitUntil,
        allowInsecureIssuers: allowInsecureIssuers(env),
        claimIdToken: afterAdmitted(admitted, replayGuard(env, identity.stateObject)), // only with replayProtection on
      },
      config,
      request.jwt,
      attempt,
    );
    const keys = await loadSigningKeys(env.SIGNING_KEYS);
    await admitted; // no token before the concurrent decision has answered
    const { response, claims } = await issueAccessToken(keys, {
      identity,
      config,
      idToken,
      idTokenSnapshot: attempt.claims, // taken when the signature verified (the audit's), not again
      idTokenLeftOut: attempt.leftOut,
      ceilingSeconds: tokenCeilingSeconds(env),
      tokenState: env,
      issuer: caller.issuer,
    });
    auditLogin(env.DB, caller, attempt, { outcome: "success", token: claims });
    return response;
  } catch (err) {
    await admitted; // its refusal wins, unaudited and uncounted
    if (!(err instanceof DomainError)) throw err;
    // A refusal (not an outage: 5xx are not the caller's doing) counts against the caller.
    const limited = isOutage(err) ? null : await onRefused();
    auditLogin(
      env.DB,
      caller,
      attempt,
      limited
        ? { outcome: "failure", reasonCode: limited.reasonCode, refusedFor: err.reasonCode }
        : { outcome: "failure", reasonCode: err.reasonCode },
    );
    throw limited ?? err;
  }
}

/** `claim`, called only once `admitted` has resolved: a refused login leaves no replay record behind. */
function afterAdmitted<A extends unknown[], R>(admitted: Promise<void>, claim: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    await admitted;
    return claim(...args);
  };
}
