// Package oidclogin is OpenID Connect single sign-on: the protocol
// adapter beside the sign-in core (package signin), as package samllogin
// is for SAML. It turns a provider record (protocol oauth2) into a
// connector Provider, starts authorization-code sign-ins with PKCE, and
// finishes them as far as the protocol goes: take the single-use state,
// exchange the code for verified claims and map them to an identity, which
// the core decides, provisions, records and starts a session for.
//
// Nothing another node needs is kept in memory: the state, nonce and PKCE
// verifier of a sign-in in flight live in the store's login states
// (through the core), so any node behind a load balancer may finish a
// sign-in another one started. The only memory is a cache of connector
// Providers (discovery document and keys), rebuilt when a provider's
// settings change.
package oidclogin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Options configure a Service; zero values pick defaults.
type Options struct {
	// Skew is the clock skew allowed on token times (default: the
	// connector's).
	Skew time.Duration
}

// Service starts and finishes OpenID Connect sign-ins. It is safe for
// concurrent use.
type Service struct {
	core   *signin.Service
	id     *identity.Service
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	skew   time.Duration

	mu        sync.Mutex
	providers map[int64]*cachedProvider
}

// New returns the OpenID Connect adapter of the sign-in core core.
func New(core *signin.Service, o Options) (*Service, error) {
	if core == nil {
		return nil, errors.New("oidclogin: the sign-in core is required")
	}
	return &Service{core: core, id: core.Identity(), log: core.Logger(), now: core.Now, client: core.HTTPClient(),
		skew: o.Skew, providers: map[int64]*cachedProvider{}}, nil
}

// CallbackPath is the path of the redirect URI, shared by every
// provider and site (Files.com's /login_from_oauth).
const CallbackPath = "/login_from_oauth"

// RPValues are what an administrator pastes into the provider's console
// (Entra: the app registration's Authentication page, platform Web).
type RPValues struct {
	RedirectURI string `json:"oauth_redirect_uri"` // Entra: Redirect URI (Web)
	SignOnURL   string `json:"oauth_sign_on_url"`  // a link that starts a sign-in (Entra: Home page URL, for My Apps)
}

// RPValuesFor returns the values of an OpenID Connect provider of site.
// The redirect URI names only the provider kind, as Files.com's does;
// several providers of the same kind are told apart by the state.
func (s *Service) RPValuesFor(site store.Site, p store.SSOStrategy) RPValues {
	return RPValues{
		RedirectURI: s.RedirectURI(p),
		SignOnURL:   strings.TrimRight(s.core.SiteURL(site), "/") + "/oauth/login?sso_strategy_id=" + fmt.Sprint(p.ID),
	}
}

// RedirectURI is the redirect URI of provider p.
func (s *Service) RedirectURI(p store.SSOStrategy) string {
	return s.core.BaseURL() + CallbackPath + "?provider=" + url.QueryEscape(p.Provider)
}
