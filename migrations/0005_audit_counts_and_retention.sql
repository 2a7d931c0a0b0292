-- Counted audit rows (src/storage/audit-log.ts, docs/security.md "Audit trail"): login attempts that name
-- no identity are one row per (reason, client address, minute) whose `count` says how many, instead of
-- one row each. Every isolate adds its own count to that row: `aggregate_key` is unique where it is set.
ALTER TABLE audit_logs ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_logs ADD COLUMN aggregate_key TEXT;
CREATE UNIQUE INDEX audit_logs_by_aggregate ON audit_logs(aggregate_key) WHERE aggregate_key IS NOT NULL;

-- Retention deletes expired ledger rows in bounded batches every minute (src/maintenance.ts): by this
-- index, a run that finds nothing to delete reads nothing.
CREATE INDEX access_tokens_by_expiry ON access_tokens(expires_at);
