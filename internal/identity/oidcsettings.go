package identity

import (
	"github.com/gatehouse/gatehouse/internal/ssosettings"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that OpenID Connect (protocol oauth2)
// providers read; package ssosettings owns them and says what each holds.
const (
	OptionOIDCTenantID      = ssosettings.KeyOIDCTenantID
	OptionOIDCCloudInstance = ssosettings.KeyOIDCCloudInstance
	OptionOIDCAuthority     = ssosettings.KeyOIDCAuthority
	OptionOIDCIssuerURL     = ssosettings.KeyOIDCIssuerURL
	OptionOIDCLoginClaim    = ssosettings.KeyOIDCLoginClaim
	OptionOIDCScopes        = ssosettings.KeyOIDCScopes
)

// OIDCSettings are an OpenID Connect provider's settings from its Options
// and its Files.com fields, checked (see ssosettings.OIDC).
type OIDCSettings = ssosettings.OIDC

// ReadOIDCSettings reads and checks the OpenID Connect settings of an
// oauth2 provider with the given provider kind, subdomain and Options
// JSON. Errors are ErrInvalidParams saying what to fix. complete also
// requires every setting sign-in needs; saving a provider does not, so
// that it can be set up in steps, but a value given is always checked.
func ReadOIDCSettings(provider, subdomain, options string, complete bool) (OIDCSettings, error) {
	o, err := ssosettings.ParseOIDC(store.SSOStrategy{Protocol: ProtocolOAuth2, Provider: provider, Subdomain: subdomain, Options: options}, complete)
	return o, SettingsError(err)
}

// SettingsError turns the field errors of package ssosettings into
// ErrInvalidParams carrying them (Fields), so the REST API answers each
// field's message beside the joined one; other errors pass unchanged.
func SettingsError(err error) error {
	fields := ssosettings.AsFieldErrors(err)
	if fields == nil {
		return err
	}
	e := ErrInvalidParams.With("%s", fields.Error())
	e.Fields = &fields
	return e
}
