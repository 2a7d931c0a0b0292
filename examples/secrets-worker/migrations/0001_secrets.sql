-- Secrets by project, environment and folder path. project_id is edge-oidc-auth's project id.
CREATE TABLE secrets (
  id             TEXT NOT NULL UNIQUE,
  project_id     TEXT NOT NULL,
  environment    TEXT NOT NULL,
  secret_path    TEXT NOT NULL,
  secret_key     TEXT NOT NULL,
  secret_value   TEXT NOT NULL,
  secret_comment TEXT NOT NULL DEFAULT '',
  version        INTEGER NOT NULL DEFAULT 1,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  PRIMARY KEY (project_id, environment, secret_path, secret_key)
);

-- Project slugs, for clients that name the project by slug (Infisical's GitHub Action: workspaceSlug).
CREATE TABLE project_slugs (
  slug       TEXT PRIMARY KEY,
  project_id TEXT NOT NULL
);
