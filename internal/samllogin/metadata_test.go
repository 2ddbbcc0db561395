package samllogin

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml/samltest"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testcert"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// These tests serve a pysaml2 identity provider's metadata over TLS and
// refresh it through the service, with an injected clock and a notifier
// that records alerts.

// idpMetadata runs pysaml2 to write an IdP's metadata whose signing
// certificate expires at notAfter.
func idpMetadata(t *testing.T, entityID string, notAfter time.Time) string {
	t.Helper()
	samltest.RequirePeer(t)
	dir := t.TempDir()
	keyFile, certFile, err := testcert.Signer(t, "Test IdP", notAfter).WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return string(samltest.Run(t, dir, map[string]any{"mode": "metadata", "entity_id": entityID, "sso_url": entityID + "/sso",
		"key": keyFile, "cert": certFile}))
}

// recordingNotifier keeps every notice.
type recordingNotifier struct {
	mu      sync.Mutex
	notices []events.Notice
}

func (r *recordingNotifier) Notify(_ context.Context, n events.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
	return nil
}

func (r *recordingNotifier) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.notices {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// metadataServer serves whatever status and body the test sets, over TLS.
type metadataServer struct {
	*httptest.Server
	mu       sync.Mutex
	status   int
	body     string
	requests int
}

func newMetadataServer(t *testing.T, body string) *metadataServer {
	m := &metadataServer{status: http.StatusOK, body: body}
	m.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.requests++
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.WriteHeader(m.status)
		_, _ = io.WriteString(w, m.body)
	}))
	m.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	m.StartTLS()
	t.Cleanup(m.Close)
	return m
}

func (m *metadataServer) set(status int, body string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status, m.body = status, body
}

func (m *metadataServer) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

type metadataFixture struct {
	t      *testing.T
	ctx    context.Context
	clock  *testclock.Clock
	st     store.Store
	id     *identity.Service
	prov   *provision.Engine
	notes  *recordingNotifier
	svc    *Service
	site   store.Site
	server *metadataServer
	p      store.SSOStrategy
}

func newMetadataFixture(t *testing.T, metadata string) *metadataFixture {
	t.Helper()
	st := teststore.SQLite(t)
	sealer := identitytest.Sealer(t)
	var err error
	f := &metadataFixture{t: t, ctx: context.Background(), clock: testclock.New(time.Now().UTC().Truncate(time.Second)),
		st: st, notes: &recordingNotifier{}, server: newMetadataServer(t, metadata)}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.id = identity.New(st, identity.Options{Clock: f.clock.Now, Logger: logger, Sealer: sealer})
	if f.site, err = f.id.EnsureDefaultSite(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.prov = provision.New(st, provision.Options{Clock: f.clock.Now, Logger: logger})
	f.svc = f.service(f.server.Client())
	proto, label, yes, mdURL := identity.ProtocolSAML, "Entra", true, f.server.URL+"/federationmetadata.xml"
	f.p, err = f.id.CreateSSOStrategy(f.ctx, identity.SystemActor, f.site.ID, identity.SSOStrategyChange{
		Protocol: &proto, Label: &label, Enabled: &yes, SAMLProviderMetadataURL: &mdURL})
	if err != nil {
		t.Fatalf("create provider: %v", err)
	}
	return f
}

func (f *metadataFixture) service(client *http.Client) *Service {
	f.t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	core, err := signin.New(signin.Options{Identity: f.id, Provision: f.prov, Store: f.st, BaseURL: "https://app.example.test", Notifier: f.notes,
		Logger: logger, Clock: f.clock.Now, HTTPClient: client, Outbound: outbound.AllowPrivate(),
		Refusals: events.NewRefusalLimiter(f.st, events.RefusalLimits{Clock: f.clock.Now, Logger: logger})})
	if err != nil {
		f.t.Fatal(err)
	}
	svc, err := New(core)
	if err != nil {
		f.t.Fatal(err)
	}
	return svc
}

func (f *metadataFixture) cached() store.SSOMetadata {
	f.t.Helper()
	m, err := f.st.GetSSOMetadata(f.ctx, f.p.ID)
	if err != nil {
		f.t.Fatalf("cached metadata: %v", err)
	}
	return m
}

func (f *metadataFixture) lastRefreshEvent() store.SSOEvent {
	f.t.Helper()
	evs, err := f.id.ListSSOEvents(f.ctx, f.site.ID, store.EventQuery{EventType: EventMetadataRefresh, ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil || len(evs) == 0 {
		f.t.Fatalf("no metadata refresh event: %v", err)
	}
	return evs[len(evs)-1]
}

func TestMetadataURLFetchCacheAndKeepLastGood(t *testing.T) {
	good := idpMetadata(t, "https://idp.test/entra", time.Now().AddDate(1, 0, 0))
	f := newMetadataFixture(t, good)

	// The first sign-in fetches and caches; the next one uses the cache.
	redirect, err := f.svc.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1")
	if err != nil || !strings.HasPrefix(redirect, "https://idp.test/entra/sso?") {
		t.Fatalf("Begin = %q, %v", redirect, err)
	}
	if m := f.cached(); m.Raw != good || !m.FetchedAt.Equal(f.clock.Now()) || f.server.count() != 1 {
		t.Fatalf("after the first use: cached %d bytes at %s, %d fetches", len(m.Raw), m.FetchedAt, f.server.count())
	}
	if _, err := f.svc.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err != nil || f.server.count() != 1 {
		t.Fatalf("second Begin: %v, %d fetches; want the cached copy", err, f.server.count())
	}

	// RefreshDue leaves copies younger than a day alone.
	f.clock.Advance(23 * time.Hour)
	if n, err := f.svc.RefreshDue(f.ctx); n != 0 || err != nil || f.server.count() != 1 {
		t.Fatalf("RefreshDue of a fresh copy: %d, %v, %d fetches", n, err, f.server.count())
	}

	// A day later the URL fails: the last good copy stays, with an event
	// and an alert, and sign-in goes on.
	for i, bad := range []struct {
		status int
		body   string
	}{{http.StatusInternalServerError, "oops"}, {http.StatusOK, "<html>not metadata</html>"}} {
		f.server.set(bad.status, bad.body)
		f.clock.Advance(25 * time.Hour)
		if n, err := f.svc.RefreshDue(f.ctx); n != 0 || err == nil {
			t.Fatalf("RefreshDue against a failing URL: %d, %v", n, err)
		}
		m := f.cached()
		if m.Raw != good || m.LastError == "" || !m.LastErrorAt.Equal(f.clock.Now()) {
			t.Fatalf("after failure %d: cached %+v", i, m)
		}
		ev := f.lastRefreshEvent()
		if ev.Status != store.EventFailure || !strings.Contains(ev.Body, "sign-in goes on with the copy fetched") {
			t.Fatalf("failure event %+v", ev)
		}
		if got := f.notes.count(events.NoticeMetadataRefreshFailure); got != i+1 {
			t.Fatalf("%d refresh failure alerts, want %d", got, i+1)
		}
		if _, err := f.svc.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err != nil {
			t.Fatalf("sign-in with the last good copy: %v", err)
		}
	}

	// A failing URL is retried no sooner than metadataRetryAfter.
	fetches := f.server.count()
	f.clock.Advance(metadataRetryAfter / 2)
	if n, _ := f.svc.RefreshDue(f.ctx); n != 0 || f.server.count() != fetches {
		t.Fatal("a failing URL was retried at once")
	}
	f.server.set(http.StatusOK, good)
	f.clock.Advance(metadataRetryAfter)
	if n, err := f.svc.RefreshDue(f.ctx); n != 1 || err != nil {
		t.Fatalf("RefreshDue after the URL recovered: %d, %v", n, err)
	}
	if m := f.cached(); m.LastError != "" || !m.FetchedAt.Equal(f.clock.Now()) {
		t.Fatalf("after recovery: %+v", m)
	}
}

func TestMetadataURLUntrustedCertificateRefused(t *testing.T) {
	f := newMetadataFixture(t, idpMetadata(t, "https://idp.test/entra", time.Now().AddDate(1, 0, 0)))
	systemTrust := f.service(nil) // the default client: the test server's certificate is not trusted
	err := systemTrust.RefreshMetadata(f.ctx, f.p)
	if saml.KindOf(err) != saml.KindFetch || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("RefreshMetadata over an untrusted certificate: %v", err)
	}
	if _, err := f.st.GetSSOMetadata(f.ctx, f.p.ID); err == nil && f.cached().Raw != "" {
		t.Fatal("metadata from an untrusted server was cached")
	}
	if _, err := systemTrust.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err == nil {
		t.Fatal("a sign-in started with metadata from an untrusted server")
	}
	if f.notes.count(events.NoticeMetadataRefreshFailure) == 0 {
		t.Error("no alert for the untrusted certificate")
	}
}

func TestMetadataCertificateExpiryAlertsOnce(t *testing.T) {
	f := newMetadataFixture(t, idpMetadata(t, "https://idp.test/entra", time.Now().Add(10*24*time.Hour)))
	for i := 0; i < 3; i++ {
		if err := f.svc.RefreshMetadata(f.ctx, f.p); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(25 * time.Hour)
	}
	if got := f.notes.count(events.NoticeCertificateExpiry); got != 1 {
		t.Fatalf("%d expiry alerts over three refreshes, want 1", got)
	}
	// A new certificate that expires soon too is announced.
	f.server.set(http.StatusOK, idpMetadata(t, "https://idp.test/entra", time.Now().Add(20*24*time.Hour)))
	if err := f.svc.RefreshMetadata(f.ctx, f.p); err != nil {
		t.Fatal(err)
	}
	if got := f.notes.count(events.NoticeCertificateExpiry); got != 2 {
		t.Fatalf("%d expiry alerts after a new expiring certificate, want 2", got)
	}
}

// TestMetadataOfAnEarlierURLIsNeverUsed: a refresh of the provider's old
// metadata URL that finishes after an admin saved a new one keeps
// nothing, and a cached copy of another URL (written before the switch,
// or by a node that had not seen it) is not trusted: the current URL is
// fetched instead.
func TestMetadataOfAnEarlierURLIsNeverUsed(t *testing.T) {
	good := idpMetadata(t, "https://idp.test/entra", time.Now().AddDate(1, 0, 0))
	f := newMetadataFixture(t, good)
	old := f.p
	if err := f.svc.RefreshMetadata(f.ctx, old); err != nil {
		t.Fatal(err)
	}
	newURL := f.server.URL + "/tenant-b/federationmetadata.xml"
	p, err := f.id.UpdateSSOStrategy(f.ctx, identity.SystemActor, f.site.ID, f.p.ID, identity.SSOStrategyChange{SAMLProviderMetadataURL: &newURL})
	if err != nil {
		t.Fatal(err)
	}
	f.p = p
	if m := f.cached(); m.Raw != "" || m.SourceURL != "" {
		t.Fatalf("the old URL's copy survived the change: %+v", m)
	}
	// A refresh that read the provider before the change ends after it.
	if err := f.svc.RefreshMetadata(f.ctx, old); err != nil {
		t.Fatal(err)
	}
	if m := f.cached(); m.Raw != "" {
		t.Fatalf("a late refresh of the old URL was kept: %+v", m)
	}
	// A copy of the old URL in the store is no copy of the new one.
	if err := f.st.PutSSOMetadata(f.ctx, &store.SSOMetadata{SSOStrategyID: p.ID, Raw: good, FetchedAt: f.clock.Now(),
		SourceURL: old.SAMLProviderMetadataURL}); err != nil {
		t.Fatal(err)
	}
	before := f.server.count()
	if _, err := f.svc.Begin(f.ctx, f.site, p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if f.server.count() != before+1 || f.cached().SourceURL != newURL {
		t.Fatalf("sign-in used the old URL's copy: %d fetches, cached %+v", f.server.count()-before, f.cached())
	}
}

// TestMissingMetadataBacksOff: a provider without a copy of its metadata
// whose URL fails is fetched once, not by every sign-in; the next fetch
// waits a minute, then two, and a URL that recovers is used as soon as the
// wait is over. Sign-ins refused without a fetch leave no event.
func TestMissingMetadataBacksOff(t *testing.T) {
	good := idpMetadata(t, "https://idp.test/entra", time.Now().AddDate(1, 0, 0))
	f := newMetadataFixture(t, good)
	f.server.set(http.StatusServiceUnavailable, "down")
	events := func() int {
		evs, err := f.id.ListSSOEvents(f.ctx, f.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	for i := 0; i < 5; i++ {
		if _, err := f.svc.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err == nil {
			t.Fatal("a sign-in started without metadata")
		}
	}
	if f.server.count() != 1 || events() != 2 {
		t.Fatalf("5 sign-ins: %d fetches, %d events; want 1 fetch, 2 events (refresh and refusal)", f.server.count(), events())
	}
	f.clock.Advance(time.Minute)
	if _, err := f.svc.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err == nil || f.server.count() != 2 {
		t.Fatalf("a minute later: %v, %d fetches", err, f.server.count())
	}
	if m := f.cached(); m.Failures != 2 {
		t.Fatalf("failures %d, want 2", m.Failures)
	}
	f.server.set(http.StatusOK, good)
	f.clock.Advance(time.Minute)
	if _, err := f.svc.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err == nil || f.server.count() != 2 {
		t.Fatalf("within two minutes of the second failure: %v, %d fetches", err, f.server.count())
	}
	f.clock.Advance(time.Minute)
	if _, err := f.svc.Begin(f.ctx, f.site, f.p.ID, signin.NewBrowserNonce(), "192.0.2.1"); err != nil || f.server.count() != 3 {
		t.Fatalf("after the wait, with the URL back: %v, %d fetches", err, f.server.count())
	}
	if m := f.cached(); m.Failures != 0 || m.Raw != good {
		t.Fatalf("after recovery: %+v", m)
	}
}
