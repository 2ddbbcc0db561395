-- The look-alike key of each username (package namekey): unique per site,
-- so that no way of creating or renaming a user can put "ａdmin" next to
-- "admin". Gatehouse fills it for existing users when it opens the
-- database (it is computed in Go); a user whose key another, older user
-- already holds keeps '' (the index leaves '' out) until renamed.

-- +goose Up
ALTER TABLE users ADD COLUMN username_skeleton TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_site_skeleton ON users (site_id, username_skeleton) WHERE username_skeleton <> '';

-- +goose Down
DROP INDEX users_site_skeleton;
ALTER TABLE users DROP COLUMN username_skeleton;
