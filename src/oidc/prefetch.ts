import { prefetchDiscovery } from "./discovery";
import { prefetchKeys, type KeyIo } from "./issuer-keys";
import { checkTokenShape } from "./token-shape";

/** Longest `iss` worth a KV read; issuer URLs are short. */
const MAX_ISSUER_LENGTH = 512;

/**
 * On a cold isolate, the issuer's discovery document and JWKS are read from KV at the same time as the
 * login context (docs/architecture.md, "The login path"): the KV keys come from the token's `iss`, which is
 * not verified yet. Nothing is trusted from this: the copies only land in the same caches a normal read
 * fills, keyed by URL, and the login then reads the URLs its configuration names (discovery, the issuer
 * check against `boundIssuer`, the jwks_uri policy), finding them in memory when they match. The IdP is
 * never asked here (no request to a URL an unverified token chose). Assumes the common case, an
 * `oidcDiscoveryUrl` equal to the issuer; any other configuration simply reads as before.
 */
export function prefetchIssuer(io: KeyIo & { allowInsecureIssuers: boolean }, jwt: string): void {
  const iss = unverifiedIssuer(jwt, io.allowInsecureIssuers);
  if (!iss) return;
  void prefetchDiscovery(io, iss).then((doc) => {
    if (doc && doc.issuer === iss) return prefetchKeys(io, doc.jwks_uri);
    return undefined;
  });
}

function unverifiedIssuer(jwt: string, allowInsecure: boolean): string | undefined {
  let iss: unknown;
  try {
    iss = checkTokenShape(jwt).payload.iss;
  } catch {
    return undefined; // the login refuses it with the right reason
  }
  if (typeof iss !== "string" || iss.length > MAX_ISSUER_LENGTH) return undefined;
  if (!(iss.startsWith("https://") || (allowInsecure && iss.startsWith("http://")))) return undefined;
  return iss;
}
