package oidclogin

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/provision"
)

// externalIdentity maps verified claims to the identity the provisioning
// engine reads. The immutable id is Entra's oid (stable across the
// tenant's applications, and what SCIM's externalId maps to) or sub for
// every other provider. The login name comes from loginClaim when the
// provider names one, else from the provider's usual claim: Entra's
// preferred_username (its UPN), then upn; email for Google and Auth0,
// whose usernames are addresses; preferred_username then email for the
// rest. Group values are ids, resolved by the engine.
func externalIdentity(provider, loginClaim string, c *oidc.Claims) provision.ExternalIdentity {
	id := c.Subject
	if provider == oidc.KindAzure && c.ObjectID != "" {
		id = c.ObjectID
	}
	x := provision.ExternalIdentity{ExternalID: id, Username: loginName(provider, loginClaim, c), Email: c.Email,
		GivenName: c.GivenName, FamilyName: c.FamilyName, Active: true, GroupsIncomplete: c.GroupsOverage}
	if x.Email == "" && provider == oidc.KindAzure {
		// Entra sends email only when the user has a mailbox address; the
		// UPN is an address too, and the one people are told to use.
		for _, v := range []string{c.PreferredUsername, c.UPN} {
			if strings.Contains(v, "@") {
				x.Email = v
				break
			}
		}
	}
	for _, g := range c.Groups {
		x.Groups = append(x.Groups, provision.GroupRef{ExternalID: g})
	}
	return x
}

func loginName(provider, loginClaim string, c *oidc.Claims) string {
	byClaim := map[string]string{"preferred_username": c.PreferredUsername, "upn": c.UPN, "email": c.Email}
	order := []string{"preferred_username", "email"}
	switch {
	case loginClaim != "":
		order = []string{loginClaim}
	case provider == oidc.KindAzure:
		order = []string{"preferred_username", "upn"}
	case provider == oidc.KindGoogle || provider == oidc.KindAuth0:
		order = []string{"email"}
	}
	for _, claim := range order {
		if v := strings.TrimSpace(byClaim[claim]); v != "" {
			return v
		}
	}
	return ""
}
