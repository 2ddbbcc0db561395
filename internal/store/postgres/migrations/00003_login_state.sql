-- State that every node shares while a sign-in is in flight: AuthnRequests
-- and authorization requests waiting for their answer, SAML assertion IDs
-- already used (the replay cache), and the last good identity provider
-- metadata fetched from a provider's metadata URL.

-- +goose Up
CREATE TABLE login_states (
    key_hash        BYTEA PRIMARY KEY,
    site_id         BIGINT NOT NULL REFERENCES sites (id),
    sso_strategy_id BIGINT NOT NULL DEFAULT 0,
    kind            TEXT NOT NULL DEFAULT '',
    data            TEXT NOT NULL DEFAULT '',
    expires_at      TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_states_expires ON login_states (expires_at);

CREATE TABLE saml_assertions (
    sso_strategy_id BIGINT NOT NULL,
    assertion_id    TEXT NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sso_strategy_id, assertion_id)
);
CREATE INDEX saml_assertions_expires ON saml_assertions (expires_at);

CREATE TABLE sso_metadata (
    sso_strategy_id BIGINT PRIMARY KEY REFERENCES sso_strategies (id) ON DELETE CASCADE,
    raw             TEXT NOT NULL DEFAULT '',
    fetched_at      TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_at   TIMESTAMPTZ
);

-- +goose Down
DROP TABLE sso_metadata;
DROP TABLE saml_assertions;
DROP TABLE login_states;
