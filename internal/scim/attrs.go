package scim

import (
	"bytes"
	"encoding/json"
	"strings"
)

// decodeObject parses a request body that must be one JSON object.
// Numbers stay json.Number so that values are stored as sent.
func decodeObject(body []byte) (map[string]any, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest(typeInvalidSyntax, "the request has no body; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest(typeInvalidSyntax, "the body is not valid JSON: %s", clip(err.Error(), 200))
	}
	if dec.More() {
		return nil, badRequest(typeInvalidSyntax, "the body holds more than one JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest(typeInvalidSyntax, "the body must be a JSON object")
	}
	if hasNUL(m) {
		return nil, badRequest(typeInvalidValue, "the body holds a NUL character, which no attribute may contain")
	}
	return m, nil
}

// hasNUL reports whether a NUL character appears in any name or string.
func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case map[string]any:
		for k, x := range v {
			if strings.ContainsRune(k, 0) || hasNUL(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasNUL(x) {
				return true
			}
		}
	}
	return false
}

// checkSchemas requires a schemas array naming want; other URIs (Entra's
// ADSCIM group schema, the enterprise extension) are allowed.
func checkSchemas(doc map[string]any, want string) *Error {
	_, v, ok := lookup(doc, "schemas")
	list, isList := v.([]any)
	if !ok || !isList || len(list) == 0 {
		return badRequest(typeInvalidSyntax, "the body has no \"schemas\" list; it must name %s", want)
	}
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, want) {
			return nil
		}
	}
	return badRequest(typeInvalidSyntax, "\"schemas\" must include %s", want)
}

// lookup finds an attribute by name without regard to case (RFC 7643
// §2.1: attribute names are case-insensitive).
func lookup(m map[string]any, name string) (string, any, bool) {
	if v, ok := m[name]; ok {
		return name, v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return "", nil, false
}

// str returns the attribute as a string ("" when absent or not a string).
func str(m map[string]any, name string) string {
	_, v, _ := lookup(m, name)
	s, _ := v.(string)
	return s
}

// parseBool reads a boolean sent as JSON true/false or as the strings
// "True", "False", "true", "false" (Entra without aadOptscim062020).
func parseBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// attr describes a known attribute: its canonical name, whether it holds
// a list, and the canonical names of its sub-attributes.
type attr struct {
	name   string
	multi  bool
	subs   []string
	isBool bool
}

var multiSubs = []string{"value", "display", "type", "primary", "$ref"}

// userAttrs is the core User schema (RFC 7643 §4.1) plus externalId; any
// other top-level name that is not an extension URN is refused.
var userAttrs = attrTable([]attr{
	{name: "userName"}, {name: "externalId"}, {name: "displayName"}, {name: "nickName"},
	{name: "profileUrl"}, {name: "title"}, {name: "userType"}, {name: "preferredLanguage"},
	{name: "locale"}, {name: "timezone"}, {name: "active", isBool: true}, {name: "password"},
	{name: "name", subs: []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}},
	{name: "emails", multi: true, subs: multiSubs}, {name: "phoneNumbers", multi: true, subs: multiSubs},
	{name: "ims", multi: true, subs: multiSubs}, {name: "photos", multi: true, subs: multiSubs},
	{name: "addresses", multi: true, subs: []string{"formatted", "streetAddress", "locality", "region",
		"postalCode", "country", "type", "primary"}},
	{name: "groups", multi: true, subs: multiSubs}, {name: "entitlements", multi: true, subs: multiSubs},
	{name: "roles", multi: true, subs: multiSubs}, {name: "x509Certificates", multi: true, subs: multiSubs},
})

// enterpriseAttrs is the enterprise User extension (RFC 7643 §4.3).
var enterpriseAttrs = attrTable([]attr{
	{name: "employeeNumber"}, {name: "costCenter"}, {name: "organization"}, {name: "division"},
	{name: "department"}, {name: "manager", subs: []string{"value", "$ref", "displayName"}},
})

// groupAttrs is the core Group schema (RFC 7643 §4.2) plus externalId.
var groupAttrs = attrTable([]attr{
	{name: "displayName"}, {name: "externalId"},
	{name: "members", multi: true, subs: []string{"value", "display", "type", "$ref"}},
})

func attrTable(list []attr) map[string]attr {
	out := map[string]attr{}
	for _, a := range list {
		out[strings.ToLower(a.name)] = a
	}
	return out
}

// canonicalSub returns the canonical spelling of a sub-attribute, or the
// name as sent when the attribute does not list it.
func (a attr) canonicalSub(name string) string {
	for _, s := range a.subs {
		if strings.EqualFold(s, name) {
			return s
		}
	}
	return name
}
