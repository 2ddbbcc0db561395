-- The latest expiry the owner of an API key may give it: set when a site
-- admin gives another user's key an expiry, so that its owner can bring
-- the date forward but not push it back. NULL: no ceiling.

-- +goose Up
ALTER TABLE api_keys ADD COLUMN expires_at_ceiling TIMESTAMPTZ;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN expires_at_ceiling;
