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

	"github.com/gatehouse/gatehouse/internal/clientaddr"
	"github.com/gatehouse/gatehouse/internal/console"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/httpbody"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
	"github.com/gatehouse/gatehouse/internal/webapp"
)

// Options configures the front end.
// Options, as everywhere, is what a constructor takes; Config is kept for
// what an admin writes (internal/config) and a connector's provider
// description built from stored settings.
type Options struct {
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
	// ConsoleJobs runs the console's Sync now in the background; the
	// server runs it as a worker so that a sync stops with the server.
	// Nil makes one that lives as long as the process.
	ConsoleJobs *console.Jobs
	// LDAPSyncEvery is how often the scheduled LDAP sync runs (0: off),
	// which the console shows beside Sync now.
	LDAPSyncEvery time.Duration
	// SignIn is the sign-in core behind SAML and OpenID Connect: the
	// handoff, the browser binding's checks and the session of a finished
	// sign-in. Required with SAML or OIDC; nil serves no /saml/handoff.
	SignIn *signin.Service
	// SAML starts and finishes SAML sign-ins and logouts; nil serves no
	// other /saml routes.
	SAML *samllogin.Service
	// OIDC starts and finishes OpenID Connect sign-ins; nil serves no
	// /oauth/login and /login_from_oauth.
	OIDC *oidclogin.Service
	// MaxInFlight is how many requests with credentials run at once; the
	// rest queue in arrival order. 0 picks four per CPU (at least eight).
	// Requests without credentials have a quarter as many slots of their
	// own (at least two) and wait at most a few seconds (admission.go).
	MaxInFlight int
	// BodyIdleTimeout cuts off a request body that sends nothing for this
	// long; an upload cut off is discarded. Default 2 minutes.
	BodyIdleTimeout time.Duration
	// NotReadyWhen, when set, is given the conditions under which the
	// node should leave a load balancer's rotation (ops' /readyz).
	NotReadyWhen func(reason string, busy func() bool)
	// SCIM, when not nil, serves /api/scim and /api/scim/. SCIM clients
	// carry a credential and no cookies, so their requests skip the
	// session, CSRF and site-by-host layers and the HTML error pages; they
	// still pass request ids, the access log, panic recovery, security
	// headers, body reading and admission control. The handler bounds
	// bodies itself, so that an oversized body is refused in SCIM's error
	// format; if it has a WriteRefusal method, the front end's own
	// refusals (busy, a stalled body) use it too.
	SCIM http.Handler
	// LDAPSync runs, previews and tests LDAP providers' syncs (POST
	// /sso_strategies/{id}/sync and /test); nil answers those with
	// provider-sync-unavailable.
	LDAPSync *ldapsync.Service
	// Files is the file storage the REST files API serves; nil answers
	// those routes with not-found.
	Files *vfs.Storage
	// Uploads keeps the REST API's multi-part uploads; required with
	// Files.
	Uploads *multipart.Service
	// URLSigner signs presigned upload and download URIs; every node must
	// have the same key (the app derives it from the master key). nil
	// signs with a key of this process alone.
	URLSigner *secret.Signer
	// WebDAV, when not nil, serves /dav and /dav/. Like SCIM clients,
	// WebDAV clients carry credentials on every request and no cookies, so
	// they skip the session, CSRF and site-by-host layers and the HTML
	// error pages. They also skip admission control, which bounds database
	// work: a transfer holds its request for as long as the bytes take,
	// and would hold a slot the short requests need. The handler reads its
	// bodies under the idle time itself.
	WebDAV http.Handler
	// ClientAddr finds the address a request came from; the zero value
	// takes the TCP peer (no proxy trusted).
	ClientAddr clientaddr.Resolver
	// Notifier sends the console's test alert; nil: no mail server.
	Notifier events.Notifier
	// Channels tells the web app's How to connect where SFTP and FTP
	// listen (asked at each visit: the listeners open after the front
	// end is made). The front end adds its own address, the host people
	// reach it by and WebDAV's root. Nil: SFTP and FTP are off.
	Channels func() webapp.Channels
}

// defaultBodyIdleTimeout is how long a request body may send nothing when
// Options.BodyIdleTimeout is 0.
const defaultBodyIdleTimeout = 2 * time.Minute

// server holds what every handler needs.
type server struct {
	svc          *identity.Service
	log          *slog.Logger
	now          func() time.Time
	baseOrigin   string // scheme://host[:port] of BaseURL
	baseURL      string // BaseURL without a trailing slash, for absolute URLs
	files        *vfs.Storage
	multiUploads *multipart.Service
	uriSigner    *presigner // signs presigned upload and download URIs
	secure       bool       // cookies carry Secure
	siteDomain   string     // lower case, no leading dot
	pages        *pageTemplates
	admission    *admission
	bodies       bodyBudget    // memory of small bodies read before admission
	bodyIdle     time.Duration // how long a request body may send nothing
	bodyTime     time.Duration // how long a small body may take in all (smallBodyTime)
	provision    *provision.Engine
	signin       *signin.Service
	saml         *samllogin.Service
	oidc         *oidclogin.Service
	ldapSync     *ldapsync.Service
	clientAddr   clientaddr.Resolver
	console      *console.Console // the site admin's pages
	app          *webapp.App      // every user's pages: files, keys, how to connect
}

// New returns the handler for everything Gatehouse serves over HTTP except
// the operational endpoints (/healthz, /readyz, /metrics) the application
// mounts in front of it.
func New(cfg Options) (http.Handler, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	return s.handler(cfg), nil
}

// handler assembles the routes, the layers every request passes, and the
// SCIM and WebDAV handlers beside them.
func (s *server) handler(cfg Options) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	s.registerFallbacks(mux)
	h := s.middleware(mux)
	if cfg.NotReadyWhen != nil {
		cfg.NotReadyWhen("request queue saturated: signed-in requests wait more than a second for a slot", s.admission.Saturated)
	}
	if cfg.SCIM == nil && cfg.WebDAV == nil {
		return httpbody.Middleware(s.bodyIdle, h)
	}
	var scim, dav http.Handler
	if cfg.SCIM != nil {
		refuse := scimRefuser(cfg.SCIM)
		anonymous := func(r *http.Request) bool { return r.Header.Get("Authorization") == "" }
		never := func(*http.Request) bool { return false }
		scim = s.requestID(s.accessLog(s.recoverPanics(securityHeaders(
			s.readBodies(s.admission.wrap(cfg.SCIM, anonymous, refuse), never, anonymous, refuse)))))
	}
	if cfg.WebDAV != nil {
		dav = s.requestID(s.accessLog(s.recoverPanics(securityHeaders(cfg.WebDAV))))
	}
	all := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case scim != nil && (p == "/api/scim" || strings.HasPrefix(p, "/api/scim/")):
			scim.ServeHTTP(w, r)
		case dav != nil && (p == "/dav" || strings.HasPrefix(p, "/dav/")):
			dav.ServeHTTP(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	})
	return httpbody.Middleware(s.bodyIdle, all)
}

// scimRefuser answers the front end's refusals of a SCIM request in SCIM's
// error format when the handler can write it.
func scimRefuser(h http.Handler) refuser {
	type refusalWriter interface {
		WriteRefusal(w http.ResponseWriter, status int, detail string)
	}
	rw, ok := h.(refusalWriter)
	return func(w http.ResponseWriter, r *http.Request, err error) {
		e := identity.AsError(err)
		if !ok {
			writeJSONError(w, e)
			return
		}
		rw.WriteRefusal(w, e.Status, e.Message)
	}
}

func newServer(cfg Options) (*server, error) {
	if cfg.Service == nil {
		return nil, errors.New("web: Options.Service is required")
	}
	if (cfg.SAML != nil || cfg.OIDC != nil) && cfg.SignIn == nil {
		return nil, errors.New("web: Options.SignIn is required with SAML or OIDC")
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
		admission:  newAdmission(cfg.MaxInFlight, cfg.Logger),
		bodyIdle:   cfg.BodyIdleTimeout,
		provision:  cfg.Provision,
		signin:     cfg.SignIn,
		saml:       cfg.SAML,
		oidc:       cfg.OIDC,
		ldapSync:   cfg.LDAPSync,
		files:      cfg.Files,
		baseURL:    strings.TrimRight(cfg.BaseURL, "/"),
		clientAddr: cfg.ClientAddr,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.bodyIdle <= 0 {
		s.bodyIdle = defaultBodyIdleTimeout
	}
	s.bodies.limit = maxBufferedBytes
	s.bodyTime = smallBodyTime
	if s.console, err = console.New(console.Options{Service: s.svc, SAML: s.saml, OIDC: s.oidc, LDAPSync: s.ldapSync,
		Provision: s.provision, Jobs: cfg.ConsoleJobs, SyncEvery: cfg.LDAPSyncEvery, SCIMTenantURL: s.scimTenantURL(), BaseURL: s.baseURL, Notifier: cfg.Notifier,
		Logger: s.log, Clock: s.now}); err != nil {
		return nil, err
	}
	if s.app, err = webapp.New(webapp.Options{Service: s.svc, Files: s.files, Channels: s.channels(cfg.Channels, base.Hostname(), cfg.WebDAV != nil),
		Logger: s.log, Clock: s.now}); err != nil {
		return nil, err
	}
	s.multiUploads, s.uriSigner = cfg.Uploads, &presigner{Signer: cfg.URLSigner}
	if s.multiUploads == nil && s.files != nil {
		return nil, errors.New("web: Files needs Uploads, the service that keeps multi-part uploads")
	}
	if s.uriSigner.Signer == nil {
		if s.uriSigner.Signer, err = newSigner(nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// channels completes what the server says of its listeners with what the
// front end knows: its own address, the host name people reach it by (the
// best guess at the other channels' too) and WebDAV's root when it serves
// WebDAV.
func (s *server) channels(listeners func() webapp.Channels, host string, dav bool) func() webapp.Channels {
	return func() webapp.Channels {
		var c webapp.Channels
		if listeners != nil {
			c = listeners()
		}
		c.BaseURL = s.baseURL
		if c.Host == "" {
			c.Host = host
		}
		if dav && c.WebDAVURL == "" {
			c.WebDAVURL = s.baseURL + "/dav/"
		}
		return c
	}
}
