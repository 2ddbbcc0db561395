-- Named locks with an expiry, shared by every Gatehouse node on the same
-- database: the hourly LDAP sync of a provider takes one, so that of
-- several nodes only one reads the directory and writes its changes. A
-- node that dies leaves a lock that simply expires.

-- +goose Up
CREATE TABLE sync_locks (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE sync_locks;
