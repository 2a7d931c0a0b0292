-- The admin console's server-side state (src/console/session.ts, src/storage/console.ts).
-- A console session exists while its row does: signing out deletes it, "end every session" deletes all.
CREATE TABLE console_sessions (
  id          TEXT PRIMARY KEY,          -- the random session id the signed cookie carries
  kind        TEXT NOT NULL,             -- admin-key | identity
  created_at  INTEGER NOT NULL,          -- epoch seconds
  expires_at  INTEGER NOT NULL           -- created_at + the 8-hour maximum; expired rows are deleted at sign-in
);
CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_at);

-- Values generated once per deployment and never sent to a client: the console's key-derivation salt
-- (used when no CONSOLE_SECRET is set). Not a key on its own: the console's keys also need ADMIN_API_KEY.
CREATE TABLE deployment_salts (
  name        TEXT PRIMARY KEY,
  value       TEXT NOT NULL,             -- base64url of 32 random bytes
  created_at  TEXT NOT NULL
);
