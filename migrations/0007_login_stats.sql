-- Login traffic at a glance (the console's traffic pages, GET /api/v1/login-traffic): logins and token
-- exchanges counted per hour, by outcome and reason, for each organization (identity_id = '') and each
-- identity. A trigger keeps the counts as audit events are written, so a 30-day chart reads at most
-- 720 hours x (event, outcome, reason) rows whatever the number of audit rows behind them
-- (docs/traffic.md, with the measurement). Pruned with the audit log (src/maintenance.ts).
CREATE TABLE login_stats (
  org_id       TEXT NOT NULL,
  identity_id  TEXT NOT NULL,             -- '' = the whole organization
  hour         INTEGER NOT NULL,          -- epoch hours (created_at / 3600000)
  event        TEXT NOT NULL,             -- login | token.exchange
  outcome      TEXT NOT NULL,             -- success | failure
  reason_code  TEXT NOT NULL,             -- '' for successes
  n            INTEGER NOT NULL,
  PRIMARY KEY (org_id, identity_id, hour, event, outcome, reason_code)
) WITHOUT ROWID;

CREATE TRIGGER audit_logs_login_stats AFTER INSERT ON audit_logs
WHEN NEW.event IN ('login', 'token.exchange') AND NEW.org_id IS NOT NULL
BEGIN
  INSERT INTO login_stats (org_id, identity_id, hour, event, outcome, reason_code, n)
  VALUES (NEW.org_id, '', NEW.created_at / 3600000, NEW.event, NEW.outcome, COALESCE(NEW.reason_code, ''), 1)
  ON CONFLICT (org_id, identity_id, hour, event, outcome, reason_code) DO UPDATE SET n = n + 1;
  INSERT INTO login_stats (org_id, identity_id, hour, event, outcome, reason_code, n)
  VALUES (NEW.org_id, COALESCE(NEW.identity_id, ''), NEW.created_at / 3600000, NEW.event, NEW.outcome, COALESCE(NEW.reason_code, ''), 1)
  ON CONFLICT (org_id, identity_id, hour, event, outcome, reason_code) DO UPDATE SET n = n + 1;
END;

-- The events already logged.
INSERT INTO login_stats (org_id, identity_id, hour, event, outcome, reason_code, n)
SELECT org_id, '', created_at / 3600000, event, outcome, COALESCE(reason_code, ''), COUNT(*)
FROM audit_logs WHERE event IN ('login', 'token.exchange') AND org_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO login_stats (org_id, identity_id, hour, event, outcome, reason_code, n)
SELECT org_id, COALESCE(identity_id, ''), created_at / 3600000, event, outcome, COALESCE(reason_code, ''), COUNT(*)
FROM audit_logs WHERE event IN ('login', 'token.exchange') AND org_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

-- "Top refusal reasons" link to the audit log filtered by reason: refusals only (successes have none).
CREATE INDEX audit_logs_by_org_reason ON audit_logs(org_id, reason_code, created_at) WHERE reason_code IS NOT NULL;
