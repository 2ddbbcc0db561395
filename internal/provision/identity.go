package provision

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ExternalIdentity is one person as a provider describes them. Connectors
// fill it from a SCIM resource, an LDAP entry or a SAML/OIDC sign-in.
type ExternalIdentity struct {
	// ExternalID is the provider's immutable id for the person: Entra
	// object id, AD objectGUID, SCIM id or externalId.
	ExternalID string
	Username   string
	Email      string
	GivenName  string
	FamilyName string
	Company    string
	Active     bool
	Groups     []GroupRef
	// GroupsIncomplete says Groups is not the whole list (an Entra groups
	// overage claim): memberships the user has are kept, never read as
	// "in no groups".
	GroupsIncomplete bool
	// SCIM, when not nil, replaces the account's SCIM profile (what a SCIM
	// client sent beyond the fields above); nil leaves it as it is, so
	// that sign-ins and LDAP syncs never erase what SCIM wrote.
	SCIM *store.SCIMProfile
}

// FullName is the given and family name joined by a space.
func (x ExternalIdentity) FullName() string {
	return strings.TrimSpace(strings.TrimSpace(x.GivenName) + " " + strings.TrimSpace(x.FamilyName))
}

// GroupRef names one group of the provider: its immutable id and, when the
// source knows it, its display name. Either may be empty, not both.
type GroupRef struct {
	ExternalID string
	Name       string
}

// Snapshot is everything a provider holds, for Reconcile: every user it
// manages and every group (which may also only appear in users' lists).
type Snapshot struct {
	Users  []ExternalIdentity
	Groups []GroupRef
}

// Limits on what one identity may carry.
const (
	maxExternalIDLen = 256
	maxGroupsPerUser = 10000
)

// checkIdentity refuses an identity the store must not receive: no or an
// oversized immutable id, a login name, e-mail or name that the identity
// core would refuse, or malformed group references.
func checkIdentity(x ExternalIdentity) error {
	if err := checkExternalID("immutable id", x.ExternalID); err != nil {
		return err
	}
	if err := identity.CheckUsername(x.Username); err != nil {
		return fmt.Errorf("login name %q: %w", clip(x.Username), err)
	}
	if err := identity.CheckEmail(x.Email); err != nil {
		return err
	}
	for _, f := range []struct{ field, v string }{
		{"given name", x.GivenName}, {"family name", x.FamilyName}, {"name", x.FullName()}, {"company", x.Company},
	} {
		if err := identity.CheckText(f.field, f.v); err != nil {
			return err
		}
	}
	if len(x.Groups) > maxGroupsPerUser {
		return fmt.Errorf("identity lists %d groups, more than %d", len(x.Groups), maxGroupsPerUser)
	}
	for _, g := range x.Groups {
		if err := checkGroupRef(g); err != nil {
			return err
		}
	}
	return nil
}

// checkGroupRef refuses a reference with neither id nor name, or with
// text the store must not receive.
func checkGroupRef(g GroupRef) error {
	if g.ExternalID == "" && g.Name == "" {
		return fmt.Errorf("a group reference has neither an id nor a name")
	}
	if g.ExternalID != "" {
		if err := checkExternalID("group id", g.ExternalID); err != nil {
			return err
		}
	}
	if g.Name != "" {
		if err := identity.CheckText("group name", g.Name); err != nil {
			return err
		}
	}
	return nil
}

// checkExternalID accepts 1-256 characters of valid UTF-8 without control
// characters.
func checkExternalID(what, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return fmt.Errorf("%s is empty", what)
	case !utf8.ValidString(id):
		return fmt.Errorf("%s is not valid UTF-8", what)
	case len(id) > maxExternalIDLen:
		return fmt.Errorf("%s is %d bytes long, more than %d", what, len(id), maxExternalIDLen)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s contains control characters", what)
		}
	}
	return nil
}

// clip shortens hostile input before it goes into a message.
func clip(s string) string {
	const n = 64
	more := ""
	if len(s) > n {
		s, more = s[:n], "…"
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	return s + more
}

// key is how names are compared: lower case, as the store compares them.
func key(s string) string { return strings.ToLower(s) }
