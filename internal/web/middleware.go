package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxBodyBytes bounds every request body but file bytes: identity objects
// are small, and a bound keeps a flood of large bodies from exhausting
// memory.
const maxBodyBytes = 1 << 20

// requestInfo travels in the request context so that the access log can
// report what inner layers learned (the site) after they ran.
type requestInfo struct {
	id   string
	site *store.Site
}

type ctxKey int

const requestInfoKey ctxKey = 1

func infoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// siteFrom returns the site the request was resolved to.
func siteFrom(ctx context.Context) store.Site {
	if ri := infoFrom(ctx); ri.site != nil {
		return *ri.site
	}
	return store.Site{}
}

// middleware wraps the routes in the layers every request passes, outermost
// first: request id, access log, panic recovery, security headers, reading
// the body, admission, site resolution.
func (s *server) middleware(mux *http.ServeMux) http.Handler {
	anonymous := s.anonymousRequest(mux)
	h := s.resolveSite(mux)
	h = s.admitUnlessUpload(h, anonymous)
	h = s.readBodies(h, isFileUpload, anonymous, s.writeError)
	h = securityHeaders(h)
	h = s.recoverPanics(h)
	h = s.accessLog(h)
	return s.requestID(h)
}

// admitUnlessUpload queues every request but file uploads and presigned
// downloads, which hold their request for as long as the bytes take, and
// would hold a slot the short requests need; the idle time per read
// bounds them instead. A presigned download carries no credential and
// would otherwise queue with sign-ins; its signature is checked (one
// HMAC, no database) before it does any work.
func (s *server) admitUnlessUpload(next http.Handler, anonymous func(*http.Request) bool) http.Handler {
	admitted := s.admission.wrap(next, anonymous, s.writeError)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isFileUpload(r) || isPresignedDownload(r) {
			next.ServeHTTP(w, r)
			return
		}
		admitted.ServeHTTP(w, r)
	})
}

// anonymousRequest says which requests queue with those without
// credentials: requests that carry none, and requests for public routes
// (sign-in pages and POST /sessions), whose credential headers, if any,
// prove nothing until they are checked and so must not buy a place in the
// signed-in queue.
func (s *server) anonymousRequest(mux *http.ServeMux) func(*http.Request) bool {
	public := map[string]bool{}
	for _, rt := range s.routes() {
		if rt.Access == accessPublic {
			public[rt.Method+" "+rt.Pattern] = true
		}
	}
	return func(r *http.Request) bool {
		if !carriesCredential(r) {
			return true
		}
		_, pattern := mux.Handler(r)
		return public[pattern]
	}
}

// carriesCredential reports whether a request carries any credential the
// front end or SCIM reads (not whether it is valid).
func carriesCredential(r *http.Request) bool {
	if r.Header.Get(apiKeyHeader) != "" || r.Header.Get(sessionHeader) != "" || r.Header.Get("Authorization") != "" {
		return true
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && c.Value != ""
}

// requestID honours a sane incoming X-Request-Id (so a proxy's id links its
// log to ours) and makes one otherwise.
func (s *server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ri := &requestInfo{id: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey, ri)))
	})
}

// saneRequestID accepts 1 to 128 characters from a conservative set, so a
// forged id cannot inject into logs.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one structured line per request. It logs the path but
// never the query, headers, cookies or bodies, which may carry secrets.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		ri := infoFrom(r.Context())
		site := ""
		if ri.site != nil {
			site = fmt.Sprintf("%d", ri.site.ID)
			if ri.site.Subdomain != "" {
				site += ":" + ri.site.Subdomain
			}
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("request_id", ri.id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", s.now().Sub(start)),
			slog.Int64("bytes", rec.bytes),
			slog.String("site", site),
		)
	})
}

// recoverPanics turns a panic into a typed 500 and a log line with the
// stack, so one bad request cannot take the process down.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request",
				slog.String("request_id", infoFrom(r.Context()).id),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			s.writeError(w, r, identity.ErrInternal)
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders keeps pages out of frames and off other origins'
// resources, and stops browsers from guessing content types.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if isAPIPath(r.URL.Path) {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		} else {
			// Images may also come from https hosts: an SSO provider's logo
			// (logo_url) usually lives on the identity provider's site.
			h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		}
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// resolveSite finds the site a request is for from its Host header:
// SUBDOMAIN.SiteDomain is that site, anything else the default site.
func (s *server) resolveSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site, err := s.svc.ResolveSite(r.Context(), s.subdomainOf(r.Host))
		if err != nil {
			s.writeError(w, r, fmt.Errorf("resolving site for host: %w", err))
			return
		}
		infoFrom(r.Context()).site = &site
		next.ServeHTTP(w, r)
	})
}

// subdomainOf returns the site subdomain a host names, or "" for the
// default site.
func (s *server) subdomainOf(host string) string {
	host = strings.ToLower(stripPort(host))
	if s.siteDomain == "" || host == s.siteDomain {
		return ""
	}
	sub, ok := strings.CutSuffix(host, "."+s.siteDomain)
	if !ok || sub == "" || strings.Contains(sub, ".") {
		return ""
	}
	return sub
}

// stripPort removes a :port from a host, minding bracketed IPv6 literals.
func stripPort(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.Index(host, "]"); i >= 0 {
			return host[1:i]
		}
		return host
	}
	if i := strings.LastIndex(host, ":"); i >= 0 {
		return host[:i]
	}
	return host
}

func isAPIPath(p string) bool { return p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/") }
