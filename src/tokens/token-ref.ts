import type { IssuedToken } from "../storage/access-tokens";
import { readLeftOut } from "../oidc/claim-snapshot";
import type { IssuedFor } from "../oidc/live-rules";
import type { AccessTokenClaims } from "./access-token";

/** The signed facts about a token that its state in the identity's object is created from on first sight. */
export interface TokenRef {
  jti: string;
  identityId: string;
  authMethod: string;
  /** the auth method configuration's id at issuance; required for uses (an admin revoke may lack it) */
  authConfigId?: string;
  exp: number;
  maxExp: number;
  firstIat: number;
  ttl: number;
  uses: number;
  /** The configuration fingerprint the token was issued under (`cfp`); absent on tokens issued before it. */
  issuedUnder?: string;
  /**
   * The token's snapshot and key source (`idc`, `kfp`): sent only when the object asks for them (RECHECK,
   * src/tokens/admission.ts), so that a usual use stays a small call.
   */
  issuedFor?: IssuedFor;
}

/**
 * The one way a `TokenRef` is built: from a presented token's verified claims, or from its ledger row (an
 * admin revoking a token by id). The ledger records neither the configuration id nor the TTL; revoking
 * needs neither, and only a presented token is ever used or renewed.
 */
export function tokenRef(token: AccessTokenClaims | IssuedToken): TokenRef {
  if ("jti" in token) {
    return {
      jti: token.jti,
      identityId: token.sub,
      authMethod: token.auth_method,
      authConfigId: token.auth_id,
      exp: token.exp,
      maxExp: token.max_exp,
      firstIat: token.first_iat,
      ttl: token.ttl,
      uses: token.uses,
      ...(token.cfp === undefined ? {} : { issuedUnder: token.cfp }),
    };
  }
  return {
    jti: token.id,
    identityId: token.identityId,
    authMethod: token.authMethod,
    exp: token.expiresAt,
    maxExp: token.maxExpiresAt,
    firstIat: token.firstIssuedAt,
    ttl: 0,
    uses: token.numUsesLimit,
  };
}

/** The ref with what the token carries of its login, for the object's re-check (none: an empty snapshot). */
export function withIssuedFor(ref: TokenRef, token: AccessTokenClaims): TokenRef {
  return { ...ref, issuedFor: { claims: token.idc ?? {}, keySource: token.kfp ?? "", leftOut: readLeftOut(token.idd) } };
}
