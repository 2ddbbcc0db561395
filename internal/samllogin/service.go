// Package samllogin is the middle layer between the web front end and the
// single sign-on connectors. It turns a provider record into a SAML
// service provider (our URLs, the trusted identity provider, the store's
// shared replay cache and request tracker), starts SP-initiated sign-ins,
// and finishes every sign-in: verify the response, map its attributes,
// find or just-in-time provision the account through the provisioning
// engine, ask the login policy, and leave an SSO event for each success and
// each refusal, naming the check that refused.
//
// It keeps nothing in process memory that another node would need: request
// IDs and used assertion IDs live in the store, so any node behind a load
// balancer may finish a sign-in another one started.
package samllogin

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/backoff"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Options configure a Service. Identity, Provision and BaseURL are
// required; zero values of the rest pick defaults.
type Options struct {
	Identity  *identity.Service
	Provision *provision.Engine
	// BaseURL is where Gatehouse is reached, e.g. "https://app.example.com";
	// the SP entity IDs and ACS URLs are built from it.
	BaseURL string
	// SiteDomain addresses sites as SUBDOMAIN.SiteDomain.
	SiteDomain string
	Notifier   events.Notifier  // default events.Discard{}
	Logger     *slog.Logger     // default slog.Default()
	Clock      func() time.Time // default time.Now
	// HTTPClient fetches metadata URLs; nil uses a client that verifies
	// TLS against the system's roots, with timeouts. Tests give one that
	// trusts their server's certificate. Its connections obey Outbound.
	HTTPClient *http.Client
	// Outbound decides which addresses metadata URLs may reach; the zero
	// value allows public addresses only (outbound.AllowPrivate for an
	// identity provider on the organisation's own network, or on loopback
	// in tests).
	Outbound outbound.Policy
	// RequestLifetime is how long an AuthnRequest may wait for its answer
	// (default 15 minutes: people type passwords and MFA codes).
	RequestLifetime time.Duration
	// Refusals records refusals the request proved nothing about; share
	// one with package oidclogin and run it (default: a limiter of this
	// service's own, whose windows close only as new refusals arrive).
	Refusals *events.RefusalLimiter
	// Starts limits the sign-in starts of each address (see starts.go);
	// share one with package oidclogin (default: NewStartLimiter, this
	// service's own).
	Starts *sourcelimit.Limiter
}

// Service starts and finishes SSO sign-ins. It is safe for concurrent use.
type Service struct {
	id         *identity.Service
	st         store.Store
	prov       *provision.Engine
	base       *url.URL
	siteDomain string
	notify     events.Notifier
	log        *slog.Logger
	now        func() time.Time
	client     *http.Client
	reqTTL     time.Duration
	refusals   *events.RefusalLimiter
	starts     *sourcelimit.Limiter
	spKeys     sync.Map // site ID -> spKeyPair
	// fetches lets one sign-in at a time fetch a provider's missing
	// metadata; the others wait for its result.
	fetches backoff.Gate
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Identity == nil || o.Provision == nil {
		return nil, errors.New("samllogin: Options.Identity and Options.Provision are required")
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" {
		return nil, fmt.Errorf("samllogin: BaseURL %q must be an absolute http or https URL", o.BaseURL)
	}
	s := &Service{id: o.Identity, st: o.Identity.Store(), prov: o.Provision, base: base,
		siteDomain: strings.ToLower(strings.Trim(o.SiteDomain, ".")),
		notify:     o.Notifier, log: o.Logger, now: o.Clock, client: o.HTTPClient, reqTTL: o.RequestLifetime, refusals: o.Refusals,
		starts: o.Starts}
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
		s.client = defaultMetadataClient()
	}
	s.client = o.Outbound.Client(s.client)
	if s.reqTTL <= 0 {
		s.reqTTL = 15 * time.Minute
	}
	if s.refusals == nil {
		s.refusals = events.NewRefusalLimiter(s.st, events.RefusalLimits{Clock: s.now, Logger: s.log})
	}
	if s.starts == nil {
		s.starts = NewStartLimiter(s.now, s.log)
	}
	return s, nil
}

// SPValues are what an administrator pastes into the identity provider's
// console (Entra's "Basic SAML Configuration").
type SPValues struct {
	EntityID    string `json:"saml_sp_entity_id"`    // Entra: Identifier (Entity ID)
	ACSURL      string `json:"saml_sp_acs_url"`      // Entra: Reply URL (Assertion Consumer Service URL)
	SignOnURL   string `json:"saml_sp_sign_on_url"`  // Entra: Sign on URL
	RelayState  string `json:"saml_sp_relay_state"`  // Entra: Relay State
	MetadataURL string `json:"saml_sp_metadata_url"` // our metadata, for IdPs that read it
	// SLOURL receives the IdP's LogoutRequests and LogoutResponses (Entra:
	// Logout Url). It is on the site's own host, which names the site.
	SLOURL string `json:"saml_sp_slo_url"`
}

// SPValuesFor returns the service provider values of a SAML provider of
// site. The entity ID is the metadata URL, by convention; a provider with
// a provider_identifier gets its own pair of URLs so that one site can
// trust several identity providers, each with its own Entra application.
func (s *Service) SPValuesFor(site store.Site, p store.SSOStrategy) SPValues {
	suffix := ""
	if p.ProviderIdentifier != "" {
		suffix = "/" + url.PathEscape(p.ProviderIdentifier)
	}
	base := s.base.String()
	v := SPValues{
		EntityID:    base + "/saml/metadata" + suffix,
		ACSURL:      base + "/saml/consume" + suffix,
		MetadataURL: base + "/saml/metadata" + suffix,
		SignOnURL:   s.siteURL(site) + "/saml/login?sso_strategy_id=" + strconv.FormatInt(p.ID, 10),
		RelayState:  site.Subdomain,
		SLOURL:      s.siteURL(site) + "/saml/logout" + suffix,
	}
	return v
}

// siteURL is where a site's pages are served: SUBDOMAIN.SiteDomain on
// BaseURL's scheme and port, or BaseURL for the default site.
func (s *Service) siteURL(site store.Site) string {
	if site.Subdomain == "" || s.siteDomain == "" {
		return s.base.String()
	}
	host := site.Subdomain + "." + s.siteDomain
	if port := s.base.Port(); port != "" {
		host += ":" + port
	}
	return s.base.Scheme + "://" + host
}

// defaultMetadataClient verifies TLS as the system does and bounds every
// phase of a fetch, so a stalled metadata URL cannot hold a sign-in.
func defaultMetadataClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 20 * time.Second
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}
