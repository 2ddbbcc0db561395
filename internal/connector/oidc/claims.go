package oidc

import (
	"net/url"
	"strings"
)

// Claims is who signed in, as the provider's verified ID token says.
// Strings are empty when the token does not carry the claim.
type Claims struct {
	Subject           string // sub: per application (pairwise) at Entra
	ObjectID          string // oid: Entra's immutable user id within the tenant
	TenantID          string // tid: Entra's tenant
	PreferredUsername string // preferred_username: mutable, for display and login names only
	UPN               string // upn (Entra optional claim)
	Email             string
	EmailVerified     bool // email_verified, when the provider states it
	GivenName         string
	FamilyName        string
	Name              string
	// Groups are the group ids or names of the groups claim.
	Groups []string
	// GroupsOverage is true when the provider left the groups out because
	// there were too many (Entra's _claim_names/_claim_sources, or hasgroups):
	// Groups is then empty and says nothing about memberships.
	GroupsOverage bool
	// Raw is every claim of the token, for claims a provider setting names.
	Raw map[string]any
}

// ExternalID is the immutable id to link an account by: oid when the token
// carries one (Entra: stable across applications, unlike the pairwise sub),
// otherwise sub. Never link by email or preferred_username, which a tenant
// administrator can change.
func (c *Claims) ExternalID() string {
	if c.ObjectID != "" {
		return c.ObjectID
	}
	return c.Subject
}

// String returns claim name as text: a string claim as is, and "" for an
// absent claim or one of another type.
func (c *Claims) String(name string) string {
	s, _ := c.Raw[name].(string)
	return s
}

// DefaultLoginClaim is the claim the login name comes from when a provider
// setting does not name one: preferred_username at Entra (the UPN as the
// user types it), email elsewhere.
func DefaultLoginClaim(kind string) string {
	if kind == KindAzure || kind == KindGeneric {
		return "preferred_username"
	}
	return "email"
}

// LoginName returns the value of claim name, falling back to
// preferred_username, upn and email, in that order, when it is empty.
func (c *Claims) LoginName(name string) string {
	if v := c.String(name); v != "" {
		return v
	}
	for _, v := range []string{c.PreferredUsername, c.UPN, c.Email} {
		if v != "" {
			return v
		}
	}
	return ""
}

// maxGroups bounds the groups claim; Entra sends at most 200 before overage.
const maxGroups = 1000

// mapClaims builds Claims from a verified token's claims and requires a
// subject: sub always, and oid for Entra, the id accounts are linked by.
func mapClaims(raw map[string]any, kind string) (*Claims, error) {
	c := &Claims{Raw: raw}
	fields := []struct {
		name string
		dst  *string
	}{
		{"sub", &c.Subject}, {"oid", &c.ObjectID}, {"tid", &c.TenantID},
		{"preferred_username", &c.PreferredUsername}, {"upn", &c.UPN}, {"email", &c.Email},
		{"given_name", &c.GivenName}, {"family_name", &c.FamilyName}, {"name", &c.Name},
	}
	for _, f := range fields {
		v, err := stringClaim(raw, f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = strings.TrimSpace(v)
	}
	switch v := raw["email_verified"].(type) {
	case bool:
		c.EmailVerified = v
	case string: // some providers send "true"
		c.EmailVerified = v == "true"
	}
	if c.Subject == "" {
		return nil, fail(KindSubject, "the ID token has no sub")
	}
	if kind == KindAzure && c.ObjectID == "" {
		return nil, fail(KindSubject, "the Entra ID token has no oid: the profile scope must be granted")
	}
	groups, overage, err := groupsClaim(raw)
	if err != nil {
		return nil, err
	}
	c.Groups, c.GroupsOverage = groups, overage
	return c, nil
}

// groupsClaim reads groups, and notices Entra's overage forms: groups named
// in _claim_names (pointing at a Graph endpoint in _claim_sources), or
// hasgroups true.
func groupsClaim(raw map[string]any) (groups []string, overage bool, err error) {
	if names, ok := raw["_claim_names"].(map[string]any); ok {
		if _, ok := names["groups"]; ok {
			return nil, true, nil
		}
	}
	if has, ok := raw["hasgroups"].(bool); ok && has {
		return nil, true, nil
	}
	switch v := raw["groups"].(type) {
	case nil:
		return nil, false, nil
	case string: // a single group as a bare string
		if v == "" {
			return nil, false, nil
		}
		return []string{v}, false, nil
	case []any:
		if len(v) > maxGroups {
			return nil, false, fail(KindMalformed, "the groups claim lists %d groups, over the %d limit", len(v), maxGroups)
		}
		groups = make([]string, 0, len(v))
		for _, g := range v {
			s, ok := g.(string)
			if !ok {
				return nil, false, fail(KindMalformed, "the groups claim holds a non-string value")
			}
			if s = strings.TrimSpace(s); s != "" {
				groups = append(groups, s)
			}
		}
		return groups, false, nil
	default:
		return nil, false, fail(KindMalformed, "the groups claim is neither a list nor a string")
	}
}

// CallbackError returns the provider's refusal carried by a callback query
// (error=access_denied&error_description=...) as a KindProviderError, or nil
// when the query carries no error.
func CallbackError(q url.Values) error {
	code := q.Get("error")
	if code == "" {
		return nil
	}
	detail := "the provider answered error=" + clean(code, 64)
	if d := q.Get("error_description"); d != "" {
		detail += ": " + clean(d, 300)
	}
	return &Error{Kind: KindProviderError, Detail: detail}
}
