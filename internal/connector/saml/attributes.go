package saml

import "strings"

// Entra ID claim names (SAML attribute Names).
const (
	ClaimEntraObjectID    = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	ClaimEntraTenantID    = "http://schemas.microsoft.com/identity/claims/tenantid"
	ClaimEntraDisplayName = "http://schemas.microsoft.com/identity/claims/displayname"
	ClaimEmailAddress     = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	ClaimGivenName        = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	ClaimSurname          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	ClaimName             = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	ClaimEntraGroups      = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	ClaimEntraGroupsLink  = "http://schemas.microsoft.com/claims/groups.link"
)

// AttributeMap names, per identity provider, the attributes that carry each
// identity field. Each field lists candidate names tried in order; the first
// present attribute wins (names compare case-insensitively, because IdP
// consoles differ in what they let administrators type).
type AttributeMap struct {
	// ImmutableID is the IdP's never-reused user ID (Entra's object ID).
	// When no candidate is present the NameID is used, which is right for
	// persistent NameIDs and wrong for e-mail ones — configure it.
	ImmutableID []string
	// Login, when set, replaces the NameID as the login name.
	Login      []string
	Email      []string
	GivenName  []string
	FamilyName []string
	Groups     []string
	// GroupsOverage names the attribute an IdP sends instead of the groups
	// when there are too many (Entra: more than 150).
	GroupsOverage []string
}

// DefaultAttributeMap understands Entra ID's claim names and the names Okta,
// OneLogin, Google and Auth0 commonly use, so most providers work unchanged.
func DefaultAttributeMap() AttributeMap {
	return AttributeMap{
		ImmutableID:   []string{ClaimEntraObjectID, "objectGUID", "uid", "user_id", "userId"},
		Email:         []string{ClaimEmailAddress, "email", "mail", "emailAddress", "Email", "urn:oid:0.9.2342.19200300.100.1.3"},
		GivenName:     []string{ClaimGivenName, "firstName", "givenName", "given_name", "first_name", "urn:oid:2.5.4.42"},
		FamilyName:    []string{ClaimSurname, "lastName", "surname", "sn", "family_name", "last_name", "urn:oid:2.5.4.4"},
		Groups:        []string{ClaimEntraGroups, "groups", "memberOf"},
		GroupsOverage: []string{ClaimEntraGroupsLink},
	}
}

// Identity is the provider-neutral result of a SAML sign-in: what the
// provisioning engine needs to find or create the user.
type Identity struct {
	ImmutableID string
	Login       string
	Email       string
	GivenName   string
	FamilyName  string
	Groups      []string
	// GroupsOverage is true when the IdP sent a pointer to the groups
	// instead of the groups; Groups is then incomplete and the caller must
	// fetch them elsewhere or refuse to change memberships.
	GroupsOverage bool
}

// Identity maps the assertion's attributes to identity fields with m.
func (a *Assertion) Identity(m AttributeMap) Identity {
	id := Identity{
		ImmutableID: a.first(m.ImmutableID),
		Login:       a.first(m.Login),
		Email:       a.first(m.Email),
		GivenName:   a.first(m.GivenName),
		FamilyName:  a.first(m.FamilyName),
		Groups:      a.all(m.Groups),
	}
	if id.ImmutableID == "" {
		id.ImmutableID = a.NameID
	}
	if id.Login == "" {
		id.Login = a.NameID
	}
	if id.Email == "" && a.NameIDFormat == NameIDFormatEmailAddress {
		id.Email = a.NameID
	}
	id.GroupsOverage = len(a.all(m.GroupsOverage)) > 0
	return id
}

// values returns the values of the first attribute among names present in
// the assertion.
func (a *Assertion) values(names []string) []string {
	for _, want := range names {
		if v, ok := a.Attributes[want]; ok {
			return v
		}
		for name, v := range a.Attributes {
			if strings.EqualFold(name, want) {
				return v
			}
		}
	}
	return nil
}

// first returns the first non-empty value of the first present attribute.
func (a *Assertion) first(names []string) string {
	for _, v := range a.values(names) {
		if v != "" {
			return v
		}
	}
	return ""
}

// all returns the non-empty values of the first present attribute.
func (a *Assertion) all(names []string) []string {
	var out []string
	for _, v := range a.values(names) {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
