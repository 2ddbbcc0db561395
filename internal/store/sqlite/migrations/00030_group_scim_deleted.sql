-- A group the provider deleted over SCIM while Gatehouse keeps it
-- (deprovision_groups off): SCIM answers 404 for it from then on (RFC 7644
-- §3.6), and a POST of the same group (its externalId) restores it.

-- +goose Up
ALTER TABLE groups ADD COLUMN scim_deleted INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE groups DROP COLUMN scim_deleted;
