// Package oidclogin is the middle layer between the web front end and the
// OpenID Connect connector, as package samllogin is for SAML. It turns a
// provider record (protocol oauth2) into a connector Provider, starts
// authorization-code sign-ins with PKCE, and finishes them: take the
// single-use state, exchange the code for verified claims, map them to an
// identity, find or just-in-time provision the account through the
// provisioning engine (samllogin.AccountFor, shared with SAML), ask the
// login policy, and leave an SSO event for each success and each refusal,
// naming the check that refused.
//
// Nothing another node needs is kept in memory: the state, nonce and PKCE
// verifier of a sign-in in flight live in the store's login states, so any
// node behind a load balancer may finish a sign-in another one started.
// The only memory is a cache of connector Providers (discovery document
// and keys), rebuilt when a provider's settings change.
package oidclogin

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Options configure a Service. Identity, Provision and BaseURL are
// required; zero values of the rest pick defaults.
type Options struct {
	Identity  *identity.Service
	Provision *provision.Engine
	// BaseURL is where Gatehouse is reached; the redirect URI
	// BaseURL/login_from_oauth?provider=<provider> is built from it.
	BaseURL string
	Logger  *slog.Logger // default slog.Default()
	// Notifier alerts the site admins when a provider's discovery
	// document or keys cannot be read (default events.Discard{}).
	Notifier events.Notifier
	Clock    func() time.Time // default time.Now
	// HTTPClient reaches the providers (discovery, keys, token endpoint);
	// nil uses one that verifies TLS against the system's roots, with
	// timeouts. Tests give one that trusts their provider's certificate.
	// Its connections obey Outbound.
	HTTPClient *http.Client
	// Outbound decides which addresses providers may be at; the zero value
	// allows public addresses only (outbound.AllowPrivate for a provider
	// on the organisation's own network, or on loopback in tests).
	Outbound outbound.Policy
	// StateLifetime is how long a sign-in may wait at the provider
	// (default 15 minutes: people type passwords and MFA codes).
	StateLifetime time.Duration
	// Skew is the clock skew allowed on token times (default: the
	// connector's).
	Skew time.Duration
	// Refusals records refusals the request proved nothing about; share
	// the one package samllogin uses (default: one of this service's own).
	Refusals *events.RefusalLimiter
	// Starts limits the sign-in starts of each address; share the one
	// package samllogin uses (default: samllogin.NewStartLimiter, this
	// service's own).
	Starts *sourcelimit.Limiter
}

// Service starts and finishes OpenID Connect sign-ins. It is safe for
// concurrent use.
type Service struct {
	id       *identity.Service
	st       store.Store
	notify   events.Notifier
	prov     *provision.Engine
	base     string
	log      *slog.Logger
	now      func() time.Time
	client   *http.Client
	stateTTL time.Duration
	skew     time.Duration
	refusals *events.RefusalLimiter
	starts   *sourcelimit.Limiter

	mu        sync.Mutex
	providers map[int64]*cachedProvider
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Identity == nil || o.Provision == nil {
		return nil, errors.New("oidclogin: Options.Identity and Options.Provision are required")
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" {
		return nil, fmt.Errorf("oidclogin: BaseURL %q must be an absolute http or https URL; set the server's public URL (--base-url)", o.BaseURL)
	}
	s := &Service{id: o.Identity, st: o.Identity.Store(), prov: o.Provision, base: base.String(),
		log: o.Logger, now: o.Clock, client: o.HTTPClient, stateTTL: o.StateLifetime, skew: o.Skew, refusals: o.Refusals, starts: o.Starts,
		notify: o.Notifier, providers: map[int64]*cachedProvider{}}
	if s.notify == nil {
		s.notify = events.Discard{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.client == nil {
		s.client = defaultClient()
	}
	s.client = o.Outbound.Client(s.client)
	if s.stateTTL <= 0 {
		s.stateTTL = 15 * time.Minute
	}
	if s.refusals == nil {
		s.refusals = events.NewRefusalLimiter(s.st, events.RefusalLimits{Clock: s.now, Logger: s.log})
	}
	if s.starts == nil {
		s.starts = samllogin.NewStartLimiter(s.now, s.log)
	}
	return s, nil
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

// RPValuesFor returns the values of an OpenID Connect provider. The
// redirect URI names only the provider kind, as Files.com's does; several
// providers of the same kind are told apart by the state.
func (s *Service) RPValuesFor(siteURL string, p store.SSOStrategy) RPValues {
	return RPValues{
		RedirectURI: s.RedirectURI(p),
		SignOnURL:   strings.TrimRight(siteURL, "/") + "/oauth/login?sso_strategy_id=" + fmt.Sprint(p.ID),
	}
}

// RedirectURI is the redirect URI of provider p.
func (s *Service) RedirectURI(p store.SSOStrategy) string {
	return s.base + CallbackPath + "?provider=" + url.QueryEscape(p.Provider)
}

// defaultClient verifies TLS as the system does and bounds every phase of
// a request, so a stalled provider cannot hold a sign-in.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 20 * time.Second
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}
