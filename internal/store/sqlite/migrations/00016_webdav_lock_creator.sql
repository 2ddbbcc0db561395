-- The user who took each WebDAV lock: only they may refresh it or use its
-- token, and only they or a site admin may remove it. Deleting the user
-- removes their locks, so a departed user's lock does not block a file for
-- the rest of its day. Locks taken before this have no creator (NULL).

-- +goose Up
ALTER TABLE dav_locks ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE CASCADE;

-- +goose Down
-- SQLite cannot drop a column with a foreign key; locks last at most a
-- day, so the table starts over.
DROP TABLE dav_locks;
CREATE TABLE dav_locks (
    token           TEXT PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    root            TEXT NOT NULL,
    zero_depth      INTEGER NOT NULL,
    owner_xml       TEXT NOT NULL,
    timeout_seconds INTEGER NOT NULL,
    expires_at      TIMESTAMP,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX dav_locks_site ON dav_locks (site_id);
