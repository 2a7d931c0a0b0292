-- An OIDC Auth configuration's condition: a CEL expression over the ID token's claims that must hold, on
-- top of the bound subject, audiences and claims ('' = none; src/oidc/condition.ts).
ALTER TABLE identity_oidc_auths ADD COLUMN condition TEXT NOT NULL DEFAULT '';
