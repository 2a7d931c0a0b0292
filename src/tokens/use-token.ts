import { BoundedMemo } from "../cache/memo";
import type { Env } from "../env";
import { errorName, log } from "../observability/log";
import { verifyAccessToken, type AccessTokenClaims } from "./access-token";
import type { IdentityPolicy } from "./policy";
import { loadSigningKeys } from "./signing-keys";
import type { TokenRef, TokenStateObject, UseOutcome } from "./token-state-object";
import { DomainError, Reason, type Failure } from "../errors";

export interface TokenUse {
  claims: AccessTokenClaims;
  usesLeft: number | null;
  policy: IdentityPolicy;
}

export const tokenRef = (c: AccessTokenClaims): TokenRef => ({
  jti: c.jti,
  identityId: c.sub,
  authMethod: c.auth_method,
  authConfigId: c.auth_id,
  exp: c.exp,
  maxExp: c.max_exp,
  firstIat: c.first_iat,
  ttl: c.ttl,
  uses: c.uses,
});

/**
 * Parsed Durable Object ids (plain values, not I/O objects) by their hex form: every use of a token names
 * its identity's object, and parsing the id showed in profiles. Bounded; valid for one namespace binding.
 */
const stateObjectIds = new BoundedMemo<DurableObjectId>(10_000);
let stateObjectIdsOf: DurableObjectNamespace<TokenStateObject> | undefined;

export function stateObject(env: Env, hexId: string): DurableObjectStub<TokenStateObject> {
  if (stateObjectIdsOf !== env.TOKEN_STATE) {
    stateObjectIds.clear();
    stateObjectIdsOf = env.TOKEN_STATE;
  }
  const id = stateObjectIds.get(hexId, () => {
    try {
      return env.TOKEN_STATE.idFromString(hexId);
    } catch {
      throw new DomainError(Reason.access_token_invalid);
    }
  });
  return env.TOKEN_STATE.get(id);
}

export const refusalError = (r: Failure) => DomainError.from(r);

/**
 * A call to the identity's Durable Object. When the object (or the D1 read of the policy behind it)
 * fails, the caller gets a 503 it can retry, never a 500 and never an admission.
 */
export async function withStateObject<T>(call: () => PromiseLike<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    log("error", Reason.token_state_unavailable, { name: errorName(err) });
    throw new DomainError(Reason.token_state_unavailable, undefined, { retryAfterSeconds: 1 });
  }
}

/**
 * One use of an access token, the same for HTTP callers and RPC consumers: signature and expiry here,
 * then one Durable Object round trip that checks the identity's current policy, trusted IPs, revocation
 * and uses, and consumes a use only if everything passed.
 */
export async function useAccessToken(env: Env, token: string, clientIp: string | null): Promise<TokenUse> {
  const keys = await loadSigningKeys(env.SIGNING_KEYS);
  const claims = await verifyAccessToken(keys, token);
  const stub = stateObject(env, claims.sob);
  const outcome = await withStateObject<UseOutcome>(() => stub.use(tokenRef(claims), clientIp));
  if (!outcome.ok) throw refusalError(outcome);
  return { claims, usesLeft: outcome.usesLeft, policy: outcome.policy };
}

/** Bearer token from an Authorization header, per RFC 6750 (scheme case-insensitive). */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
