package oidclogin

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

const tenantA = "11111111-2222-3333-4444-555555555555"

// finish answers a begun sign-in with a token for who, as the provider
// would, and runs the callback.
func (e *env) finish(tp *oidctest.TokenEndpoint, p store.SSOStrategy, b begun, who oidctest.Person) (signin.SignIn, error) {
	code := "code-" + b.state
	tp.Expect(code, tp.Sign(e.t, p.ClientID, b.nonce, e.clock.Now(), who))
	return e.svc.Finish(e.ctx, Callback{HostSite: e.site, Provider: p.Provider, State: b.state, Code: code, Browser: b.browser, IP: "192.0.2.1"})
}

// refusedWith asserts err is a refusal naming check, and that the newest
// SSO event records it.
func (e *env) refusedWith(t *testing.T, err error, check string) {
	t.Helper()
	var le *signin.LoginError
	if !errors.As(err, &le) || le.Check != check {
		t.Fatalf("got %v, want a refusal by check %q", err, check)
	}
	ev := e.newestEvent()
	if ev.Status != store.EventFailure || ev.EventType != signin.EventOIDCLogin || len(ev.EventErrors) != 1 || ev.EventErrors[0] != check {
		t.Fatalf("newest event %+v does not record the refusal by %q", ev, check)
	}
}

func TestBeginSendsPKCEStateAndNonce(t *testing.T) {
	e := newEnv(t)
	tp := oidctest.NewTokenEndpoint(t, tenantA)
	p := e.entraProvider(tp, "Entra", false)
	b := e.begin(p)
	if b.state == "" || b.nonce == "" || b.browser == "" || b.query.Get("code_challenge_method") != "S256" || b.query.Get("code_challenge") == "" {
		t.Fatalf("authorization request lacks state, nonce or PKCE: %v", b.query)
	}
	if got, want := b.query.Get("redirect_uri"), "https://files.example.test/login_from_oauth?provider=azure"; got != want {
		t.Fatalf("redirect_uri %q, want %q", got, want)
	}
}

func TestFinishSignsInPreCreatedUser(t *testing.T) {
	e := newEnv(t)
	tp := oidctest.NewTokenEndpoint(t, tenantA)
	p := e.entraProvider(tp, "Entra", false)
	u := e.ssoUser("ada@contoso.example", p)
	in, err := e.finish(tp, p, e.begin(p), oidctest.Person{OID: "oid-ada", Username: "ada@contoso.example"})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if in.User.ID != u.ID || in.Created {
		t.Fatalf("signed in %+v, want the pre-created user %d", in.User, u.ID)
	}
	if ev := e.newestEvent(); ev.Status != store.EventSuccess || ev.IdPUID != "oid-ada" {
		t.Fatalf("no success event: %+v", ev)
	}
}

func TestFinishProvisionsJustInTime(t *testing.T) {
	e := newEnv(t)
	tp := oidctest.NewTokenEndpoint(t, tenantA)
	p := e.entraProvider(tp, "Entra", true)
	in, err := e.finish(tp, p, e.begin(p), oidctest.Person{OID: "oid-grace", Username: "grace@contoso.example", Given: "Grace", Family: "Hopper"})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if !in.Created || in.User.Username != "grace@contoso.example" || in.User.Email != "grace@contoso.example" || in.User.SSOStrategyID != p.ID {
		t.Fatalf("JIT account %+v", in.User)
	}
	again, err := e.finish(tp, p, e.begin(p), oidctest.Person{OID: "oid-grace", Username: "grace.renamed@contoso.example"})
	if err != nil || again.User.ID != in.User.ID || again.Created {
		t.Fatalf("second sign-in (renamed) %+v %v: the oid must find the same account", again.User, err)
	}
}

func TestFinishGroupsOverageKeepsMembershipsAndRecordsEvent(t *testing.T) {
	e := newEnv(t)
	tp := oidctest.NewTokenEndpoint(t, tenantA)
	p := e.entraProvider(tp, "Entra", true)
	if _, err := e.finish(tp, p, e.begin(p), oidctest.Person{OID: "oid-linus", Username: "linus@contoso.example", Overage: true}); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	found := false
	for _, ev := range e.events() {
		found = found || ev.EventType == EventOIDCGroupsOverage
	}
	if !found {
		t.Fatal("no groups overage event")
	}
}

func TestFinishRefusals(t *testing.T) {
	e := newEnv(t)
	tp := oidctest.NewTokenEndpoint(t, tenantA)
	p := e.entraProvider(tp, "Entra", false)
	e.ssoUser("ada@contoso.example", p)
	ada := oidctest.Person{OID: "oid-ada", Username: "ada@contoso.example"}

	t.Run("replayed state", func(t *testing.T) {
		b := e.begin(p)
		if _, err := e.finish(tp, p, b, ada); err != nil {
			t.Fatal(err)
		}
		_, err := e.finish(tp, p, b, ada)
		e.refusedWith(t, err, CheckState)
	})
	t.Run("forged state", func(t *testing.T) {
		b := e.begin(p)
		b.state = "forged-" + b.state
		_, err := e.finish(tp, p, b, ada)
		e.refusedWith(t, err, CheckState)
	})
	t.Run("oversized state", func(t *testing.T) {
		b := e.begin(p)
		b.state = strings.Repeat("s", 10000)
		_, err := e.finish(tp, p, b, ada)
		e.refusedWith(t, err, CheckState)
	})
	t.Run("another browser", func(t *testing.T) {
		b := e.begin(p)
		b.browser = "other-browser"
		_, err := e.finish(tp, p, b, ada)
		e.refusedWith(t, err, signin.CheckBrowser)
	})
	t.Run("callback of another provider kind", func(t *testing.T) {
		b := e.begin(p)
		p2 := p
		p2.Provider = "okta"
		_, err := e.finish(tp, p2, b, ada)
		e.refusedWith(t, err, CheckState)
	})
	t.Run("provider error", func(t *testing.T) {
		b := e.begin(p)
		_, err := e.svc.Finish(e.ctx, Callback{HostSite: e.site, Provider: "azure", State: b.state, Browser: b.browser,
			Error: "access_denied", ErrorDesc: "AADSTS50105: the user is not assigned to a role for the application\x00"})
		e.refusedWith(t, err, CheckProviderError)
		if ev := e.newestEvent(); !strings.Contains(ev.Body, "AADSTS50105") || strings.ContainsRune(ev.Body, 0) {
			t.Fatalf("event body %q", ev.Body)
		}
	})
	t.Run("provider error without state", func(t *testing.T) {
		_, err := e.svc.Finish(e.ctx, Callback{HostSite: e.site, Provider: "azure", Error: "invalid_request", ErrorDesc: strings.Repeat("x", 5000)})
		e.refusedWith(t, err, CheckProviderError)
		if ev := e.newestEvent(); len(ev.Body) > 1200 {
			t.Fatalf("event body of %d bytes: hostile text must be clipped", len(ev.Body))
		}
	})
	t.Run("nonce of another sign-in", func(t *testing.T) {
		b, other := e.begin(p), e.begin(p)
		b.nonce = other.nonce
		_, err := e.finish(tp, p, b, ada)
		e.refusedWith(t, err, "nonce")
	})
	t.Run("unknown user without provisioning", func(t *testing.T) {
		_, err := e.finish(tp, p, e.begin(p), oidctest.Person{OID: "oid-eve", Username: "eve@contoso.example"})
		e.refusedWith(t, err, signin.CheckNotProvisioned)
	})
}

func TestTwoTenantsSideBySide(t *testing.T) {
	e := newEnv(t)
	tpA, tpB := oidctest.NewTokenEndpoint(t, tenantA), oidctest.NewTokenEndpoint(t, "99999999-8888-7777-6666-555555555555")
	pA, pB := e.entraProvider(tpA, "Contoso", true), e.entraProvider(tpB, "Fabrikam", true)
	a, err := e.finish(tpA, pA, e.begin(pA), oidctest.Person{OID: "oid-1", Username: "one@contoso.example"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.finish(tpB, pB, e.begin(pB), oidctest.Person{OID: "oid-2", Username: "two@fabrikam.example"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Provider.ID != pA.ID || b.Provider.ID != pB.ID || a.User.SSOStrategyID != pA.ID || b.User.SSOStrategyID != pB.ID {
		t.Fatalf("sign-ins landed on the wrong providers: %+v %+v", a.Provider, b.Provider)
	}
	// A token of tenant B answering a sign-in started at provider A.
	bA := e.begin(pA)
	code := "cross-" + bA.state
	tpA.Expect(code, tpB.Sign(t, pA.ClientID, bA.nonce, e.clock.Now(), oidctest.Person{OID: "oid-2", Username: "two@fabrikam.example"}))
	_, err = e.svc.Finish(e.ctx, Callback{HostSite: e.site, Provider: "azure", State: bA.state, Code: code, Browser: bA.browser})
	var le *signin.LoginError
	if !errors.As(err, &le) || (le.Check != "issuer" && le.Check != "signature" && le.Check != "unknown-key" && le.Check != "tenant") {
		t.Fatalf("cross-tenant token: %v", err)
	}
}

func TestConnectorRebuiltWhenSettingsChange(t *testing.T) {
	e := newEnv(t)
	tp := oidctest.NewTokenEndpoint(t, tenantA)
	p := e.entraProvider(tp, "Entra", false)
	first, err := e.svc.connector(e.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := e.svc.connector(e.ctx, p); again != first {
		t.Fatal("an unchanged provider built a new connector")
	}
	secretValue := "rotated-secret"
	p, err = e.id.UpdateSSOStrategy(e.ctx, identity.SystemActor, e.site.ID, p.ID, identity.SSOStrategyChange{ClientSecret: &secretValue})
	if err != nil {
		t.Fatal(err)
	}
	if rotated, err := e.svc.connector(e.ctx, p); err != nil || rotated == first {
		t.Fatalf("a rotated client secret kept the old connector (%v)", err)
	}
}

// TestFinishChecksBrowserWhereItStarted: the binding cookie is checked at
// the callback when the sign-in started on the callback's host; a sign-in
// of a site on its own host comes back unchecked, carrying its binding for
// the handoff there, and no cookie of the callback's host can stand in.
func TestFinishChecksBrowserWhereItStarted(t *testing.T) {
	e := newEnv(t)
	tp := oidctest.NewTokenEndpoint(t, tenantA)
	p := e.entraProvider(tp, "Entra", false)
	e.ssoUser("ada@contoso.example", p)
	ada := oidctest.Person{OID: "oid-ada", Username: "ada@contoso.example"}

	here, err := e.finish(tp, p, e.begin(p), ada)
	if err != nil || !here.BrowserChecked || len(here.Browser) == 0 {
		t.Fatalf("sign-in started on the callback's host: checked %v, binding %x, %v", here.BrowserChecked, here.Browser, err)
	}

	b := e.begin(p)
	code := "code-" + b.state
	tp.Expect(code, tp.Sign(t, p.ClientID, b.nonce, e.clock.Now(), ada))
	elsewhere := store.Site{ID: e.site.ID + 1000} // the callback's host serves another site
	in, err := e.svc.Finish(e.ctx, Callback{HostSite: elsewhere, Provider: p.Provider, State: b.state, Code: code,
		Browser: signin.NewBrowserNonce(), IP: "192.0.2.1"})
	if err != nil || in.BrowserChecked || !signin.BrowserMatches(b.browser, in.Browser) {
		t.Fatalf("sign-in of a site on another host: checked %v, binding matches %v, %v; want it unchecked, carrying the starting browser's binding",
			in.BrowserChecked, signin.BrowserMatches(b.browser, in.Browser), err)
	}
}
