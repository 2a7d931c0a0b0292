-- Who logged in (or failed to), and who changed what. Kept AUDIT_RETENTION_DAYS (cron trigger).
CREATE TABLE audit_logs (
  id           TEXT PRIMARY KEY,
  created_at   INTEGER NOT NULL,          -- epoch milliseconds
  event        TEXT NOT NULL,             -- login, token.renew, token.revoke, identity.update, ...
  outcome      TEXT NOT NULL,             -- success | failure
  reason_code  TEXT,
  org_id       TEXT,
  identity_id  TEXT,
  actor        TEXT,                      -- admin-key | identity:<id> | the logging-in identity
  client_ip    TEXT,
  country      TEXT,
  colo         TEXT,
  token_id     TEXT,
  details      TEXT                       -- JSON: checked claims, or {before, after} of an admin change
);
CREATE INDEX audit_logs_by_org ON audit_logs(org_id, created_at);
CREATE INDEX audit_logs_by_identity ON audit_logs(identity_id, created_at);
CREATE INDEX audit_logs_by_time ON audit_logs(created_at);
