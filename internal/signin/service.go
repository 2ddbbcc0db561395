// Package signin is what happens when a federated identity arrives, the
// same for every single sign-on protocol: decide (the login policy),
// provision (find the account, or create it just in time through the
// provisioning engine), record (an SSO event for each success and each
// refusal, naming the check that refused) and start a session. The
// protocol adapters beside it — package samllogin for SAML 2.0, package
// oidclogin for OpenID Connect — only start a protocol's sign-in and turn
// its answer into a verified identity; everything after that is here.
//
// It also keeps what ties a sign-in to the browser that started it (the
// binding nonce and the handoff to the host where the sign-in started),
// the limit on sign-in starts per address, and the one way a refusal is
// told to the person and recorded for the admin (LoginError, Refusal).
//
// Nothing another node needs lives in memory: sign-ins in flight,
// handoffs and used message IDs are login states and assertion records
// in the store, so any node behind a load balancer may finish a sign-in
// another one started.
package signin

import (
	"context"
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
	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Store is what sign-ins keep in the database besides identity records:
// sign-ins in flight and what finished ones leave (login states), the
// message IDs a provider may use once, and the SSO events. store.Store is
// one; the identity records themselves are read and changed through the
// identity core.
type Store interface {
	CreateLoginState(ctx context.Context, ls *store.LoginState) error
	TakeLoginState(ctx context.Context, keyHash []byte, now time.Time) (store.LoginState, error)
	RememberAssertion(ctx context.Context, ssoStrategyID int64, assertionID string, until time.Time) (bool, error)
	events.SSOEventWriter
}

// Options configure a Service. Identity, Provision, Store, Refusals and
// BaseURL are required; zero values of the rest pick defaults.
type Options struct {
	Identity  *identity.Service
	Provision *provision.Engine
	Store     Store
	// BaseURL is where Gatehouse is reached, e.g. "https://app.example.com":
	// the URLs the protocols publish (SAML's entity IDs and ACS, the
	// OpenID redirect URI) are built from it.
	BaseURL string
	// SiteDomain addresses sites as SUBDOMAIN.SiteDomain.
	SiteDomain string
	// Notifier alerts the site admins about a provider in trouble
	// (default events.Discard{}).
	Notifier events.Notifier
	Logger   *slog.Logger     // default slog.Default()
	Clock    func() time.Time // default time.Now
	// HTTPClient reaches the identity providers (SAML metadata URLs,
	// OpenID discovery, keys and token endpoints); nil uses a client that
	// verifies TLS against the system's roots, with timeouts. Tests give
	// one that trusts their server's certificate. Its connections obey
	// Outbound.
	HTTPClient *http.Client
	// Outbound decides which addresses identity providers may be at; the
	// zero value allows public addresses only (outbound.AllowPrivate() for
	// a provider on the organisation's own network, or on loopback in
	// tests).
	Outbound outbound.Policy
	// PendingLifetime is how long a sign-in may wait at the identity
	// provider (default 15 minutes: people type passwords and MFA codes).
	PendingLifetime time.Duration
	// Refusals records the refusals a request proved nothing about; the
	// server shares one among every log and runs it.
	Refusals *events.RefusalLimiter
	// Starts limits the sign-in starts of each address (see starts.go);
	// default NewStartLimiter.
	Starts *sourcelimit.Limiter
}

// Service is the sign-in core the protocol adapters share. It is safe for
// concurrent use.
type Service struct {
	id         *identity.Service
	prov       *provision.Engine
	st         Store
	base       *url.URL
	siteDomain string
	notify     events.Notifier
	log        *slog.Logger
	now        func() time.Time
	client     *http.Client
	pending    time.Duration
	events     *events.SSOLog
	starts     *sourcelimit.Limiter

	mu      sync.RWMutex
	linkers map[string]SessionLinker // by protocol
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Identity == nil || o.Provision == nil || o.Store == nil || o.Refusals == nil {
		return nil, errors.New("signin: Options.Identity, Provision, Store and Refusals are required")
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" {
		return nil, fmt.Errorf("signin: BaseURL %q must be an absolute http or https URL; set the server's public URL (--base-url)", o.BaseURL)
	}
	s := &Service{id: o.Identity, prov: o.Provision, st: o.Store, base: base,
		siteDomain: strings.ToLower(strings.Trim(o.SiteDomain, ".")),
		notify:     o.Notifier, log: o.Logger, now: o.Clock, client: o.HTTPClient, pending: o.PendingLifetime,
		starts: o.Starts, linkers: map[string]SessionLinker{}}
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
	if s.pending <= 0 {
		s.pending = 15 * time.Minute
	}
	if s.starts == nil {
		s.starts = NewStartLimiter(s.now, s.log)
	}
	s.events = events.NewSSOLog(o.Store, o.Refusals, s.now, s.log)
	return s, nil
}

// defaultClient verifies TLS as the system does and bounds every phase of
// a request, so a stalled identity provider cannot hold a sign-in.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 20 * time.Second
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// Identity is the identity core the sign-ins ask.
func (s *Service) Identity() *identity.Service { return s.id }

// Now is the time on the sign-ins' clock.
func (s *Service) Now() time.Time { return s.now() }

// Logger is where the sign-ins log.
func (s *Service) Logger() *slog.Logger { return s.log }

// HTTPClient reaches identity providers, within the outbound policy.
func (s *Service) HTTPClient() *http.Client { return s.client }

// BaseURL is where Gatehouse is reached, without a trailing slash.
func (s *Service) BaseURL() string { return s.base.String() }

// SiteDomain is the domain sites are subdomains of ("" for none).
func (s *Service) SiteDomain() string { return s.siteDomain }

// SiteURL is where a site's pages are served: SUBDOMAIN.SiteDomain on
// BaseURL's scheme and port, or BaseURL for the default site.
func (s *Service) SiteURL(site store.Site) string {
	if site.Subdomain == "" || s.siteDomain == "" {
		return s.base.String()
	}
	host := site.Subdomain + "." + s.siteDomain
	if port := s.base.Port(); port != "" {
		host += ":" + port
	}
	return s.base.Scheme + "://" + host
}

// Alert tells the site admins about a provider in trouble; the Notifier
// bounds how often. A failure to deliver is logged.
func (s *Service) Alert(ctx context.Context, n events.Notice) {
	if err := s.notify.Notify(context.WithoutCancel(ctx), n); err != nil {
		s.log.Warn("single sign-on alert not delivered", "site_id", n.SiteID, "kind", n.Kind, "error", err)
	}
}

// SaveState stores a sign-in in flight, or what a finished one leaves (a
// handoff, a session's link to its identity provider session), so that
// any node can take it. Its CreatedAt is now; a zero ExpiresAt becomes now
// plus the PendingLifetime.
func (s *Service) SaveState(ctx context.Context, ls store.LoginState) error {
	now := s.now()
	ls.CreatedAt = now
	if ls.ExpiresAt.IsZero() {
		ls.ExpiresAt = now.Add(s.pending)
	}
	return s.st.CreateLoginState(ctx, &ls)
}

// TakeState removes and returns the state with this key hash, so it is
// used once across every node; an absent or expired one is
// store.ErrNotFound.
func (s *Service) TakeState(ctx context.Context, keyHash []byte) (store.LoginState, error) {
	return s.st.TakeLoginState(ctx, keyHash, s.now())
}

// UsedOnce records that a provider's message ID (a SAML assertion, a
// logout request) was used, until the given time, and reports whether
// this was its first use on any node.
func (s *Service) UsedOnce(ctx context.Context, providerID int64, id string, until time.Time) (bool, error) {
	return s.st.RememberAssertion(ctx, providerID, id, until)
}
