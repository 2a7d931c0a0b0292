-- One D1 row per login (issue 15) and the audit log's cold tier in R2 (issue 16); docs/architecture.md,
-- "Audit tiers".
--
-- 1. The login's audit row is the token's ledger row. A successful login (event `login` or `token.exchange`)
--    writes one audit_logs row whose id is the token's jti and which carries the ledger's columns (expiry,
--    limits, revocation). Renewal raises `expires_at` on it, revocation sets `revoked_at`, the admin listing
--    reads it. The access_tokens table is gone; a view of the same name keeps its shape for readers.
ALTER TABLE audit_logs ADD COLUMN first_issued_at INTEGER;   -- epoch seconds; set on rows that are ledger rows
ALTER TABLE audit_logs ADD COLUMN expires_at INTEGER;        -- epoch seconds, the latest exp a renewal reached
ALTER TABLE audit_logs ADD COLUMN max_expires_at INTEGER;
ALTER TABLE audit_logs ADD COLUMN num_uses_limit INTEGER;
ALTER TABLE audit_logs ADD COLUMN auth_method TEXT;
ALTER TABLE audit_logs ADD COLUMN revoked_at INTEGER;
-- 1 = this row is only the ledger of a live token: its audit event was moved to the R2 archive (or aged past
-- retention) and its details dropped, or it is a renewal's stand-in for a login row not written yet (event
-- 'token.ledger'). Reads of the audit log skip these rows.
ALTER TABLE audit_logs ADD COLUMN ledger_only INTEGER NOT NULL DEFAULT 0;

-- The ledger's rows join their login rows: a login row is re-keyed by its token's jti (its audit id changes
-- once, here), then takes the ledger's columns.
UPDATE audit_logs SET id = token_id
WHERE event IN ('login', 'token.exchange') AND outcome = 'success' AND token_id IS NOT NULL AND id <> token_id
  AND token_id IN (SELECT id FROM access_tokens)
  AND NOT EXISTS (SELECT 1 FROM audit_logs b WHERE b.id = audit_logs.token_id);
UPDATE audit_logs SET first_issued_at = t.first_issued_at, expires_at = t.expires_at,
  max_expires_at = t.max_expires_at, num_uses_limit = t.num_uses_limit, auth_method = t.auth_method,
  revoked_at = t.revoked_at
FROM access_tokens t WHERE audit_logs.id = t.id;
-- A ledger row whose login row is not there (lost with a crashed isolate) stays a ledger row.
INSERT INTO audit_logs (id, created_at, event, outcome, org_id, identity_id, actor, client_ip, token_id,
  first_issued_at, expires_at, max_expires_at, num_uses_limit, auth_method, revoked_at, ledger_only)
SELECT t.id, t.first_issued_at * 1000, 'token.ledger', 'success', t.org_id, t.identity_id, 'identity:' || t.identity_id,
  t.client_ip, t.id, t.first_issued_at, t.expires_at, t.max_expires_at, t.num_uses_limit, t.auth_method, t.revoked_at, 1
FROM access_tokens t WHERE NOT EXISTS (SELECT 1 FROM audit_logs a WHERE a.id = t.id);

DROP TABLE access_tokens;
CREATE VIEW access_tokens AS
SELECT id, identity_id, org_id, auth_method, first_issued_at, expires_at, max_expires_at, num_uses_limit, client_ip, revoked_at
FROM audit_logs WHERE expires_at IS NOT NULL;

-- The admin listing (an identity's tokens not expired yet) and the ledger's retention.
CREATE INDEX audit_logs_tokens_by_identity ON audit_logs(identity_id, expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX audit_logs_ledger_by_expiry ON audit_logs(expires_at) WHERE ledger_only = 1;
-- Time order of the audit events only: the archive and retention walk it oldest first, and rows kept only as
-- a live token's ledger are not in their way.
DROP INDEX audit_logs_by_time;
CREATE INDEX audit_logs_by_time ON audit_logs(created_at) WHERE ledger_only = 0;

-- A renewal's stand-in turning into the login row it stood for is that login's insert, for the counts of
-- migrations/0007_login_stats.sql (the insert trigger skips 'token.ledger' rows).
CREATE TRIGGER audit_logs_login_stats_late AFTER UPDATE OF event ON audit_logs
WHEN OLD.event = 'token.ledger' AND NEW.event IN ('login', 'token.exchange') AND NEW.org_id IS NOT NULL
BEGIN
  INSERT INTO login_stats (org_id, identity_id, hour, event, outcome, reason_code, n)
  VALUES (NEW.org_id, '', NEW.created_at / 3600000, NEW.event, NEW.outcome, COALESCE(NEW.reason_code, ''), 1)
  ON CONFLICT (org_id, identity_id, hour, event, outcome, reason_code) DO UPDATE SET n = n + 1;
  INSERT INTO login_stats (org_id, identity_id, hour, event, outcome, reason_code, n)
  VALUES (NEW.org_id, COALESCE(NEW.identity_id, ''), NEW.created_at / 3600000, NEW.event, NEW.outcome, COALESCE(NEW.reason_code, ''), 1)
  ON CONFLICT (org_id, identity_id, hour, event, outcome, reason_code) DO UPDATE SET n = n + 1;
END;

-- 2. The catalog of the audit archive: one row per R2 object (a part: up to ARCHIVE_PART_ROWS audit rows of
--    one organization and UTC day, oldest first, gzipped NDJSON). A part's rows leave audit_logs in the same
--    transaction that writes its row here, so a reader sees each event exactly once: in D1, or in a part
--    listed here. An object not listed here (a run that stopped between R2 and D1) is never read.
CREATE TABLE audit_archive_parts (
  key        TEXT PRIMARY KEY,            -- R2 object key: audit/<orgId or _>/<yyyy-mm-dd>/<first>.ndjson.gz
  org_id     TEXT NOT NULL,               -- '' for rows of no organization
  day        INTEGER NOT NULL,            -- epoch days (UTC)
  first_at   INTEGER NOT NULL,            -- (created_at, id) of the part's oldest row
  first_id   TEXT NOT NULL,
  last_at    INTEGER NOT NULL,            -- (created_at, id) of its newest row
  last_id    TEXT NOT NULL,
  rows       INTEGER NOT NULL,
  bytes      INTEGER NOT NULL,            -- compressed size
  attempt    TEXT NOT NULL                -- the archive run that wrote it (its D1 statements check it)
);
CREATE INDEX audit_archive_parts_by_org ON audit_archive_parts(org_id, last_at);
CREATE INDEX audit_archive_parts_by_time ON audit_archive_parts(last_at);
CREATE INDEX audit_archive_parts_by_day ON audit_archive_parts(day);
