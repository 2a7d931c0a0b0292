/** Domain records as the API returns them (camelCase, Infisical's field names). */

export const ORG_ROLES = ["admin", "member", "no-access"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const PROJECT_ROLES = ["admin", "member", "viewer", "no-access"] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export const AUTH_METHOD_OIDC = "oidc-auth";

/** Cloudflare's Durable Object location hints (docs/architecture.md, "Placement"). */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

export interface Organization {
  id: string;
  name: string;
  slug: string;
  /** Durable Object location hint for its identities' token state (docs/architecture.md, "Placement"); null: none. */
  locationHint: LocationHint | null;
  createdAt: string;
  updatedAt: string;
}

export interface Identity {
  id: string;
  orgId: string;
  name: string;
  role: OrgRole;
  /** Durable Object id (hex) holding this identity's token state. */
  stateObject: string;
  authMethods: string[];
  createdAt: string;
  updatedAt: string;
}

export interface TrustedIp {
  ipAddress: string;
}

export interface OidcAuthConfig {
  id: string;
  identityId: string;
  oidcDiscoveryUrl: string;
  boundIssuer: string;
  caCert: string;
  boundSubject: string;
  boundAudiences: string;
  boundClaims: Record<string, string>;
  /** A CEL expression over the token's claims that must hold too ("" = none): src/oidc/condition.ts. */
  condition: string;
  claimMetadataMapping: Record<string, string> | null;
  accessTokenTTL: number;
  accessTokenMaxTTL: number;
  accessTokenNumUsesLimit: number;
  accessTokenTrustedIps: TrustedIp[];
  jwksUrl: string | null;
  jwksJson: string | null;
  replayProtection: boolean;
  createdAt: string;
  updatedAt: string;
}
