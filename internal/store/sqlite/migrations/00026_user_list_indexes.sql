-- The admin console's user list: filtered by authentication method, site
-- admin, disabled or lock-out, and sorted by name, last sign-in or
-- creation, one page at a time after the previous page's last row
-- (keyset paging). Each index starts with the site; a filter's index
-- goes on in the list's default order (username), a sort's ends with the
-- id, the tie-breaker of every sorted page, so a page is a range read of
-- at most a page of rows even on a site of 100,000 users, however rare
-- the value filtered on. (SQLite sorts NULL first ascending, as the
-- keyset expects; PostgreSQL's indexes say so explicitly.) A search for
-- the start of a username, e-mail or name is a range of each key
-- column's index: they compare bytewise (BINARY), as PostgreSQL's do from
-- this migration on.

-- +goose Up
CREATE INDEX users_site_auth_method ON users (site_id, authentication_method, username_key);
CREATE INDEX users_site_admin ON users (site_id, site_admin, username_key);
CREATE INDEX users_site_disabled ON users (site_id, disabled, username_key);
CREATE INDEX users_site_lockout ON users (site_id, lockout_expires);
CREATE INDEX users_site_name ON users (site_id, name_key, id);
CREATE INDEX users_site_last_login ON users (site_id, last_login_at, id);
CREATE INDEX users_site_created ON users (site_id, created_at, id);

-- +goose Down
DROP INDEX users_site_created;
DROP INDEX users_site_last_login;
DROP INDEX users_site_name;
DROP INDEX users_site_lockout;
DROP INDEX users_site_disabled;
DROP INDEX users_site_admin;
DROP INDEX users_site_auth_method;
