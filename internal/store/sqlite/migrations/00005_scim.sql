-- SCIM: what a SCIM client sends about a user beyond the account fields,
-- kept so that it reads back what it wrote, and the indexes that let
-- SCIM filters (externalId, displayName, meta.lastModified) run without
-- reading every user.

-- +goose Up
ALTER TABLE users ADD COLUMN scim_external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN scim_display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN scim_display_name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN employee_number TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN manager_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN scim_attributes TEXT NOT NULL DEFAULT '';
CREATE INDEX users_site_scim_external ON users (site_id, scim_external_id);
CREATE INDEX users_site_scim_display_name ON users (site_id, scim_display_name_key);
CREATE INDEX users_site_updated ON users (site_id, updated_at);
CREATE INDEX groups_site_updated ON groups (site_id, updated_at);

-- +goose Down
DROP INDEX groups_site_updated;
DROP INDEX users_site_updated;
DROP INDEX users_site_scim_display_name;
DROP INDEX users_site_scim_external;
ALTER TABLE users DROP COLUMN scim_attributes;
ALTER TABLE users DROP COLUMN manager_id;
ALTER TABLE users DROP COLUMN department;
ALTER TABLE users DROP COLUMN employee_number;
ALTER TABLE users DROP COLUMN scim_display_name_key;
ALTER TABLE users DROP COLUMN scim_display_name;
ALTER TABLE users DROP COLUMN scim_external_id;
