-- Memberships remember which provider's provisioning made them, so that
-- provisioning removes only memberships it made and never one an admin
-- made by hand. 0 means an admin.

-- +goose Up
ALTER TABLE group_users ADD COLUMN sso_strategy_id INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE group_users DROP COLUMN sso_strategy_id;
