-- Revocation of all of an identity's access tokens (POST /api/v1/identities/:id/access-tokens/revoke-all):
-- every token of the identity first issued at or before this second (Unix seconds) is refused, on
-- whichever token-state shard it lives (docs/architecture.md, "Token state"). NULL: never used.
-- Part of the identity's policy, which every token-state object of the identity reloads when an admin
-- change is propagated to it.
ALTER TABLE identities ADD COLUMN tokens_revoked_before INTEGER;
