import type { OidcAuthConfig, TrustedIp } from "./records";
import { newId, nowIso } from "./ids";

export interface OidcAuthRow {
  id: string;
  identity_id: string;
  oidc_discovery_url: string;
  bound_issuer: string;
  ca_cert: string;
  bound_subject: string;
  bound_audiences: string;
  bound_claims: string;
  condition: string;
  claim_metadata_mapping: string | null;
  access_token_ttl: number;
  access_token_max_ttl: number;
  access_token_num_uses_limit: number;
  access_token_trusted_ips: string;
  jwks_url: string | null;
  jwks_json: string | null;
  replay_protection: number;
  created_at: string;
  updated_at: string;
}

/** A row as read (`SELECT *`): the login context and the identity's Durable Object read it the same way. */
export const toConfig = (r: OidcAuthRow): OidcAuthConfig => ({
  id: r.id,
  identityId: r.identity_id,
  oidcDiscoveryUrl: r.oidc_discovery_url,
  boundIssuer: r.bound_issuer,
  caCert: r.ca_cert,
  boundSubject: r.bound_subject,
  boundAudiences: r.bound_audiences,
  boundClaims: JSON.parse(r.bound_claims) as Record<string, string>,
  condition: r.condition,
  claimMetadataMapping: r.claim_metadata_mapping ? (JSON.parse(r.claim_metadata_mapping) as Record<string, string>) : null,
  accessTokenTTL: r.access_token_ttl,
  accessTokenMaxTTL: r.access_token_max_ttl,
  accessTokenNumUsesLimit: r.access_token_num_uses_limit,
  accessTokenTrustedIps: JSON.parse(r.access_token_trusted_ips) as TrustedIp[],
  jwksUrl: r.jwks_url,
  jwksJson: r.jwks_json,
  replayProtection: r.replay_protection === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The writable part of a configuration; ids and timestamps are ours. */
export type OidcAuthFields = Omit<OidcAuthConfig, "id" | "identityId" | "createdAt" | "updatedAt">;

const COLUMNS = [
  "oidc_discovery_url",
  "bound_issuer",
  "ca_cert",
  "bound_subject",
  "bound_audiences",
  "bound_claims",
  "claim_metadata_mapping",
  "access_token_ttl",
  "access_token_max_ttl",
  "access_token_num_uses_limit",
  "access_token_trusted_ips",
  "jwks_url",
  "jwks_json",
  "replay_protection",
  "condition",
] as const;

const columnValues = (f: OidcAuthFields) => [
  f.oidcDiscoveryUrl,
  f.boundIssuer,
  f.caCert,
  f.boundSubject,
  f.boundAudiences,
  JSON.stringify(f.boundClaims),
  f.claimMetadataMapping === null ? null : JSON.stringify(f.claimMetadataMapping),
  f.accessTokenTTL,
  f.accessTokenMaxTTL,
  f.accessTokenNumUsesLimit,
  JSON.stringify(f.accessTokenTrustedIps),
  f.jwksUrl,
  f.jwksJson,
  f.replayProtection ? 1 : 0,
  f.condition,
];

/** The statement getOidcAuthConfig runs (the login context reads it in a batch). */
export const oidcAuthConfigStatement = (db: D1Database, identityId: string): D1PreparedStatement =>
  db.prepare("SELECT * FROM identity_oidc_auths WHERE identity_id = ?").bind(identityId);

export async function getOidcAuthConfig(db: D1Database, identityId: string): Promise<OidcAuthConfig | null> {
  const row = await db.prepare("SELECT * FROM identity_oidc_auths WHERE identity_id = ?").bind(identityId).first<OidcAuthRow>();
  return row ? toConfig(row) : null;
}

/** The statement that attaches a configuration; it changes nothing when the identity has one (unique identity_id). */
export function insertOidcAuthConfigStatement(
  db: D1Database,
  identityId: string,
  fields: OidcAuthFields,
): { statement: D1PreparedStatement; config: OidcAuthConfig } {
  const now = nowIso();
  const id = newId();
  const statement = db
    .prepare(
      `INSERT INTO identity_oidc_auths (id, identity_id, ${COLUMNS.join(", ")}, created_at, updated_at)
       VALUES (?, ?, ${COLUMNS.map(() => "?").join(", ")}, ?, ?) ON CONFLICT(identity_id) DO NOTHING`,
    )
    .bind(id, identityId, ...columnValues(fields), now, now);
  return { statement, config: { id, identityId, ...fields, createdAt: now, updatedAt: now } };
}

/** The statement that replaces `before`'s fields, and the configuration it leaves. */
export function replaceOidcAuthConfigStatement(
  db: D1Database,
  before: OidcAuthConfig,
  fields: OidcAuthFields,
): { statement: D1PreparedStatement; config: OidcAuthConfig } {
  const now = nowIso();
  const statement = db
    .prepare(
      `UPDATE identity_oidc_auths SET ${COLUMNS.map((c) => `${c} = ?`).join(", ")}, updated_at = ?
       WHERE identity_id = ?`,
    )
    .bind(...columnValues(fields), now, before.identityId);
  return { statement, config: { ...before, ...fields, updatedAt: now } };
}

export function deleteOidcAuthConfigStatement(db: D1Database, identityId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM identity_oidc_auths WHERE identity_id = ?").bind(identityId);
}
