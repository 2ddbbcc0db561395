-- SCIM Basic credentials are looked up by username across sites, once per
-- SCIM request. (Bearer tokens are found by hash through
-- sso_strategies_scim_token, made in 00001.)

-- +goose Up
CREATE INDEX sso_strategies_scim_username ON sso_strategies (scim_username);

-- +goose Down
DROP INDEX sso_strategies_scim_username;
