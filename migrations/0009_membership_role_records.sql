-- Project membership roles become records (Infisical's shape): each role of a membership has an id and may
-- be temporary (isTemporary, temporaryMode "relative", temporaryRange, temporaryAccessStartTime and
-- temporaryAccessEndTime, ISO 8601). The column stays a JSON array on the membership row, so a membership
-- and its roles are still written by one statement; rows written before hold bare role slugs
-- (["viewer"]) and become permanent role records here. The new reader accepts both forms
-- (src/storage/projects.ts), so rows the previous code writes until it is replaced still read. The previous
-- code cannot read records: between this migration and the deploy, its RPC answers no project roles (it
-- keeps string roles only: it fails closed) and its membership reads show the records as roles. Deploy
-- right after applying.
UPDATE project_identity_memberships
SET roles = (
  SELECT json_group_array(json_object(
    'id', lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12)),
    'role', slug,
    'customRoleId', NULL,
    'customRoleSlug', NULL,
    'isTemporary', json('false'),
    'temporaryMode', NULL,
    'temporaryRange', NULL,
    'temporaryAccessStartTime', NULL,
    'temporaryAccessEndTime', NULL,
    'createdAt', project_identity_memberships.created_at,
    'updatedAt', project_identity_memberships.updated_at
  ))
  FROM (SELECT j.value AS slug, hex(randomblob(16)) AS h FROM json_each(project_identity_memberships.roles) j ORDER BY j.key)
)
WHERE json_type(roles, '$[0]') = 'text';
