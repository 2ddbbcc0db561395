-- The public address serve runs at (its --base-url, and the domain its
-- sites are addressed under), recorded at each start so that the command
-- line prints the same absolute URLs (a SCIM Tenant URL, SAML reply URLs)
-- without being given them again. One row.

-- +goose Up
CREATE TABLE public_address (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    base_url TEXT NOT NULL,
    site_domain TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE public_address;
