package samllogin

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that SAML sign-in reads.
const (
	// OptionSAMLAttributes names, per identity field, the SAML attributes
	// that carry it: {"saml_attributes": {"email": ["mail"], "groups":
	// "memberOf"}}. Fields: immutable_id, login, email, given_name,
	// family_name, groups, groups_overage; each a name or a list of names
	// tried in order. Fields left out keep the defaults, which understand
	// Entra ID's claim names.
	OptionSAMLAttributes = "saml_attributes"
	// OptionSAMLIdPInitiated, true, accepts sign-ins started from the
	// identity provider's portal (default false). Such a sign-in answers
	// no request of ours, so it cannot be tied to a browser: whoever holds
	// one response of their own can sign another browser in with it. The
	// providers that existed before this default was false were given the
	// explicit true (migration 00013), so none changed on upgrade.
	OptionSAMLIdPInitiated = "saml_idp_initiated"
	// OptionSAMLAllowSHA1 accepts RSA-SHA1 signatures (default false).
	OptionSAMLAllowSHA1 = "saml_allow_sha1"
	// OptionSAMLNameIDFormat asks the IdP for a NameID format.
	OptionSAMLNameIDFormat = "saml_name_id_format"
)

// samlOptions is what a provider's Options say about SAML.
type samlOptions struct {
	attributes   saml.AttributeMap
	idpInitiated bool
	sha1         bool
	nameIDFormat string
}

// stringList reads a JSON string or array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a name or a list of names")
	}
	*l = many
	return nil
}

// readSAMLOptions reads the SAML keys of a provider's Options; keys of
// other components are ignored. Unreadable SAML keys are an error, not a
// silent default: a sign-in mapped with the wrong attribute could link
// the wrong account.
func readSAMLOptions(p store.SSOStrategy) (samlOptions, error) {
	o := samlOptions{attributes: saml.DefaultAttributeMap()}
	if strings.TrimSpace(p.Options) == "" {
		return o, nil
	}
	var raw struct {
		Attributes   map[string]stringList `json:"saml_attributes"`
		IdPInitiated *bool                 `json:"saml_idp_initiated"`
		SHA1         *bool                 `json:"saml_allow_sha1"`
		NameIDFormat string                `json:"saml_name_id_format"`
	}
	if err := json.Unmarshal([]byte(p.Options), &raw); err != nil {
		return o, fmt.Errorf("provider options: %w", err)
	}
	for field, names := range raw.Attributes {
		dst := attributeField(&o.attributes, field)
		if dst == nil {
			return o, fmt.Errorf("provider option %s: unknown field %q (known: immutable_id, login, email, given_name, family_name, groups, groups_overage)",
				OptionSAMLAttributes, field)
		}
		if len(names) == 0 || len(names) > 20 {
			return o, fmt.Errorf("provider option %s.%s: give 1 to 20 attribute names", OptionSAMLAttributes, field)
		}
		for _, n := range names {
			if strings.TrimSpace(n) == "" || len(n) > 512 {
				return o, fmt.Errorf("provider option %s.%s: an attribute name is empty or too long", OptionSAMLAttributes, field)
			}
		}
		*dst = names
	}
	if raw.IdPInitiated != nil {
		o.idpInitiated = *raw.IdPInitiated
	}
	o.sha1 = raw.SHA1 != nil && *raw.SHA1
	o.nameIDFormat = raw.NameIDFormat
	return o, nil
}

func attributeField(m *saml.AttributeMap, field string) *[]string {
	switch field {
	case "immutable_id":
		return &m.ImmutableID
	case "login":
		return &m.Login
	case "email":
		return &m.Email
	case "given_name":
		return &m.GivenName
	case "family_name":
		return &m.FamilyName
	case "groups":
		return &m.Groups
	case "groups_overage":
		return &m.GroupsOverage
	}
	return nil
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
	opts := map[string]json.RawMessage{}
	if strings.TrimSpace(p.Options) != "" {
		if err := json.Unmarshal([]byte(p.Options), &opts); err != nil {
			return store.SSOStrategy{}, fmt.Errorf("provider %d: its options are not a JSON object (%v); fix them with PATCH /api/rest/v1/sso_strategies/%d", p.ID, err, p.ID)
		}
	}
	opts[OptionSAMLIdPInitiated] = json.RawMessage(strconv.FormatBool(allow))
	raw, err := json.Marshal(opts)
	if err != nil {
		return store.SSOStrategy{}, err
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
