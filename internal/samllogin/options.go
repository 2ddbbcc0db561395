package samllogin

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ssosettings"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that SAML sign-in reads; package
// ssosettings owns them and says what each holds. The providers that
// existed before saml_idp_initiated's default became false were given the
// explicit true (migration 00013), so none changed on upgrade.
const (
	OptionSAMLAttributes   = ssosettings.KeySAMLAttributes
	OptionSAMLIdPInitiated = ssosettings.KeySAMLIdPInitiated
	OptionSAMLAllowSHA1    = ssosettings.KeySAMLAllowSHA1
	OptionSAMLNameIDFormat = ssosettings.KeySAMLNameIDFormat
)

// samlOptions is what a provider's Options say about SAML, in the
// connector's terms.
type samlOptions struct {
	attributes   saml.AttributeMap
	idpInitiated bool
	sha1         bool
	nameIDFormat string
}

// readSAMLOptions reads the SAML keys of a provider's Options (through
// ssosettings, which checked them when the provider was saved); keys of
// other components are ignored. Unreadable SAML keys are an error, not a
// silent default: a sign-in mapped with the wrong attribute could link
// the wrong account.
func readSAMLOptions(p store.SSOStrategy) (samlOptions, error) {
	o := samlOptions{attributes: saml.DefaultAttributeMap()}
	s, err := ssosettings.ParseSAML(p)
	if err != nil {
		return o, fmt.Errorf("provider options: %w", err)
	}
	a := s.Attributes
	for _, f := range []struct {
		names []string
		dst   *[]string
	}{
		{a.ImmutableID, &o.attributes.ImmutableID}, {a.Login, &o.attributes.Login}, {a.Email, &o.attributes.Email},
		{a.GivenName, &o.attributes.GivenName}, {a.FamilyName, &o.attributes.FamilyName}, {a.Groups, &o.attributes.Groups},
		{a.GroupsOverage, &o.attributes.GroupsOverage},
	} {
		if f.names != nil {
			*f.dst = f.names
		}
	}
	o.idpInitiated, o.sha1, o.nameIDFormat = s.IdPInitiated, s.AllowSHA1, s.NameIDFormat
	return o, nil
}

// SetIdPInitiated sets whether a SAML provider of site accepts sign-ins
// started at its identity provider (options.saml_idp_initiated), keeping
// its other options, and returns the provider as saved.
func (s *Service) SetIdPInitiated(ctx context.Context, a identity.Actor, siteID, providerID int64, allow bool) (store.SSOStrategy, error) {
	p, err := s.id.GetSSOStrategy(ctx, siteID, providerID)
	if err != nil {
		return store.SSOStrategy{}, err
	}
	if p.Protocol != identity.ProtocolSAML {
		return store.SSOStrategy{}, fmt.Errorf("provider %d is a %s provider; only SAML providers have sign-ins started at the identity provider", p.ID, p.Protocol)
	}
	raw, err := ssosettings.SetKey(p.Options, OptionSAMLIdPInitiated, allow)
	if err != nil {
		return store.SSOStrategy{}, fmt.Errorf("provider %d: its options are not a JSON object (%v); fix them with PATCH /api/rest/v1/sso_strategies/%d", p.ID, err, p.ID)
	}
	msg := json.RawMessage(raw)
	return s.id.UpdateSSOStrategy(ctx, a, siteID, p.ID, identity.SSOStrategyChange{Options: &msg})
}

// IdPInitiated reports whether provider p accepts sign-ins started at its
// identity provider; false also when its options cannot be read, which
// refuses every sign-in anyway.
func IdPInitiated(p store.SSOStrategy) bool {
	o, err := readSAMLOptions(p)
	return err == nil && o.idpInitiated
}
