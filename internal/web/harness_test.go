package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/oidclogin"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a real Gatehouse front end on a loopback port over a real
// SQLite store and identity Service.
type harness struct {
	t         *testing.T
	ctx       context.Context
	st        store.Store
	svc       *identity.Service
	provision *provision.Engine
	signin    *signin.Service
	saml      *samllogin.Service
	oidc      *oidclogin.Service
	refusals  *events.RefusalLimiter
	starts    *sourcelimit.Limiter
	site      store.Site
	srv       *httptest.Server
	clock     *testclock.Clock
	logs      *lockedBuffer
	files     *vfs.Storage

	mu       sync.Mutex
	requests map[string]int // "METHOD /path" -> count
}

// strongPassword meets the default site minimum length.
const strongPassword = "correct horse battery staple"

// newHarness starts the front end; sso adjusts the sign-in core's options
// (a test may trust its own TLS server for metadata, say).
func newHarness(t *testing.T, sso ...func(*signin.Options)) *harness {
	t.Helper()
	return newHarnessWith(t, nil, sso...)
}

// newHarnessWith is newHarness with a hook that adjusts the identity
// core's options over the store before the core is made (the LDAP tests
// give it a directory).
func newHarnessWith(t *testing.T, adjustIdentity func(store.Store, *identity.Options), sso ...func(*signin.Options)) *harness {
	t.Helper()
	return newHarnessHooked(t, harnessHooks{identity: adjustIdentity, sso: sso})
}

// harnessHooks adjust the services' options before they are made.
type harnessHooks struct {
	identity func(store.Store, *identity.Options)
	sso      []func(*signin.Options)           // the sign-in core's, for SAML and OpenID Connect
	notifier func(store.Store) events.Notifier // the console's test alerts
}

// newHarnessHooked is newHarness with every hook.
func newHarnessHooked(t *testing.T, hooks harnessHooks) *harness {
	t.Helper()
	st := teststore.Open(t)
	sealer := identitytest.Sealer(t)
	var err error
	h := &harness{t: t, ctx: context.Background(), st: st, logs: &lockedBuffer{}, requests: map[string]int{},
		clock: testclock.New(time.Now().UTC().Truncate(time.Second))}
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	idOpts := identity.Options{Clock: h.clock.Now, Logger: logger, Sealer: sealer, PasswordHashing: identitytest.CheapHashing()}
	if hooks.identity != nil {
		hooks.identity(st, &idOpts)
	}
	h.svc = identity.New(st, idOpts)
	if h.site, err = h.svc.EnsureDefaultSite(h.ctx); err != nil {
		t.Fatalf("default site: %v", err)
	}
	var handler http.Handler
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.requests[r.Method+" "+r.URL.Path]++
		h.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	h.provision = provision.New(st, provision.Options{Clock: h.clock.Now, Logger: logger})
	h.refusals = events.NewRefusalLimiter(st, events.RefusalLimits{Clock: h.clock.Now, Logger: logger})
	h.starts = signin.NewStartLimiter(h.clock.Now, logger)
	// The tests' identity providers, metadata servers and directories
	// run on loopback, which the server reaches only when allowed to.
	signinOpts := signin.Options{Identity: h.svc, Provision: h.provision, Store: st, BaseURL: h.srv.URL,
		SiteDomain: "example.test", Logger: logger, Clock: h.clock.Now, Outbound: outbound.AllowPrivate(), Refusals: h.refusals, Starts: h.starts}
	for _, adjust := range hooks.sso {
		adjust(&signinOpts)
	}
	if h.signin, err = signin.New(signinOpts); err != nil {
		t.Fatalf("signin.New: %v", err)
	}
	if h.saml, err = samllogin.New(h.signin); err != nil {
		t.Fatalf("samllogin.New: %v", err)
	}
	if h.oidc, err = oidclogin.New(h.signin, oidclogin.Options{}); err != nil {
		t.Fatalf("oidclogin.New: %v", err)
	}
	// Saving a provider checks what it trusts, as the server does.
	h.svc.SetTrustChecker(identity.TrustByProtocol{identity.ProtocolSAML: h.saml, identity.ProtocolOAuth2: h.oidc})
	if h.files, err = vfs.New(filepath.Join(t.TempDir(), "files"), st); err != nil {
		t.Fatalf("file storage: %v", err)
	}
	var notifier events.Notifier
	if hooks.notifier != nil {
		notifier = hooks.notifier(st)
	}
	handler, err = New(Options{Service: h.svc, BaseURL: h.srv.URL, SiteDomain: "example.test", Logger: logger, Clock: h.clock.Now, Notifier: notifier,
		Provision: h.provision, SignIn: h.signin, SAML: h.saml, OIDC: h.oidc, Files: h.files,
		Uploads: multipart.New(multipart.Options{Store: st, Staging: h.files, Clock: h.clock.Now, Logger: logger})})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return h
}

func (h *harness) requestCount(methodPath string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests[methodPath]
}

// createUser makes a password user with API access.
func (h *harness) createUser(username string, siteAdmin bool) store.User {
	h.t.Helper()
	pw, method, yes := strongPassword, store.AuthPassword, true
	u, err := h.svc.CreateUser(h.ctx, identity.SystemActor, h.site.ID, identity.UserChange{
		Username: &username, Password: &pw, AuthenticationMethod: &method, SiteAdmin: &siteAdmin, RestAPIPermission: &yes})
	if err != nil {
		h.t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// apiKeyFor makes an API key for a user and returns the key itself.
func (h *harness) apiKeyFor(u store.User, expires time.Time) (store.APIKey, string) {
	h.t.Helper()
	name := "key for " + u.Username
	ch := identity.APIKeyChange{UserID: &u.ID, Name: &name}
	if !expires.IsZero() {
		ch.ExpiresAt = &expires
	}
	k, key, err := h.svc.CreateAPIKey(h.ctx, identity.SystemActor, h.site.ID, ch)
	if err != nil {
		h.t.Fatalf("create API key: %v", err)
	}
	return k, key
}

// apiResponse is a decoded API answer.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResponse) errType() string {
	var e errorBody
	_ = json.Unmarshal(r.body, &e)
	return e.Type
}

func (r apiResponse) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call makes an API request with an API key (or none when key is "").
func (h *harness) call(method, path, key string, body io.Reader, headers ...string) apiResponse {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set(apiKeyHeader, key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResponse{status: res.StatusCode, header: res.Header, body: b}
}

func (h *harness) callJSON(method, path, key, body string, headers ...string) apiResponse {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return h.call(method, path, key, rd, headers...)
}

// expectError asserts a typed JSON error.
func expectError(t *testing.T, r apiResponse, status int, typ string) {
	t.Helper()
	if r.status != status || r.errType() != typ {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, typ)
	}
	var e errorBody
	r.decode(t, &e)
	if e.Error == "" || e.HTTPCode != status || e.Title == "" {
		t.Fatalf("error body incomplete: %s", r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q", ct)
	}
}

// createStrategy makes an SSO provider with a client secret, which the API
// must never show.
func (h *harness) createStrategy(protocol, provider, label string, enabled, onLoginPage bool) store.SSOStrategy {
	h.t.Helper()
	secretValue := "client-secret-must-not-leak"
	ch := identity.SSOStrategyChange{Protocol: &protocol, Provider: &provider, Label: &label,
		Enabled: &enabled, DisplayOnLoginPage: &onLoginPage}
	if protocol == "oauth2" {
		clientID, sub := "client-id", "tenant"
		ch.ClientID, ch.ClientSecret, ch.Subdomain = &clientID, &secretValue, &sub
	}
	st, err := h.svc.CreateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, ch)
	if err != nil {
		h.t.Fatalf("create SSO strategy: %v", err)
	}
	return st
}

func storeGroupQuery(groupID int64) store.GroupUserQuery {
	return store.GroupUserQuery{ListOptions: store.ListOptions{Limit: 100}, GroupID: groupID}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// recorderBrowser drives a handler in-process with httptest.NewRecorder,
// for a BaseURL no test server can listen on (https).
type recorderBrowser struct {
	t       *testing.T
	h       http.Handler
	base    string
	cookies map[string]*http.Cookie
}

func newRecorderBrowser(t *testing.T, h http.Handler, base string) *recorderBrowser {
	return &recorderBrowser{t: t, h: h, base: base, cookies: map[string]*http.Cookie{}}
}

func (b *recorderBrowser) send(req *http.Request) *http.Response {
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		b.cookies[c.Name] = c
	}
	return res
}

func (b *recorderBrowser) get(path string) *http.Response {
	return b.send(httptest.NewRequest("GET", b.base+path, nil))
}

func (b *recorderBrowser) post(path string, form url.Values, headers ...string) *http.Response {
	if c := b.cookies[csrfCookie]; c != nil {
		form.Set(csrfField, c.Value)
	}
	req := httptest.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.send(req)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
