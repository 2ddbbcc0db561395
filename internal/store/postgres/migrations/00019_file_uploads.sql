-- Multi-part REST uploads (begin_upload, a PUT per part, then the end),
-- kept in the database so that the limits on unfinished uploads count
-- every node's, a restart does not lose an upload's bookkeeping, and any
-- node can finish an upload another node began. The part bytes live in the
-- file storage's staging area; these rows say which parts arrived, how
-- large and in which version (etag). An upload past expires_at is swept,
-- with its staged parts.

-- +goose Up
CREATE TABLE file_uploads (
    ref           TEXT PRIMARY KEY,
    site_id       BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_key_id    BIGINT,
    session_id    BIGINT,
    path          TEXT NOT NULL,
    declared_size BIGINT NOT NULL,
    ending        BOOLEAN NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX file_uploads_site_user ON file_uploads (site_id, user_id);
CREATE INDEX file_uploads_expires ON file_uploads (expires_at);

CREATE TABLE file_upload_parts (
    ref         TEXT NOT NULL REFERENCES file_uploads (ref) ON DELETE CASCADE,
    part        BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    etag        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ref, part)
);

-- +goose Down
DROP TABLE file_upload_parts;
DROP TABLE file_uploads;
