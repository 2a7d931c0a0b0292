-- Projects of an organization and the identities' memberships in them.
CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  slug        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (org_id, slug)
);

CREATE TABLE project_identity_memberships (
  id           TEXT PRIMARY KEY,
  project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  identity_id  TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  -- JSON array of role slugs: ["viewer"], ...
  roles        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  UNIQUE (project_id, identity_id)
);
CREATE INDEX memberships_by_identity ON project_identity_memberships(identity_id);
