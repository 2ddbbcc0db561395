package ssosettings

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Keys of store.SSOStrategy.Options that SAML sign-in reads.
const (
	// KeySAMLAttributes names, per identity field, the SAML attributes
	// that carry it: {"saml_attributes": {"email": ["mail"], "groups":
	// "memberOf"}}. Fields: immutable_id, login, email, given_name,
	// family_name, groups, groups_overage; each a name or a list of names
	// tried in order. Fields left out keep the defaults, which understand
	// Entra ID's claim names.
	KeySAMLAttributes = "saml_attributes"
	// KeySAMLIdPInitiated, true, accepts sign-ins started from the
	// identity provider's portal (default false). Such a sign-in answers
	// no request of ours, so it cannot be tied to a browser: whoever holds
	// one response of their own can sign another browser in with it.
	KeySAMLIdPInitiated = "saml_idp_initiated"
	// KeySAMLAllowSHA1 accepts RSA-SHA1 signatures (default false).
	KeySAMLAllowSHA1 = "saml_allow_sha1"
	// KeySAMLNameIDFormat asks the IdP for a NameID format.
	KeySAMLNameIDFormat = "saml_name_id_format"
)

var samlKeys = []string{KeySAMLAttributes, KeySAMLIdPInitiated, KeySAMLAllowSHA1, KeySAMLNameIDFormat}

// samlNameIDFormats are the NameID formats an AuthnRequest may ask for,
// the four Entra accepts (and the SAML connector builds requests with).
var samlNameIDFormats = []string{
	"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
	"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
	"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
	"urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}

// Bounds of saml_attributes: an identity field is tried against at most
// maxSAMLNames attribute names of at most maxSAMLNameLen characters.
const (
	maxSAMLNames   = 20
	maxSAMLNameLen = 512
)

// SAMLAttributes are the SAML attribute names each identity field is read
// from, tried in order; a nil list keeps the connector's default (Entra
// ID's claim names).
type SAMLAttributes struct {
	ImmutableID, Login, Email, GivenName, FamilyName, Groups, GroupsOverage []string
}

// field returns the list of one saml_attributes field name, nil for an
// unknown one.
func (a *SAMLAttributes) field(name string) *[]string {
	switch name {
	case "immutable_id":
		return &a.ImmutableID
	case "login":
		return &a.Login
	case "email":
		return &a.Email
	case "given_name":
		return &a.GivenName
	case "family_name":
		return &a.FamilyName
	case "groups":
		return &a.Groups
	case "groups_overage":
		return &a.GroupsOverage
	}
	return nil
}

const samlAttributeFields = "immutable_id, login, email, given_name, family_name, groups, groups_overage"

// SAML is what a provider's options say about SAML sign-in.
type SAML struct {
	Attributes   SAMLAttributes
	IdPInitiated bool
	AllowSHA1    bool
	NameIDFormat string // "" asks for none
}

// ParseSAML reads and checks the SAML keys of p's options. Unreadable
// SAML keys are an error, not a silent default: a sign-in mapped with the
// wrong attribute could link the wrong account.
func ParseSAML(p store.SSOStrategy) (SAML, error) {
	obj, err := readObject(p.Options)
	if err != nil {
		return SAML{}, err
	}
	var c collector
	s := parseSAML(&c, obj)
	return s, c.err()
}

func parseSAML(c *collector, obj object) SAML {
	var s SAML
	s.IdPInitiated, _ = obj.boolean(c, KeySAMLIdPInitiated)
	s.AllowSHA1, _ = obj.boolean(c, KeySAMLAllowSHA1)
	s.NameIDFormat = obj.str(c, KeySAMLNameIDFormat, "one of "+strings.Join(samlNameIDFormats, ", "))
	if s.NameIDFormat != "" && !slices.Contains(samlNameIDFormats, s.NameIDFormat) {
		c.add(field(KeySAMLNameIDFormat), "options.%s must be one of %s (got %q), or left out to ask for none",
			KeySAMLNameIDFormat, strings.Join(samlNameIDFormats, ", "), clip(s.NameIDFormat))
	}
	raw, ok := obj.raw(KeySAMLAttributes)
	if !ok {
		return s
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		c.add(field(KeySAMLAttributes), `options.%s must be an object of identity field to attribute name(s), such as {"email": ["mail"], "groups": "memberOf"}`,
			KeySAMLAttributes)
		return s
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		key := KeySAMLAttributes + "." + clip(name)
		dst := s.Attributes.field(name)
		if dst == nil {
			c.add(field(key), "options.%s is not an identity field; use one of %s", key, samlAttributeFields)
			continue
		}
		list, ok := stringOrList(fields[name])
		switch {
		case !ok:
			c.add(field(key), `options.%s must be an attribute name or a list of them, such as "mail" or ["mail", "email"]`, key)
		case len(list) == 0 || len(list) > maxSAMLNames:
			c.add(field(key), "options.%s: give 1 to %d attribute names (got %d)", key, maxSAMLNames, len(list))
		default:
			for _, n := range list {
				if p := textProblem(n, maxSAMLNameLen); strings.TrimSpace(n) == "" || p != "" {
					c.add(field(key), "options.%s: an attribute name is empty, longer than %d characters or not plain text; give the name the identity provider sends, such as mail",
						key, maxSAMLNameLen)
					list = nil
					break
				}
			}
			if list != nil {
				*dst = list
			}
		}
	}
	return s
}

// stringOrList reads a JSON string or array of strings.
func stringOrList(raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || many == nil {
		return nil, false
	}
	return many, true
}
