package signin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// world is the sign-in core over the shared identity test world
// (identitytest: a real store, SQLite or, when the run asks, PostgreSQL)
// and a provisioning engine. The protocols' own tests (packages samllogin
// and oidclogin, and the front end's in package web) drive it with real
// identity providers; these check what the core promises every protocol.
type world struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	id    *identity.Service
	core  *Service
	site  store.Site
	clock *testclock.Clock
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	iw := identitytest.Open(t, identity.Options{Clock: clock.Now, Logger: logger})
	w := &world{t: t, ctx: context.Background(), st: iw.Store, id: iw.Identity, site: iw.Site, clock: clock}
	var err error
	w.core, err = New(Options{Identity: w.id, Provision: provision.New(w.st, provision.Options{Clock: w.clock.Now, Logger: logger}),
		Store: w.st, BaseURL: "https://files.example.test", SiteDomain: "example.test", Logger: logger, Clock: w.clock.Now,
		Refusals: events.NewRefusalLimiter(w.st, events.RefusalLimits{Clock: w.clock.Now, Logger: logger})})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// provider makes an enabled SAML provider; jit turns provisioning on.
func (w *world) provider(jit bool) store.SSOStrategy {
	w.t.Helper()
	proto, label, yes := identity.ProtocolSAML, "Entra", true
	fp, issuer, sso := strings.Repeat("ab", 32), "https://idp.example.test", "https://idp.example.test/sso"
	p, err := w.id.CreateSSOStrategy(w.ctx, identity.SystemActor, w.site.ID, identity.SSOStrategyChange{Protocol: &proto,
		Label: &label, Enabled: &yes, ProvisionUsers: &jit, SAMLProviderCertFingerprint: &fp, SAMLProviderIssuerURL: &issuer,
		SAMLProviderSSOTargetURL: &sso})
	if err != nil {
		w.t.Fatalf("create provider: %v", err)
	}
	return p
}

func (w *world) lastEvent() store.SSOEvent {
	w.t.Helper()
	evs, err := w.st.ListSSOEvents(w.ctx, w.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil || len(evs) == 0 {
		w.t.Fatalf("no SSO event: %v", err)
	}
	return evs[len(evs)-1]
}

// TestAdmitDecidesProvisionsAndRecords: an identity nobody provisioned is
// refused with an event naming it; with just-in-time provisioning the same
// identity gets its account, and the success event says it was created.
func TestAdmitDecidesProvisionsAndRecords(t *testing.T) {
	w := newWorld(t)
	x := provision.ExternalIdentity{ExternalID: "oid-1", Username: "dana@example.com", Active: true}
	arrival := Arrival{Site: w.site, Provider: w.provider(false), Identity: x, EventType: EventSAMLLogin, IP: "192.0.2.7"}
	_, _, err := w.core.Admit(w.ctx, arrival)
	var le *LoginError
	if !errors.As(err, &le) || le.Check != CheckNotProvisioned {
		t.Fatalf("Admit of an unknown person: %v, want a %s refusal", err, CheckNotProvisioned)
	}
	if ev := w.lastEvent(); ev.Status != store.EventFailure || ev.EventType != EventSAMLLogin || ev.Username != x.Username ||
		ev.IdPUID != x.ExternalID || ev.IP != "192.0.2.7" || ev.SSOStrategyID != arrival.Provider.ID || ev.EventErrors[0] != CheckNotProvisioned {
		t.Fatalf("refusal event %+v", ev)
	}

	arrival.Provider = w.provider(true)
	u, created, err := w.core.Admit(w.ctx, arrival)
	if err != nil || !created || u.Username != x.Username {
		t.Fatalf("Admit with provisioning: %+v created=%v, %v", u, created, err)
	}
	in := w.core.Admitted(w.ctx, arrival, u, created, " (a note)")
	if in.User.ID != u.ID || in.Provider.ID != arrival.Provider.ID || !in.Created {
		t.Fatalf("sign-in %+v", in)
	}
	if ev := w.lastEvent(); ev.Status != store.EventSuccess || ev.UserID != u.ID ||
		ev.Body != "signed in; the account was created at this first sign-in (a note)" {
		t.Fatalf("success event %+v", ev)
	}
}

// linker records the sessions it was told of.
type linker struct{ linked []int64 }

func (l *linker) LinkSession(_ context.Context, _ SignIn, sess store.Session) {
	l.linked = append(l.linked, sess.ID)
}

// TestHandoffOnceInTheBrowserThatStarted: a handoff is taken once, by the
// browser that started the sign-in; another browser is refused (and
// spends it); the session a taken handoff starts is linked by its
// protocol's adapter only.
func TestHandoffOnceInTheBrowserThatStarted(t *testing.T) {
	w := newWorld(t)
	p := w.provider(true)
	arrival := Arrival{Site: w.site, Provider: p, EventType: EventSAMLLogin, IP: "192.0.2.7",
		Identity: provision.ExternalIdentity{ExternalID: "oid-2", Username: "erin@example.com", Active: true}}
	u, created, err := w.core.Admit(w.ctx, arrival)
	if err != nil {
		t.Fatal(err)
	}
	nonce := NewBrowserNonce()
	if !WellFormedBrowserNonce(nonce) || WellFormedBrowserNonce(nonce+"x") || BrowserMatches("", BrowserHash(nonce)) {
		t.Fatal("binding nonce shapes")
	}
	in := w.core.Admitted(w.ctx, arrival, u, created, "")
	in.Browser, in.NameID = BrowserHash(nonce), "erin@example.com"
	token := func() string {
		link, err := w.core.Handoff(w.ctx, in)
		if err != nil || !strings.HasPrefix(link, "https://files.example.test"+HandoffPath+"?token=") {
			t.Fatalf("Handoff: %q, %v", link, err)
		}
		return link[strings.Index(link, "token=")+len("token="):]
	}

	other := token()
	if _, err := w.core.TakeHandoff(w.ctx, w.site, other, NewBrowserNonce(), "198.51.100.1"); !errors.As(err, new(*LoginError)) ||
		err.(*LoginError).Check != CheckBrowser {
		t.Fatalf("handoff taken in another browser: %v", err)
	}
	if ev := w.lastEvent(); ev.Status != store.EventFailure || ev.Username != u.Username || ev.EventErrors[0] != CheckBrowser {
		t.Fatalf("refusal event %+v", ev)
	}
	if _, err := w.core.TakeHandoff(w.ctx, w.site, other, nonce, "192.0.2.7"); err == nil {
		t.Fatal("a handoff refused in another browser was taken afterwards")
	}

	mine := token()
	got, err := w.core.TakeHandoff(w.ctx, w.site, mine, nonce, "192.0.2.7")
	if err != nil || got.User.ID != u.ID || !got.BrowserChecked || got.NameID != in.NameID {
		t.Fatalf("TakeHandoff: %+v, %v", got, err)
	}
	if _, err := w.core.TakeHandoff(w.ctx, w.site, mine, nonce, "192.0.2.7"); err == nil {
		t.Fatal("a handoff was taken twice")
	}

	saml, oidc := &linker{}, &linker{}
	w.core.LinkSessionsOf(identity.ProtocolSAML, saml)
	w.core.LinkSessionsOf(identity.ProtocolOAuth2, oidc)
	_, sess, err := w.core.StartSession(w.ctx, got, "192.0.2.7", "test")
	if err != nil || len(saml.linked) != 1 || saml.linked[0] != sess.ID || len(oidc.linked) != 0 {
		t.Fatalf("session %d linked by SAML %v and OpenID Connect %v (%v)", sess.ID, saml.linked, oidc.linked, err)
	}
}
