import { prefetchDiscovery } from "./discovery";
import { adoptKeysCopy, jwksByDiscoveryKey, prefetchKeys, type KeyIo } from "./issuer-keys";
import { checkTokenShape } from "./token-shape";
import { discoveryDocumentUrl } from "./url-policy";

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
  // One KV call for both: the discovery copy, and the JWKS copy filed under it (issuer-keys.ts). Where the
  // second is missing (written by an older version, or expired first), the JWKS copy is read after.
  const alongside = {
    key: jwksByDiscoveryKey(discoveryDocumentUrl(iss)),
    adopt: (entry: unknown, doc: { issuer: string; jwks_uri: string }) => {
      if (doc.issuer === iss) adoptKeysCopy(doc.jwks_uri, entry);
    },
  };
  void prefetchDiscovery(io, iss, alongside).then((doc) => {
    if (doc && doc.issuer === iss) return prefetchKeys(io, doc.jwks_uri); // nothing to do when adopted
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
