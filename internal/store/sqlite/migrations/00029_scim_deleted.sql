-- A user the provider deleted over SCIM while Gatehouse keeps the account
-- (deprovision_behavior disable): SCIM answers 404 for it from then on
-- (RFC 7644 §3.6), and a POST of the same person restores it.

-- +goose Up
ALTER TABLE users ADD COLUMN scim_deleted INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN scim_deleted;
