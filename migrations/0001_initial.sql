-- Organizations, machine identities and their OIDC Auth configuration.
CREATE TABLE organizations (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  slug        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE identities (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL,
  -- Durable Object that holds this identity's token state (an id from newUniqueId, see docs/architecture.md).
  state_object TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX identities_by_org ON identities(org_id, created_at);

CREATE TABLE identity_oidc_auths (
  id                           TEXT PRIMARY KEY,
  identity_id                  TEXT NOT NULL UNIQUE REFERENCES identities(id) ON DELETE CASCADE,
  oidc_discovery_url           TEXT NOT NULL,
  bound_issuer                 TEXT NOT NULL,
  ca_cert                      TEXT NOT NULL DEFAULT '',
  bound_subject                TEXT NOT NULL DEFAULT '',
  bound_audiences              TEXT NOT NULL DEFAULT '',
  bound_claims                 TEXT NOT NULL DEFAULT '{}',
  claim_metadata_mapping       TEXT,
  access_token_ttl             INTEGER NOT NULL,
  access_token_max_ttl         INTEGER NOT NULL,
  access_token_num_uses_limit  INTEGER NOT NULL,
  access_token_trusted_ips     TEXT NOT NULL,
  -- Explicit JWKS URL when the IdP publishes keys on another host (otherwise discovery's jwks_uri).
  jwks_url                     TEXT,
  -- Static JWKS supplied by the admin, for IdPs this Worker cannot reach.
  jwks_json                    TEXT,
  -- Refuse a second login with the same (iss, jti) within the ID token's lifetime.
  replay_protection            INTEGER NOT NULL DEFAULT 0,
  created_at                   TEXT NOT NULL,
  updated_at                   TEXT NOT NULL
);

-- Every issued access token (written off the response path). The enforcement state lives in the
-- identity's Durable Object; this table is the ledger admins list and revoke from.
CREATE TABLE access_tokens (
  id              TEXT PRIMARY KEY,
  identity_id     TEXT NOT NULL,
  org_id          TEXT NOT NULL,
  auth_method     TEXT NOT NULL,
  first_issued_at INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  max_expires_at  INTEGER NOT NULL,
  num_uses_limit  INTEGER NOT NULL,
  client_ip       TEXT,
  revoked_at      INTEGER
);
CREATE INDEX access_tokens_by_identity ON access_tokens(identity_id, expires_at);
