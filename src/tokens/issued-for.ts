import type { JWTPayload } from "jose";
import { claimSnapshot, type ClaimSnapshot, type LeftOut, leftOutOf, withAlsoLeftOut } from "../oidc/claim-snapshot";
import { liveRules } from "../oidc/live-rules";
import type { OidcAuthConfig } from "../storage/records";
import { MAX_ACCESS_TOKEN_LENGTH, signAccessToken, type AccessTokenClaims } from "./access-token";
import type { SigningKeys } from "./signing-keys";

/**
 * What a login signs into the access token so that the identity's Durable Object can later tell whether
 * the configuration still admits it (docs/architecture.md, "How configuration changes reach live tokens"):
 * the verified ID token's claim snapshot, and the key-source and configuration fingerprints of the
 * configuration that admitted it. No I/O: the fingerprints are computed once per cached configuration.
 */
export async function issuedForClaims(
  config: OidcAuthConfig,
  idToken: JWTPayload,
  /** the token's snapshot when the login already took it (src/oidc/authenticate.ts traces it): not taken twice */
  snapshot: ClaimSnapshot = claimSnapshot(idToken as Record<string, unknown>),
  leftOut: LeftOut = leftOutOf(idToken as Record<string, unknown>, snapshot),
): Promise<Required<Pick<AccessTokenClaims, "idc" | "idd" | "kfp" | "cfp">>> {
  const rules = await liveRules(config);
  return { idc: snapshot, idd: leftOut, kfp: rules.keySource, cfp: rules.version };
}

/**
 * Signs the claims as a token we accept back (at most MAX_ACCESS_TOKEN_LENGTH): when the snapshot makes it
 * longer (only with many long, non-ASCII claims next to a large metadata mapping), its last claims are
 * dropped, in `claims` too, until it fits, and named in `idd`. A dropped claim matches nothing, and a
 * condition that looks at one errs, so a re-check that needs it refuses: the token fails closed, never open.
 */
export async function signWithinLimit(keys: SigningKeys, claims: AccessTokenClaims, issuer?: string): Promise<string> {
  let token = await signAccessToken(keys, claims, issuer);
  while (token.length > MAX_ACCESS_TOKEN_LENGTH && claims.idc && Object.keys(claims.idc).length > 0) {
    // Base64url: 4 characters per 3 bytes of claims.
    const kept = withoutLastClaims(claims.idc, Math.ceil(((token.length - MAX_ACCESS_TOKEN_LENGTH) * 3) / 4));
    const dropped = Object.keys(claims.idc).filter((name) => !Object.hasOwn(kept, name));
    claims.idc = kept;
    claims.idd = withAlsoLeftOut(claims.idd, dropped);
    token = await signAccessToken(keys, claims, issuer);
  }
  return token;
}

const encoder = new TextEncoder();
const jsonBytes = (value: unknown) => encoder.encode(JSON.stringify(value)).length;

/** The snapshot without its last claims, enough of them (at least one) for `bytes` fewer bytes of JSON. */
export function withoutLastClaims(snapshot: ClaimSnapshot, bytes: number): ClaimSnapshot {
  const entries = Object.entries(snapshot);
  let dropped = 0;
  do {
    const last = entries.pop();
    if (!last) break;
    dropped += jsonBytes(last[0]) + jsonBytes(last[1]) + 2; // "key":value,
  } while (dropped < bytes);
  return Object.fromEntries(entries);
}
