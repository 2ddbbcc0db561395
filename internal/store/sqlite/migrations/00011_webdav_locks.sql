-- WebDAV locks (RFC 4918), kept in the database so that every Gatehouse
-- node behind a load balancer sees the same locks. A lock's root is a path
-- in the site's shared namespace; expired locks are ignored and swept.

-- +goose Up
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

-- +goose Down
DROP TABLE dav_locks;
