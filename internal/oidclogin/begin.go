package oidclogin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/ssologin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// pending is what a sign-in in flight keeps in its login state: the
// nonce and PKCE verifier go to the token exchange, the browser hash
// binds the state to the browser that started it.
type pending struct {
	Nonce       string `json:"nonce"`
	Verifier    string `json:"verifier"`
	BrowserHash []byte `json:"browser_hash"`
}

// Started is a begun sign-in: send the browser to Redirect, and give it
// Browser as a short-lived cookie that the callback must bring back.
type Started struct {
	Redirect string
	Browser  string
}

// Begin starts an authorization-code sign-in with PKCE through an
// OpenID Connect provider of site: fresh state, nonce and verifier, kept
// in the store under a hash of the state (single use, StateLifetime), so
// that any node can finish it. A refusal is a *ssologin.LoginError and an
// SSO event.
func (s *Service) Begin(ctx context.Context, site store.Site, providerID int64, ip string) (Started, error) {
	p, err := s.id.GetSSOStrategy(ctx, site.ID, providerID)
	if errors.Is(err, identity.ErrSSOStrategyNotFound) || errors.Is(err, identity.ErrNotFound) || (err == nil && p.Protocol != identity.ProtocolOAuth2) {
		return Started{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, &ssologin.LoginError{Check: ssologin.CheckProvider, Status: http.StatusNotFound,
			Message: "this site has no OpenID Connect provider with that id; use a button on the sign-in page"}, ip)
	}
	if err != nil {
		return Started{}, s.refuse(ctx, site.ID, store.SSOStrategy{}, nil, refusal("", err, ""), ip)
	}
	if !p.Enabled {
		return Started{}, s.refuse(ctx, site.ID, p, nil, &ssologin.LoginError{Check: ssologin.CheckProviderDisabled, Status: http.StatusForbidden,
			Message: "this single sign-on provider is disabled; a site admin can enable it"}, ip)
	}
	c, err := s.connector(ctx, p)
	if err != nil {
		return Started{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), ip)
	}
	state, nonce, verifier, browser := oidc.NewState(), oidc.NewNonce(), oidc.NewVerifier(), secret.NewToken("")
	data, err := json.Marshal(pending{Nonce: nonce, Verifier: verifier, BrowserHash: browserHash(browser)})
	if err != nil {
		return Started{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), ip)
	}
	now := s.now()
	ls := store.LoginState{KeyHash: stateKey(state), SiteID: site.ID, SSOStrategyID: p.ID, Kind: store.LoginStateOIDC,
		Data: string(data), ExpiresAt: now.Add(s.stateTTL), CreatedAt: now}
	if err := s.st.CreateLoginState(ctx, &ls); err != nil {
		return Started{}, s.refuse(ctx, site.ID, p, nil, refusal("", err, ""), ip)
	}
	return Started{Redirect: c.provider.AuthCodeURL(state, nonce, verifier), Browser: browser}, nil
}

// stateKey is the login state key of a state value.
func stateKey(state string) []byte {
	h := sha256.Sum256([]byte(store.LoginStateOIDC + "\x00" + state))
	return h[:]
}

// browserHash is what the store keeps of a browser binding.
func browserHash(browser string) []byte {
	h := sha256.Sum256([]byte("oidc-browser\x00" + browser))
	return h[:]
}
