// Package scim is Gatehouse's SCIM 2.0 server (RFC 7643, RFC 7644): the
// endpoint Microsoft Entra ID, Okta and OneLogin push users and groups to.
//
// It is a front end like the web package: it translates SCIM requests into
// calls to the provisioning engine, which alone creates, changes, disables
// and deletes accounts, groups and memberships by the provider's rules.
// Every request is tied to one provider (and so one site) by its
// credential, and sees only that provider's users and groups.
//
// Clients bend the RFC in documented ways and a server that follows it to
// the letter wipes groups or fails to disable users; this package accepts
// what they send: PATCH op in any case, booleans as strings, active changed
// by Add, path-less replace with dotted keys and extension URNs, value
// paths such as emails[type eq "work"].value, attribute names in any case,
// member removal as members[value eq "id"] or as path "members" with a
// value list (which removes only those members), $ref: null, extra schema
// URIs, unquoted filter values and unknown query parameters such as
// Entra's aadOptscim062020.
package scim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/clientaddr"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Schema and message URNs.
const (
	URNUser           = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	URNListResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	URNPatchOp        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	URNError          = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Authenticator resolves which provider a SCIM request belongs to from its
// Authorization header. loopback says the request came from a loopback
// address (a provider without credentials is allowed only then). An error
// means 401; its text goes to scim_logs only. The identity Service
// implements it.
type Authenticator interface {
	AuthenticateSCIM(ctx context.Context, authorization string, loopback bool) (store.SSOStrategy, error)
}

// Identity is what SCIM reads of the identity records: the resources its
// GETs and lists answer with, and the names and keys a create must not
// take. *identity.Service is one. Changes go through the provisioning
// engine.
type Identity interface {
	ResolveSite(ctx context.Context, subdomain string) (store.Site, error)
	GetUser(ctx context.Context, siteID, id int64) (store.User, error)
	GetUserByUsername(ctx context.Context, siteID int64, username string) (store.User, error)
	ListUsers(ctx context.Context, siteID int64, q store.UserQuery) ([]store.User, error)
	CountUsersMatching(ctx context.Context, siteID int64, q store.UserQuery) (int, error)
	GetGroup(ctx context.Context, siteID, id int64) (store.Group, error)
	ListGroups(ctx context.Context, siteID int64, q store.GroupQuery) ([]store.Group, error)
	CountGroups(ctx context.Context, siteID int64, q store.GroupQuery) (int, error)
	ListGroupUsers(ctx context.Context, siteID int64, q store.GroupUserQuery) ([]store.GroupUser, error)
}

// LogWriter keeps the log of SCIM requests (scim_logs), the admin's record
// of what a provisioning client sent; store.Store is one.
type LogWriter interface {
	CreateScimLog(ctx context.Context, l *store.ScimLog) error
}

// Options configures a Handler. Identity, Log, Engine, Auth and Refusals
// are required; the server wires its identity core, its store (for the
// request log, nothing else of it) and its engine (which serialises
// membership changes).
//
// Options, as everywhere, is what a constructor takes; Config is kept for
// what an admin writes (internal/config) and a connector's provider
// description built from stored settings.
type Options struct {
	Identity Identity
	Log      LogWriter
	Engine   *provision.Engine
	Auth     Authenticator
	// BaseURL is where clients reach Gatehouse ("https://files.example.com");
	// meta.location and $ref are absolute under it. Empty: relative.
	BaseURL string
	Clock   func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()
	// Refusals records requests refused for want of valid credentials
	// (see record); share the server's one and run it.
	Refusals *events.RefusalLimiter
	// ClientAddr finds the address a request came from, as every other
	// HTTP front end finds it (--trusted-proxies). The zero value answers
	// the TCP peer, which behind a reverse proxy on the same host is
	// loopback for every request, so the server must pass its own.
	ClientAddr clientaddr.Resolver
}

// Handler serves /api/scim and /api/scim/v2.
type Handler struct {
	id       Identity
	logs     LogWriter
	engine   *provision.Engine
	auth     Authenticator
	baseURL  string
	now      func() time.Time
	log      *slog.Logger
	refusals *events.RefusalLimiter
	clients  clientaddr.Resolver
}

// New returns the SCIM handler; it expects the full request path
// (/api/scim/...), so mount it at /api/scim and /api/scim/.
func New(c Options) *Handler {
	h := &Handler{id: c.Identity, logs: c.Log, engine: c.Engine, auth: c.Auth, baseURL: strings.TrimRight(c.BaseURL, "/"),
		now: c.Clock, log: c.Logger, refusals: c.Refusals, clients: c.ClientAddr}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// Paths the handler answers under.
const (
	prefix   = "/api/scim"
	prefixV2 = "/api/scim/v2"
)

// request is one SCIM request being answered: the provider it belongs to,
// the path prefix the client used (for locations) and the body read.
type request struct {
	*http.Request
	p      store.SSOStrategy
	prefix string
	body   []byte
	ip     string // the client's address (Options.ClientAddr)
}

// ServeHTTP authenticates the request, answers it, and records it in
// scim_logs.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := newRecorder(w)
	req := &request{Request: r, ip: h.clients.Of(r)}
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("SCIM handler panicked", "panic", v, "path", r.URL.Path)
			if rec.status == 0 {
				writeError(rec, errInternal())
			}
		}
		h.record(r.Context(), req, rec)
	}()
	req.prefix, _ = splitPath(r.URL.Path)
	// Method none is for a provisioning client on this host: the client's
	// address decides, not the peer's, which is a proxy's when one
	// forwards the request.
	p, err := h.auth.AuthenticateSCIM(r.Context(), r.Header.Get("Authorization"), isLoopback(req.ip))
	req.p = p
	if err != nil {
		rec.authError = err.Error()
		rec.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse-scim"`)
		writeError(rec, &Error{Status: http.StatusUnauthorized,
			Detail: "the SCIM credential is missing, wrong, expired or revoked; generate a new one in the provider's settings"})
		return
	}
	body, serr := readBody(r)
	req.body = body
	if serr != nil {
		writeError(rec, serr)
		return
	}
	h.route(rec, req)
}

// splitPath returns the prefix the client used and the rest of the path.
func splitPath(p string) (string, string) {
	for _, pre := range []string{prefixV2, prefix} {
		if rest, ok := strings.CutPrefix(p, pre); ok && (rest == "" || rest[0] == '/') {
			return pre, rest
		}
	}
	return prefix, p
}

// isLoopback reports whether a client address is a loopback address.
func isLoopback(addr string) bool {
	ip := net.ParseIP(addr)
	return ip != nil && ip.IsLoopback()
}

// newKey makes an immutable provisioning key for a resource whose client
// sent no externalId.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return generatedKeyPrefix + hex.EncodeToString(b)
}

// generatedKeyPrefix marks keys Gatehouse made; a group whose key has it
// shows no externalId, and clients may not send externalIds with it.
const generatedKeyPrefix = "gatehouse-scim-"

// location is the absolute (or, without a base URL, root-relative) URL of
// a resource.
func (h *Handler) location(r *request, kind, id string) string {
	return h.baseURL + r.prefix + "/" + kind + "/" + id
}
