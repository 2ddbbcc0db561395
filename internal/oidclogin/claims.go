package oidclogin

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/provision"
)

// externalIdentity maps verified claims to the identity the provisioning
// engine reads. The immutable id is Entra's oid (stable across the
// tenant's applications, and what SCIM's externalId maps to) or sub for
// every other provider. The login name comes from the claim the provider
// names in oidc_login_claim, else from the provider's usual claim
// (preferred_username at Entra and generic providers, email elsewhere),
// falling back as oidc.Claims.LoginName does. Group values are ids,
// resolved by the engine.
func externalIdentity(provider, loginClaim string, c *oidc.Claims) provision.ExternalIdentity {
	kind := connectorKind(provider)
	if loginClaim == "" {
		loginClaim = oidc.DefaultLoginClaim(kind)
	}
	x := provision.ExternalIdentity{ExternalID: c.ExternalID(), Username: strings.TrimSpace(c.LoginName(loginClaim)),
		Email: c.Email, GivenName: c.GivenName, FamilyName: c.FamilyName, Active: true, GroupsIncomplete: c.GroupsOverage}
	if x.Email == "" && kind == oidc.KindAzure {
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
