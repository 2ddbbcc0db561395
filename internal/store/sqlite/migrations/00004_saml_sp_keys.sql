-- Each site's SAML service provider key pair: the private key sealed with
-- the master key, and its self-signed certificate, published in the SP
-- metadata. AuthnRequests and LogoutRequests are signed with it and
-- encrypted assertions are decrypted with it.

-- +goose Up
CREATE TABLE saml_sp_keys (
    site_id         INTEGER PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    private_key_enc BLOB NOT NULL,
    certificate     BLOB NOT NULL,
    created_at      TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE saml_sp_keys;
