-- The first schema: one table per record kind of package store, one column
-- per record field. Booleans are INTEGER 0/1; times are UTC text
-- (YYYY-MM-DD HH:MM:SS.ffffff) so that text comparison orders them.

-- +goose Up
CREATE TABLE sites (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    subdomain                TEXT NOT NULL DEFAULT '',
    name                     TEXT NOT NULL DEFAULT '',
    is_default               INTEGER NOT NULL DEFAULT 0,
    session_expiry_minutes   INTEGER NOT NULL DEFAULT 0,
    non_sso_users_allowed    INTEGER NOT NULL DEFAULT 0,
    non_sso_groups_allowed   INTEGER NOT NULL DEFAULT 0,
    user_lockout             INTEGER NOT NULL DEFAULT 0,
    user_lockout_tries       INTEGER NOT NULL DEFAULT 0,
    user_lockout_within      INTEGER NOT NULL DEFAULT 0,
    user_lockout_lock_period INTEGER NOT NULL DEFAULT 0,
    password_min_length      INTEGER NOT NULL DEFAULT 0,
    login_help_text          TEXT NOT NULL DEFAULT '',
    event_retention_days     INTEGER NOT NULL DEFAULT 0,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sites_subdomain ON sites (lower(subdomain)) WHERE subdomain <> '';
CREATE UNIQUE INDEX sites_one_default ON sites (is_default) WHERE is_default;

CREATE TABLE users (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id                    INTEGER NOT NULL REFERENCES sites (id),
    username                   TEXT NOT NULL DEFAULT '',
    username_key               TEXT NOT NULL DEFAULT '',
    email                      TEXT NOT NULL DEFAULT '',
    email_key                  TEXT NOT NULL DEFAULT '',
    name                       TEXT NOT NULL DEFAULT '',
    name_key                   TEXT NOT NULL DEFAULT '',
    company                    TEXT NOT NULL DEFAULT '',
    time_zone                  TEXT NOT NULL DEFAULT '',
    notes                      TEXT NOT NULL DEFAULT '',
    authentication_method      TEXT NOT NULL DEFAULT '',
    sso_strategy_id            INTEGER NOT NULL DEFAULT 0,
    external_id                TEXT NOT NULL DEFAULT '',
    externally_managed         INTEGER NOT NULL DEFAULT 0,
    site_admin                 INTEGER NOT NULL DEFAULT 0,
    disabled                   INTEGER NOT NULL DEFAULT 0,
    require_password_change    INTEGER NOT NULL DEFAULT 0,
    ftp_permission             INTEGER NOT NULL DEFAULT 0,
    sftp_permission            INTEGER NOT NULL DEFAULT 0,
    dav_permission             INTEGER NOT NULL DEFAULT 0,
    restapi_permission         INTEGER NOT NULL DEFAULT 0,
    notify_on_all_sso_failures INTEGER NOT NULL DEFAULT 0,
    password_hash              TEXT NOT NULL DEFAULT '',
    password_set_at            TIMESTAMP,
    failed_logins              INTEGER NOT NULL DEFAULT 0,
    failed_logins_since        TIMESTAMP,
    lockout_expires            TIMESTAMP,
    first_login_at             TIMESTAMP,
    last_login_at              TIMESTAMP,
    last_web_login_at          TIMESTAMP,
    last_desktop_login_at      TIMESTAMP,
    last_restapi_login_at      TIMESTAMP,
    last_sftp_login_at         TIMESTAMP,
    last_ftp_login_at          TIMESTAMP,
    last_dav_login_at          TIMESTAMP,
    last_api_use_at            TIMESTAMP,
    created_at                 TIMESTAMP NOT NULL,
    updated_at                 TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_site_username ON users (site_id, username_key);
CREATE INDEX users_site_external ON users (site_id, sso_strategy_id, external_id);
CREATE INDEX users_site_email ON users (site_id, email_key);

CREATE TABLE groups (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id            INTEGER NOT NULL REFERENCES sites (id),
    name               TEXT NOT NULL DEFAULT '',
    name_key           TEXT NOT NULL DEFAULT '',
    notes              TEXT NOT NULL DEFAULT '',
    ftp_permission     INTEGER NOT NULL DEFAULT 0,
    sftp_permission    INTEGER NOT NULL DEFAULT 0,
    dav_permission     INTEGER NOT NULL DEFAULT 0,
    restapi_permission INTEGER NOT NULL DEFAULT 0,
    sso_strategy_id    INTEGER NOT NULL DEFAULT 0,
    external_id        TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_site_name ON groups (site_id, name_key);
CREATE INDEX groups_site_external ON groups (site_id, sso_strategy_id, external_id);

CREATE TABLE group_users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id    INTEGER NOT NULL REFERENCES sites (id),
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    admin      INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX group_users_group_user ON group_users (group_id, user_id);
CREATE INDEX group_users_user ON group_users (user_id);

CREATE TABLE api_keys (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id           INTEGER NOT NULL REFERENCES sites (id),
    user_id           INTEGER REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    descriptive_label TEXT NOT NULL DEFAULT '',
    key_hash          BLOB NOT NULL,
    permission_set    TEXT NOT NULL DEFAULT '',
    expires_at        TIMESTAMP,
    last_use_at       TIMESTAMP,
    created_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_site_user ON api_keys (site_id, user_id);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE public_keys (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id            INTEGER NOT NULL REFERENCES sites (id),
    user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title              TEXT NOT NULL DEFAULT '',
    public_key         TEXT NOT NULL DEFAULT '',
    fingerprint_sha256 TEXT NOT NULL DEFAULT '',
    last_login_at      TIMESTAMP,
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX public_keys_site_fingerprint ON public_keys (site_id, fingerprint_sha256);
CREATE INDEX public_keys_user ON public_keys (user_id);

CREATE TABLE sessions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id           INTEGER NOT NULL REFERENCES sites (id),
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash        BLOB NOT NULL,
    channel           TEXT NOT NULL DEFAULT '',
    ip                TEXT NOT NULL DEFAULT '',
    user_agent        TEXT NOT NULL DEFAULT '',
    sso_session_index TEXT NOT NULL DEFAULT '',
    expires_at        TIMESTAMP NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_site_user ON sessions (site_id, user_id);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE sso_strategies (
    id                                   INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id                              INTEGER NOT NULL REFERENCES sites (id),
    protocol                             TEXT NOT NULL DEFAULT '',
    provider                             TEXT NOT NULL DEFAULT '',
    label                                TEXT NOT NULL DEFAULT '',
    logo_url                             TEXT NOT NULL DEFAULT '',
    enabled                              INTEGER NOT NULL DEFAULT 0,
    display_on_login_page                INTEGER NOT NULL DEFAULT 0,
    provider_identifier                  TEXT NOT NULL DEFAULT '',
    subdomain                            TEXT NOT NULL DEFAULT '',
    client_id                            TEXT NOT NULL DEFAULT '',
    client_secret_enc                    BLOB,
    saml_provider_cert_fingerprint       TEXT NOT NULL DEFAULT '',
    saml_provider_issuer_url             TEXT NOT NULL DEFAULT '',
    saml_provider_metadata_content       TEXT NOT NULL DEFAULT '',
    saml_provider_metadata_url           TEXT NOT NULL DEFAULT '',
    saml_provider_slo_target_url         TEXT NOT NULL DEFAULT '',
    saml_provider_sso_target_url         TEXT NOT NULL DEFAULT '',
    scim_authentication_method           TEXT NOT NULL DEFAULT '',
    scim_username                        TEXT NOT NULL DEFAULT '',
    scim_password_enc                    BLOB,
    scim_token_hash                      BLOB,
    scim_token_expires_at                TIMESTAMP,
    provision_users                      INTEGER NOT NULL DEFAULT 0,
    provision_groups                     INTEGER NOT NULL DEFAULT 0,
    deprovision_users                    INTEGER NOT NULL DEFAULT 0,
    deprovision_groups                   INTEGER NOT NULL DEFAULT 0,
    deprovision_behavior                 TEXT NOT NULL DEFAULT '',
    provision_group_default              TEXT NOT NULL DEFAULT '',
    provision_group_exclusion            TEXT NOT NULL DEFAULT '',
    provision_group_inclusion            TEXT NOT NULL DEFAULT '',
    provision_group_required             TEXT NOT NULL DEFAULT '',
    provision_email_signup_groups        TEXT NOT NULL DEFAULT '',
    provision_readonly_site_admin_groups TEXT NOT NULL DEFAULT '',
    provision_site_admin_groups          TEXT NOT NULL DEFAULT '',
    provision_group_admin_groups         TEXT NOT NULL DEFAULT '',
    provision_dav_permission             INTEGER NOT NULL DEFAULT 0,
    provision_ftp_permission             INTEGER NOT NULL DEFAULT 0,
    provision_sftp_permission            INTEGER NOT NULL DEFAULT 0,
    provision_time_zone                  TEXT NOT NULL DEFAULT '',
    provision_company                    TEXT NOT NULL DEFAULT '',
    provision_require_2fa                TEXT NOT NULL DEFAULT '',
    provision_filesystem_layout          TEXT NOT NULL DEFAULT '',
    ldap_base_dn                         TEXT NOT NULL DEFAULT '',
    ldap_domain                          TEXT NOT NULL DEFAULT '',
    ldap_host                            TEXT NOT NULL DEFAULT '',
    ldap_host_2                          TEXT NOT NULL DEFAULT '',
    ldap_host_3                          TEXT NOT NULL DEFAULT '',
    ldap_port                            INTEGER NOT NULL DEFAULT 0,
    ldap_secure                          INTEGER NOT NULL DEFAULT 0,
    ldap_type                            TEXT NOT NULL DEFAULT '',
    ldap_username                        TEXT NOT NULL DEFAULT '',
    ldap_password_enc                    BLOB,
    ldap_username_field                  TEXT NOT NULL DEFAULT '',
    ldap_provisioning_enabled            INTEGER NOT NULL DEFAULT 0,
    options                              TEXT NOT NULL DEFAULT '',
    created_at                           TIMESTAMP NOT NULL,
    updated_at                           TIMESTAMP NOT NULL
);
CREATE INDEX sso_strategies_site ON sso_strategies (site_id);
CREATE INDEX sso_strategies_scim_token ON sso_strategies (scim_token_hash);

CREATE TABLE sso_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    event_type      TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    event_errors    TEXT NOT NULL DEFAULT '[]',
    user_id         INTEGER NOT NULL DEFAULT 0,
    username        TEXT NOT NULL DEFAULT '',
    idp_uid         TEXT NOT NULL DEFAULT '',
    provider        TEXT NOT NULL DEFAULT '',
    provider_label  TEXT NOT NULL DEFAULT '',
    sso_strategy_id INTEGER NOT NULL DEFAULT 0,
    ip              TEXT NOT NULL DEFAULT '',
    region          TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX sso_events_site_created ON sso_events (site_id, created_at);
CREATE INDEX sso_events_site_id ON sso_events (site_id, id);

CREATE TABLE external_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    event_type      TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    sso_strategy_id INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX external_events_site_created ON external_events (site_id, created_at);
CREATE INDEX external_events_site_id ON external_events (site_id, id);

CREATE TABLE scim_logs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id            INTEGER NOT NULL REFERENCES sites (id),
    sso_strategy_id    INTEGER NOT NULL DEFAULT 0,
    request_path       TEXT NOT NULL DEFAULT '',
    request_method     TEXT NOT NULL DEFAULT '',
    http_response_code INTEGER NOT NULL DEFAULT 0,
    user_agent         TEXT NOT NULL DEFAULT '',
    request_json       TEXT NOT NULL DEFAULT '',
    response_json      TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX scim_logs_site_created ON scim_logs (site_id, created_at);
CREATE INDEX scim_logs_site_id ON scim_logs (site_id, id);

-- +goose Down
DROP TABLE scim_logs;
DROP TABLE external_events;
DROP TABLE sso_events;
DROP TABLE sso_strategies;
DROP TABLE sessions;
DROP TABLE public_keys;
DROP TABLE api_keys;
DROP TABLE group_users;
DROP TABLE groups;
DROP TABLE users;
DROP TABLE sites;
