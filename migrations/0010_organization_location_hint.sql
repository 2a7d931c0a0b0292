-- Where an organization's token-state Durable Objects are created (docs/architecture.md, "Placement").
-- NULL: no hint (Cloudflare places each object near the request that first reaches it).
ALTER TABLE organizations ADD COLUMN location_hint TEXT;
