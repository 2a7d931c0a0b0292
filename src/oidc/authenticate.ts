import { BoundedMemo } from "../cache/memo";
import type { JWTPayload } from "jose";
import type { OidcAuthConfig } from "../storage/records";
import { claimSnapshot, type ClaimSnapshot, type LeftOut, leftOutOf } from "./claim-snapshot";
import { evaluateConfig, type ConfigVerdict, type FailedRule } from "./evaluate";
import { loadDiscovery } from "./discovery";
import type { ClaimIdToken } from "./replay";
import { IdpFetchError } from "./fetch-json";
import { keysForKid, staticKeySet, type KeyIo } from "./issuer-keys";
import { checkPublishedUrl, discoveryDocumentUrl } from "./url-policy";
import { verifyIdToken } from "./verify-id-token";
import { DomainError, isRefusal, Reason } from "../errors";

export interface AuthenticateIo extends KeyIo {
  allowInsecureIssuers: boolean;
  /** Replay protection (src/oidc/replay.ts); called only when the configuration turns it on. */
  claimIdToken?: ClaimIdToken;
}

/** Longest `jti` recorded for replay protection; real ones are UUIDs or short random strings. */
const MAX_JTI_LENGTH = 256;

/** Filled in as a login proceeds, for the audit trail. */
export interface LoginTrace {
  /** The token's claim snapshot, once its signature verified (whatever is decided next). */
  claims?: ClaimSnapshot;
  /** What the snapshot left out of the token's claims. */
  leftOut?: LeftOut;
  /** The configured rule that refused the token, when one did. */
  failedRule?: FailedRule;
}

/** Seconds a client should wait before retrying when the IdP is unreachable and nothing is cached. */
const IDP_RETRY_AFTER_SECONDS = 30;

/**
 * Verifies an ID token against one identity's OIDC configuration: keys (static, or discovery then JWKS,
 * both cached), signature and time claims, exact issuer, then subject, audiences and claims.
 * Returns the verified payload or throws an DomainError (401 refusal, 503 when the IdP cannot be reached).
 */
export async function authenticateIdToken(
  io: AuthenticateIo,
  config: OidcAuthConfig,
  jwt: string,
  trace: LoginTrace = {},
): Promise<JWTPayload> {
  // Static keys (jwksJson, blank counts as none): nothing is fetched, not even discovery.
  const lookupKeys = config.jwksJson?.trim()
    ? async () => staticKeySet(config.jwksJson!)
    : async (kid: string | undefined) =>
        keysForKid(io, await jwksUrlFor(io, config), kid, config.jwksUrl ? undefined : discoveryDocumentUrl(config.oidcDiscoveryUrl));
  let payload: JWTPayload;
  let signed: JWTPayload | undefined;
  try {
    payload = await verifyIdToken(jwt, lookupKeys, config.boundIssuer, (verified) => {
      signed = verified;
      trace.claims = claimSnapshot(verified);
      trace.leftOut = leftOutOf(verified, trace.claims);
    });
  } catch (err) {
    // The issuer is checked right after the signature: that refusal is the configuration's to explain.
    if (signed && isRefusal(err, Reason.issuer_mismatch)) refuse(evaluateConfig(config, signed), trace);
    if (err instanceof IdpFetchError) {
      throw new DomainError(
        Reason.idp_unavailable,
        `The identity provider could not be reached (${err.message}) and no cached keys are available; retry later`,
        { retryAfterSeconds: IDP_RETRY_AFTER_SECONDS },
      );
    }
    throw err;
  }
  refuse(evaluateConfig(config, payload), trace);
  // Last, so that only a token that would be admitted is recorded (a refused one can be fixed and retried).
  if (config.replayProtection) await checkReplay(io, payload);
  return payload;
}

/** Throws the verdict's refusal, naming its rule in the trace; nothing when the verdict admits. */
function refuse(verdict: ConfigVerdict, trace: LoginTrace): void {
  if (verdict.admitted) return;
  trace.failedRule = verdict.failedRule;
  throw DomainError.from(verdict.refusal);
}

/**
 * What replay protection records of a verified token: its issuer and `jti`. Throws `jti_required` for a
 * token without a usable `jti`, which replay protection cannot admit.
 */
export function replayKey(payload: JWTPayload): { iss: string; jti: string } {
  const { jti, iss } = payload;
  if (typeof jti !== "string" || jti === "" || jti.length > MAX_JTI_LENGTH) {
    throw new DomainError(Reason.jti_required);
  }
  // iss was checked equal to boundIssuer by verifyIdToken.
  return { iss: iss as string, jti };
}

async function checkReplay(io: AuthenticateIo, payload: JWTPayload): Promise<void> {
  const { iss, jti } = replayKey(payload);
  // exp was checked numeric by verifyIdToken.
  if (!io.claimIdToken) throw new DomainError(Reason.replay_check_unavailable, undefined, { retryAfterSeconds: 1 });
  if (!(await io.claimIdToken(iss, jti, payload.exp as number))) {
    throw new DomainError(Reason.token_replayed);
  }
}

async function jwksUrlFor(io: AuthenticateIo, config: OidcAuthConfig): Promise<string> {
  let discovery;
  try {
    discovery = await loadDiscovery(io, config.oidcDiscoveryUrl);
  } catch (err) {
    if (err instanceof IdpFetchError) throw err;
    throw new IdpFetchError("not_json", "published an unusable discovery document");
  }
  if (discovery.issuer !== config.boundIssuer) {
    throw new DomainError(Reason.discovery_issuer_mismatch, "The discovery document's issuer is not the configured bound issuer");
  }
  if (config.jwksUrl) return config.jwksUrl;
  const refusal = jwksUriRefusal(discovery.jwks_uri, config.oidcDiscoveryUrl, io.allowInsecureIssuers);
  if (refusal) throw new DomainError(Reason.jwks_uri_refused, refusal);
  return discovery.jwks_uri;
}

/** Verdicts of jwksUriRefusal, a pure function of its arguments: URL parsing is not redone per login. */
const jwksUriVerdicts = new BoundedMemo<string | null>(1_000);

/** Why the IdP's published jwks_uri is refused, or null when it may be fetched. */
function jwksUriRefusal(jwksUri: string, discoveryUrl: string, allowInsecure: boolean): string | null {
  return jwksUriVerdicts.get(`${allowInsecure ? 1 : 0} ${discoveryUrl} ${jwksUri}`, () => {
    const check = checkPublishedUrl(jwksUri, discoveryUrl, { allowInsecure });
    if (!check.ok) return `The IdP's jwks_uri is refused: ${check.reason}`;
    // A jwks_uri on another host than the discovery URL is only used when the admin configured it explicitly.
    if (check.url.host !== new URL(discoveryUrl).host) {
      return "The IdP's jwks_uri is on another host; configure jwksUrl explicitly to allow it";
    }
    return null;
  });
}
