package transfertest

import (
	"github.com/gatehouse/gatehouse/internal/store"
)

// FederatedUser creates a user who signs in through a new, enabled SSO
// provider speaking protocol (identity.ProtocolSAML or
// identity.ProtocolOAuth2), with every protocol permission. Unlike
// SSOUser, the user is tied to a real provider, so a credential matrix
// can tell a SAML user from an OpenID Connect one. The user has no
// password: the policy, not a missing hash, is what a password meets.
func (h *Harness) FederatedUser(username, protocol, provider string) store.User {
	h.T.Helper()
	p := store.SSOStrategy{SiteID: h.Site.ID, Protocol: protocol, Provider: provider, Enabled: true}
	if err := h.Store.CreateSSOStrategy(h.Ctx, &p); err != nil {
		h.T.Fatalf("create %s provider: %v", protocol, err)
	}
	u := store.User{SiteID: h.Site.ID, Username: username, AuthenticationMethod: store.AuthSSO, SSOStrategyID: p.ID,
		RestAPIPermission: true, SFTPPermission: true, FTPPermission: true, DAVPermission: true}
	if err := h.Store.CreateUser(h.Ctx, &u); err != nil {
		h.T.Fatalf("create user %s: %v", username, err)
	}
	return u
}
