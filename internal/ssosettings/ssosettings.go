// Package ssosettings owns the typed settings a single sign-on provider
// keeps in its options object (store.SSOStrategy.Options): the OpenID
// Connect, SAML, LDAP and provisioning keys. It is the one place that
// reads and checks them, so that a value saving a provider accepts is a
// value every sign-in and sync can use, and a refusal names the field and
// says what to put there.
//
// It sits below the identity core, which checks a provider with Parse on
// every create and update, and below the sign-in adapters, the directory
// and the provisioning engine, which read their part (ParseOIDC,
// ParseSAML, ParseLDAP, ParseProvision) at sign-in and sync. It imports
// only the store's types, and go-ldap to parse search filters as the
// connector will.
package ssosettings

import (
	"github.com/gatehouse/gatehouse/internal/store"
)

// protocolOIDC is the protocol of OpenID Connect providers (Files.com's
// name, identity.ProtocolOAuth2).
const protocolOIDC = "oauth2"

// Settings are every part of a provider's options, checked.
type Settings struct {
	OIDC      OIDC
	SAML      SAML
	LDAP      LDAP
	Provision Provision
}

// Parse reads and checks every key of p's options, whichever protocol p
// uses: a value given is always checked, so a key set ahead of a change
// of protocol or of LDAP provisioning is right when it starts to count.
// What is merely missing for a sign-in is not an error (providers are set
// up in steps); ParseOIDC with complete says that at sign-in. Keys it
// does not know are ignored here (see CheckKnownKeys). The error lists
// every refused field (FieldErrors).
func Parse(p store.SSOStrategy) (Settings, error) {
	obj, err := readObject(p.Options)
	if err != nil {
		return Settings{Provision: Provision{GroupNames: map[string]string{}}}, err
	}
	// The OpenID keys are checked on every provider; the provider kind's
	// own rules (an Entra tenant, an Okta subdomain) only where they are
	// read, on an OpenID Connect provider.
	kind, subdomain := "", ""
	if p.Protocol == protocolOIDC {
		kind, subdomain = p.Provider, p.Subdomain
	}
	var c collector
	s := Settings{
		OIDC:      parseOIDC(&c, obj, kind, subdomain, false),
		SAML:      parseSAML(&c, obj),
		LDAP:      parseLDAP(&c, obj),
		Provision: parseProvision(&c, obj),
	}
	return s, c.err()
}
