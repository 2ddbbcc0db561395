package oidclogin

import (
	"context"
	"crypto/sha256"
	"encoding/json"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// pending is what a sign-in in flight keeps in its login state: the
// nonce and PKCE verifier go to the token exchange, the browser hash
// binds the state to the browser that started it (signin.BrowserHash).
type pending struct {
	Nonce       string `json:"nonce"`
	Verifier    string `json:"verifier"`
	BrowserHash []byte `json:"browser_hash"`
}

// Begin starts an authorization-code sign-in with PKCE through an
// OpenID Connect provider of site: fresh state, nonce and verifier, kept
// in the store under a hash of the state (single use, the core's
// PendingLifetime) with
// the hash of browser, the binding nonce the front end gave the browser,
// so that any node can finish it, in that browser only. It returns the URL
// that sends the browser to the provider. A refusal is a
// *signin.LoginError and an SSO event (through the flood limiter: anyone
// can ask for a sign-in start). A start that would be stored also counts
// towards the address's limit of starts (signin.Service.AdmitStart), over which
// it is refused with 429 and stores nothing.
func (s *Service) Begin(ctx context.Context, site store.Site, providerID int64, browser, ip string) (string, error) {
	p, refused := s.core.ProviderToStart(ctx, site.ID, providerID, identity.ProtocolOAuth2, "OpenID Connect", browser)
	if refused != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refused, ip)
	}
	c, err := s.connector(ctx, p)
	if err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	if err := s.core.AdmitStart(ip); err != nil {
		return "", err
	}
	state, nonce, verifier := oidc.NewState(), oidc.NewNonce(), oidc.NewVerifier()
	data, err := json.Marshal(pending{Nonce: nonce, Verifier: verifier, BrowserHash: signin.BrowserHash(browser)})
	if err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	ls := store.LoginState{KeyHash: stateKey(state), SiteID: site.ID, SSOStrategyID: p.ID, Kind: store.LoginStateOIDC,
		Data: string(data)}
	if err := s.core.SaveState(ctx, ls); err != nil {
		return "", s.refuseAnonymous(ctx, site.ID, p, refusal("", err, ""), ip)
	}
	return c.provider.AuthCodeURL(state, nonce, verifier), nil
}

// stateKey is the login state key of a state value.
func stateKey(state string) []byte {
	h := sha256.Sum256([]byte(store.LoginStateOIDC + "\x00" + state))
	return h[:]
}
