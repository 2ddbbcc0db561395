-- The user who took each WebDAV lock: only they may refresh it or use its
-- token, and only they or a site admin may remove it. Deleting the user
-- removes their locks, so a departed user's lock does not block a file for
-- the rest of its day. Locks taken before this have no creator (NULL).

-- +goose Up
ALTER TABLE dav_locks ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE dav_locks DROP COLUMN user_id;
