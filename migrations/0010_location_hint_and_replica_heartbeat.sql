-- Where an organization's token-state Durable Objects are created (docs/architecture.md, "Placement").
-- NULL: no hint (Cloudflare places each object near the request that first reaches it).
ALTER TABLE organizations ADD COLUMN location_hint TEXT;

-- The time of the last maintenance run, written at the primary every minute (src/maintenance.ts). A read
-- replica shows how far behind it is by how old its copy of this row is: logins read the login context
-- from a replica only when this is recent (src/storage/login-context.ts, docs/architecture.md).
CREATE TABLE replica_heartbeat (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL                       -- epoch milliseconds
);
