// Package web is Gatehouse's HTTP front end: the sign-in pages, browser
// sessions and CSRF protection, and the REST API under /api/rest/v1 that
// Files.com's SDKs can talk to. Every decision about who may do what is the
// identity Service's; this package translates HTTP into Service calls and
// Service answers into HTTP.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/ssologin"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Config configures the front end.
type Config struct {
	// Service is the identity core every request is decided by.
	Service *identity.Service
	// BaseURL is where people reach Gatehouse, e.g. "https://app.example.com".
	// Its scheme decides whether cookies are Secure; its origin is the one
	// unsafe browser requests must come from.
	BaseURL string
	// SiteDomain addresses sites as SUBDOMAIN.SiteDomain; hosts that match
	// no site are served by the default site.
	SiteDomain string
	Logger     *slog.Logger     // default slog.Default()
	Clock      func() time.Time // default time.Now
	// Provision is the provisioning engine, for provider previews.
	Provision *provision.Engine
	// SSO starts and finishes single sign-on; nil serves no /saml routes.
	SSO *ssologin.Service
	// OIDC starts and finishes OpenID Connect sign-ins; nil serves no
	// /oauth/login and /login_from_oauth.
	OIDC *oidclogin.Service
	// MaxInFlight is how many requests run at once; the rest queue in
	// arrival order. 0 picks four per CPU (at least eight).
	MaxInFlight int
	// SCIM, when not nil, serves /api/scim and /api/scim/. SCIM clients
	// carry a credential and no cookies, so their requests skip the
	// session, CSRF and site-by-host layers and the HTML error pages; they
	// still pass request ids, the access log, panic recovery, security
	// headers and admission control. The handler bounds bodies itself, so
	// that an oversized body is refused in SCIM's error format.
	SCIM http.Handler
	// LDAPSync runs, previews and tests LDAP providers' syncs (POST
	// /sso_strategies/{id}/sync and /test); nil answers those with
	// provider-sync-unavailable.
	LDAPSync *ldapsync.Service
	// Files is the file storage the REST files API serves; nil answers
	// those routes with not-found.
	Files *vfs.Storage
	// WebDAV, when not nil, serves /dav and /dav/. Like SCIM clients,
	// WebDAV clients carry credentials on every request and no cookies, so
	// they skip the session, CSRF and site-by-host layers and the HTML
	// error pages. They also skip admission control, which bounds database
	// work: a transfer holds its request for as long as the bytes take,
	// and would hold a slot the short requests need.
	WebDAV http.Handler
}

// server holds what every handler needs.
type server struct {
	svc        *identity.Service
	log        *slog.Logger
	now        func() time.Time
	baseOrigin string // scheme://host[:port] of BaseURL
	baseURL    string // BaseURL without a trailing slash, for absolute URLs
	files      *vfs.Storage
	uploads    pendingUploads
	secure     bool   // cookies carry Secure
	siteDomain string // lower case, no leading dot
	pages      *pageTemplates
	admission  *admission
	provision  *provision.Engine
	sso        *ssologin.Service
	oidc       *oidclogin.Service
	ldapSync   *ldapsync.Service
}

// New returns the handler for everything Gatehouse serves over HTTP except
// the operational endpoints (/healthz, /readyz, /metrics) the application
// mounts in front of it.
func New(cfg Config) (http.Handler, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	s.registerFallbacks(mux)
	h := s.middleware(mux)
	if cfg.SCIM == nil && cfg.WebDAV == nil {
		return h, nil
	}
	var scim, dav http.Handler
	if cfg.SCIM != nil {
		scim = s.requestID(s.accessLog(s.recoverPanics(securityHeaders(s.admission.wrap(cfg.SCIM)))))
	}
	if cfg.WebDAV != nil {
		dav = s.requestID(s.accessLog(s.recoverPanics(securityHeaders(cfg.WebDAV))))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case scim != nil && (p == "/api/scim" || strings.HasPrefix(p, "/api/scim/")):
			scim.ServeHTTP(w, r)
		case dav != nil && (p == "/dav" || strings.HasPrefix(p, "/dav/")):
			dav.ServeHTTP(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	}), nil
}

func newServer(cfg Config) (*server, error) {
	if cfg.Service == nil {
		return nil, errors.New("web: Config.Service is required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("web: BaseURL %q must be an absolute http or https URL", cfg.BaseURL)
	}
	pages, err := parsePageTemplates()
	if err != nil {
		return nil, fmt.Errorf("web: parsing page templates: %w", err)
	}
	s := &server{
		svc:        cfg.Service,
		log:        cfg.Logger,
		now:        cfg.Clock,
		baseOrigin: strings.ToLower(base.Scheme + "://" + base.Host),
		secure:     base.Scheme == "https",
		siteDomain: strings.ToLower(strings.Trim(cfg.SiteDomain, ".")),
		pages:      pages,
		admission:  newAdmission(cfg.MaxInFlight),
		provision:  cfg.Provision,
		sso:        cfg.SSO,
		oidc:       cfg.OIDC,
		ldapSync:   cfg.LDAPSync,
		files:      cfg.Files,
		baseURL:    strings.TrimRight(cfg.BaseURL, "/"),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}
