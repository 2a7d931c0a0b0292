/**
 * TEMPORARY: what each OIDC Auth configuration field means (the README's table, "OIDC Auth configuration
 * fields"), for the request bodies of POST and PATCH /api/v1/auth/oidc-auth/identities/:identityId.
 *
 * Every other request schema describes its own fields (`.describe()`); this one's descriptions belong on
 * `oidcConfigInputSchema` in src/oidc/config-schema.ts, where the console work adds them. Once they are
 * there, delete this file, the `bodyFields: OIDC_FIELDS` lines in src/http/routes/oidc-config.ts,
 * `bodyFields` in ./route-doc.ts and `describeFields` in ./document.ts. Until then a description on the
 * schema wins over the one here.
 */
export const OIDC_FIELDS: Record<string, string> = {
  oidcDiscoveryUrl: "the issuer's base URL; `/.well-known/openid-configuration` is appended",
  boundIssuer: "exact `iss`; must also equal the discovery document's `issuer`",
  caCert: "PEM; stored (default empty)",
  boundSubject: "one pattern for `sub` (`*`, `**`, `?`; default empty)",
  boundAudiences: "comma-separated patterns; one must match an `aud` entry",
  boundClaims: "claim (or dot path) -> comma-separated patterns; every key must match",
  claimMetadataMapping: "metadata key -> claim path, copied into the access token",
  accessTokenTTL: "seconds (default 2592000); not above accessTokenMaxTTL",
  accessTokenMaxTTL: "seconds from first issuance, over all renewals (default 2592000; 0 = deployment ceiling)",
  accessTokenNumUsesLimit: "uses per token (default 0 = unlimited)",
  accessTokenTrustedIps: "IPs or CIDRs, v4 or v6, checked on every use (default 0.0.0.0/0 and ::/0)",
  jwksUrl: "use this JWKS URL instead of discovery's `jwks_uri`",
  jwksJson: "a JWKS supplied by the admin, for IdPs the Worker cannot reach",
  replayProtection: "refuse a second login with the same ID token (`iss`, `jti`) while it is valid",
};
