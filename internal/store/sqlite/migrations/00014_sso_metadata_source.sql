-- The metadata URL a cached copy of identity provider metadata was fetched
-- from, so that a copy is never used for another URL (a provider whose URL
-- changed, or a refresh that raced with the change, finds no usable copy
-- and fetches the new URL), and the count of consecutive failed fetches,
-- which spaces out the retries of a failing URL. Rows from before this
-- migration have no source, so their URL is fetched once more.

-- +goose Up
ALTER TABLE sso_metadata ADD COLUMN source_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_metadata ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sso_metadata DROP COLUMN failures;
ALTER TABLE sso_metadata DROP COLUMN source_url;
