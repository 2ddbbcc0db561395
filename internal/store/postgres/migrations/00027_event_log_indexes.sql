-- The console's logs list newest first, filtered by provider, user, type
-- or status. Each filter has an index that starts with the site and the
-- filtered column and ends with the id, so a page is read in id order
-- from the index whatever the log's size (1,000,000 entries and more),
-- instead of walking the site's whole log backwards for a rare value.
-- Type and status, and provider and status, are asked together often
-- enough ("failed OpenID sign-ins", "this provider's failures") to have
-- an index of their own: a combination that matches nothing would else
-- walk every entry of one of them.

-- +goose Up
CREATE INDEX sso_events_site_strategy_id ON sso_events (site_id, sso_strategy_id, id);
CREATE INDEX sso_events_site_user_id ON sso_events (site_id, user_id, id);
CREATE INDEX sso_events_site_username_id ON sso_events (site_id, username, id);
CREATE INDEX sso_events_site_type_id ON sso_events (site_id, event_type, id);
CREATE INDEX sso_events_site_status_id ON sso_events (site_id, status, id);
CREATE INDEX sso_events_site_type_status_id ON sso_events (site_id, event_type, status, id);
CREATE INDEX sso_events_site_strategy_status_id ON sso_events (site_id, sso_strategy_id, status, id);
CREATE INDEX external_events_site_strategy_id ON external_events (site_id, sso_strategy_id, id);
CREATE INDEX external_events_site_type_id ON external_events (site_id, event_type, id);
CREATE INDEX external_events_site_status_id ON external_events (site_id, status, id);
CREATE INDEX scim_logs_site_strategy_id ON scim_logs (site_id, sso_strategy_id, id);

-- +goose Down
DROP INDEX scim_logs_site_strategy_id;
DROP INDEX external_events_site_status_id;
DROP INDEX external_events_site_type_id;
DROP INDEX external_events_site_strategy_id;
DROP INDEX sso_events_site_strategy_status_id;
DROP INDEX sso_events_site_type_status_id;
DROP INDEX sso_events_site_status_id;
DROP INDEX sso_events_site_type_id;
DROP INDEX sso_events_site_username_id;
DROP INDEX sso_events_site_user_id;
DROP INDEX sso_events_site_strategy_id;
