package oidclogin

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// env is the sign-in service over a real SQLite store, identity core and
// provisioning engine.
type env struct {
	t     testing.TB
	ctx   context.Context
	st    store.Store
	id    *identity.Service
	svc   *Service
	site  store.Site
	clock *testclock.Clock
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st := teststore.Open(t)
	sealer := identitytest.Sealer(t)
	var err error
	e := &env{t: t, ctx: context.Background(), st: st, clock: testclock.New(time.Now().UTC().Truncate(time.Second))}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.id = identity.New(st, identity.Options{Clock: e.clock.Now, Logger: logger, Sealer: sealer,
		PasswordHashing: identitytest.CheapHashing()})
	if e.site, err = e.id.EnsureDefaultSite(e.ctx); err != nil {
		t.Fatal(err)
	}
	prov := provision.New(st, provision.Options{Clock: e.clock.Now, Logger: logger})
	// Tests and benchmarks here start many sign-ins from one address; the
	// limit per address is tested through the front end
	// (web.TestSignInStartsPerAddress).
	starts := sourcelimit.New(sourcelimit.Options{Rate: 1 << 20, Per: time.Second, Clock: e.clock.Now})
	core, err := signin.New(signin.Options{Identity: e.id, Provision: prov, Store: st, BaseURL: "https://files.example.test", Logger: logger,
		Clock: e.clock.Now, Outbound: outbound.AllowPrivate(), Starts: starts,
		Refusals: events.NewRefusalLimiter(st, events.RefusalLimits{Clock: e.clock.Now, Logger: logger})})
	if err != nil {
		t.Fatal(err)
	}
	if e.svc, err = New(core, Options{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// entraProvider makes an enabled Entra provider trusting tp.
func (e *env) entraProvider(tp *oidctest.TokenEndpoint, label string, jit bool) store.SSOStrategy {
	e.t.Helper()
	opts, _ := json.Marshal(map[string]string{identity.OptionOIDCTenantID: tp.Tenant, identity.OptionOIDCAuthority: tp.Authority()})
	raw := json.RawMessage(opts)
	proto, kind, clientID, clientSecret, yes := identity.ProtocolOAuth2, "azure", "client-"+label, "secret-"+label, true
	p, err := e.id.CreateSSOStrategy(e.ctx, identity.SystemActor, e.site.ID, identity.SSOStrategyChange{
		Protocol: &proto, Provider: &kind, Label: &label, ClientID: &clientID, ClientSecret: &clientSecret,
		Options: &raw, Enabled: &yes, ProvisionUsers: &jit})
	if err != nil {
		e.t.Fatalf("create provider: %v", err)
	}
	return p
}

// ssoUser pre-creates an account assigned to provider p.
func (e *env) ssoUser(username string, p store.SSOStrategy) store.User {
	e.t.Helper()
	method := store.AuthSSO
	u, err := e.id.CreateUser(e.ctx, identity.SystemActor, e.site.ID, identity.UserChange{
		Username: &username, AuthenticationMethod: &method, SSOStrategyID: &p.ID})
	if err != nil {
		e.t.Fatalf("create user: %v", err)
	}
	return u
}

// begun is a started sign-in as the browser sees it.
type begun struct {
	state, nonce, browser string
	query                 url.Values
}

func (e *env) begin(p store.SSOStrategy) begun {
	e.t.Helper()
	browser := signin.NewBrowserNonce()
	redirect, err := e.svc.Begin(e.ctx, e.site, p.ID, browser, "192.0.2.1")
	if err != nil {
		e.t.Fatalf("Begin: %v", err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		e.t.Fatal(err)
	}
	q := u.Query()
	return begun{state: q.Get("state"), nonce: q.Get("nonce"), browser: browser, query: q}
}

// newestEvent is the site's latest SSO event.
func (e *env) newestEvent() store.SSOEvent {
	e.t.Helper()
	evs := e.events()
	if len(evs) == 0 {
		e.t.Fatal("no SSO events")
	}
	return evs[len(evs)-1]
}

// events returns the site's SSO events, oldest first.
func (e *env) events() []store.SSOEvent {
	e.t.Helper()
	evs, err := e.st.ListSSOEvents(e.ctx, e.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 100}})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}
