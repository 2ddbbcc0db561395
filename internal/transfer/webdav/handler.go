// Package webdav serves each user's files over WebDAV at /dav/ on the HTTP
// listener, with golang.org/x/net/webdav for the protocol. Clients send
// HTTP Basic credentials with every request: a password, or an API key as
// the password (how SSO users sign in here), checked by the identity core's
// login policy on channel "webdav". A verified password is remembered for a
// minute so that a client's burst of requests costs one password hash, but
// the account is asked again at every request (package access, as for an
// open FTP or SFTP connection), so a user disabled by any provider, a
// demoted admin or a changed password takes effect at the next one.
package webdav

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/gatehouse/gatehouse/internal/clientaddr"
	"github.com/gatehouse/gatehouse/internal/httpbody"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
	"github.com/gatehouse/gatehouse/internal/transfer/usercontent"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Prefix is where WebDAV is mounted on the HTTP listener.
const Prefix = "/dav"

// DefaultIdleTimeout is how long an upload may send nothing before it is
// discarded.
const DefaultIdleTimeout = 2 * time.Minute

// Identity is what the WebDAV handler asks of the identity core: the site
// a host names, the sign-in, and the check at every request;
// *identity.Service is one.
type Identity interface {
	ResolveSite(ctx context.Context, subdomain string) (store.Site, error)
	credential.Identity
	access.Readmitter
}

// Options configures the WebDAV handler.
// Options, as everywhere, is what a constructor takes; Config is kept for
// what an admin writes (internal/config) and a connector's provider
// description built from stored settings.
type Options struct {
	Identity Identity // decides every request; required
	// Locks keeps the WebDAV locks (see LockStore); the server's store is
	// one. Required.
	Locks LockStore
	// Files lays out a user's view of the storage, (*vfs.Storage).View;
	// required.
	Files access.Layout
	// SiteDomain addresses sites as SUBDOMAIN.SiteDomain, as on the web.
	SiteDomain string
	// IdleTimeout discards an upload whose client sends nothing for this
	// long; default DefaultIdleTimeout.
	IdleTimeout time.Duration
	Logger      *slog.Logger     // default slog.Default()
	Clock       func() time.Time // default time.Now
	// ClientAddr finds the address a request came from; the zero value
	// takes the TCP peer (no proxy trusted).
	ClientAddr clientaddr.Resolver
}

// Handler serves WebDAV.
type Handler struct {
	svc        Identity
	locks      LockStore
	files      access.Layout
	siteDomain string
	idle       time.Duration
	log        *slog.Logger
	now        func() time.Time
	creds      *credentialCache
	guarded    http.Handler // serve behind usercontent.Guard
	clientAddr clientaddr.Resolver
}

// New builds the handler.
func New(cfg Options) (*Handler, error) {
	if cfg.Identity == nil || cfg.Files == nil || cfg.Locks == nil {
		return nil, errors.New("webdav: Options.Identity, Options.Files and Options.Locks are required")
	}
	h := &Handler{svc: cfg.Identity, locks: cfg.Locks, files: cfg.Files, siteDomain: strings.ToLower(strings.Trim(cfg.SiteDomain, ".")),
		idle: cfg.IdleTimeout, log: cfg.Logger, now: cfg.Clock, clientAddr: cfg.ClientAddr}
	if h.idle <= 0 {
		h.idle = DefaultIdleTimeout
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.creds = newCredentialCache(h.now)
	h.guarded = usercontent.Guard(httpbody.Middleware(h.idle, http.HandlerFunc(h.serve)))
	return h, nil
}

// maxXMLBody bounds the request body of every method but PUT.
const maxXMLBody = 1 << 20

// realm is the Basic realm clients show when they ask for credentials.
const realm = `Basic realm="Gatehouse WebDAV", charset="UTF-8"`

// ServeHTTP answers one WebDAV request. Every answer passes
// usercontent.Guard: files come back as passive downloads, never as pages
// of the app's origin, and every answer (listings and errors included)
// carries a sandboxing content security policy.
// Every body read has the idle time (httpbody): an upload may take as long
// as it keeps sending, and one that stalls is cut off and discarded.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.guarded.ServeHTTP(w, r) }

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	username, secret, ok := r.BasicAuth()
	if !ok || username == "" || secret == "" {
		h.unauthorized(w, "Sign in with your username and password, or your API key as the password if you sign in through single sign-on.")
		return
	}
	ctx := r.Context()
	site, err := h.svc.ResolveSite(ctx, h.subdomainOf(r.Host))
	if err != nil {
		h.log.Error("webdav: no site", "host", r.Host, "error", err)
		http.Error(w, "No site is set up yet.", http.StatusServiceUnavailable)
		return
	}
	ip := h.clientAddr.Of(r)
	rights, err := h.signIn(ctx, site, username, secret, ip)
	if err != nil {
		if !access.Ends(err) {
			h.log.Error("webdav sign-in failed", "site_id", site.ID, "error", err)
			http.Error(w, "Sign-in is not possible right now; try again later.", http.StatusServiceUnavailable)
			return
		}
		if identity.AsError(err).Status == http.StatusTooManyRequests {
			// The address is throttled: a 401 would make the client ask
			// the person for another password to try.
			http.Error(w, access.Message(err), http.StatusTooManyRequests)
			return
		}
		h.unauthorized(w, access.Message(err))
		return
	}
	u, fsys := rights.User, rights.FS
	if r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodPut {
		// Only PUT carries file bytes; the XML bodies of PROPFIND,
		// PROPPATCH and LOCK are small, and a huge one is an attack.
		r.Body = http.MaxBytesReader(w, r.Body, maxXMLBody)
	}
	if r.Method == "LOCK" {
		if status, msg := checkLock(ctx, fsys, r); status != 0 {
			h.log.Info("webdav lock refused", "site_id", site.ID, "user_id", u.ID, "path", r.URL.Path, "status", status)
			http.Error(w, msg, status)
			return
		}
		grantTimeout(r)
	}
	putMtime, err := putModTime(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	seen := &refusals{}
	dav := &webdav.Handler{
		Prefix:     Prefix,
		FileSystem: davFS{fs: fsys, seen: seen, putMtime: putMtime},
		LockSystem: &storeLocks{ctx: ctx, st: h.locks, siteID: site.ID, userID: u.ID, username: strings.ToLower(u.Username),
			admin: u.SiteAdmin, fs: fsys, persist: r.Method == "LOCK", log: h.log},
		Logger: func(r *http.Request, err error) {
			if err != nil && !errors.Is(err, vfs.ErrNotExist) {
				h.log.Info("webdav request failed", "method", r.Method, "path", r.URL.Path, "user_id", u.ID, "error", err)
			}
		},
	}
	rw := &refusalWriter{ResponseWriter: w, seen: seen}
	if !putMtime.IsZero() {
		dav.ServeHTTP(&mtimeAccepted{ResponseWriter: rw}, r)
		return
	}
	if r.Method != "LOCK" {
		dav.ServeHTTP(rw, r)
		return
	}
	answer := &lockAnswer{ResponseWriter: rw}
	dav.ServeHTTP(answer, r)
	answer.finish()
}

func (h *Handler) unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", realm)
	http.Error(w, msg, http.StatusUnauthorized)
}

// subdomainOf returns the site subdomain a host names, or "" for the
// default site.
func (h *Handler) subdomainOf(host string) string {
	if h.siteDomain == "" {
		return ""
	}
	if hst, _, err := net.SplitHostPort(host); err == nil {
		host = hst
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	sub, ok := strings.CutSuffix(host, "."+h.siteDomain)
	if !ok || strings.Contains(sub, ".") {
		return ""
	}
	return sub
}
