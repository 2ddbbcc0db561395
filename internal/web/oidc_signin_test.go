package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// oidcSetup is the front end and a real OpenID provider (npm
// oidc-provider) with an Entra-shaped issuer, trusted by an azure provider.
type oidcSetup struct {
	*harness
	idp      *oidctest.Server
	provider store.SSOStrategy
}

const oidcTestSecret = "client-secret-for-tests"

func oidcAccounts() map[string]oidctest.Account {
	return map[string]oidctest.Account{
		"alice": {OID: "690222be-ff1a-4d56-abd1-7e4f7d38e474", PreferredUsername: "alice@contoso.example",
			Email: "alice.smith@contoso.example", GivenName: "Alice", FamilyName: "Smith", Groups: []string{"g-sales"}},
		"bob": {OID: "0b0b0b0b-0000-4000-8000-000000000b0b", PreferredUsername: "bob@contoso.example", Overage: true},
	}
}

func newOIDCSetup(t *testing.T, jit bool) *oidcSetup {
	t.Helper()
	oidctest.RequirePeer(t)
	h := newHarness(t)
	s := &oidcSetup{harness: h}
	s.idp, s.provider = s.addEntra("Entra", jit)
	return s
}

// addEntra starts another provider (its own tenant) and an azure provider
// of the site trusting it.
func (s *oidcSetup) addEntra(label string, jit bool) (*oidctest.Server, store.SSOStrategy) {
	s.t.Helper()
	return s.addEntraOn(s.site, label, jit)
}

// addEntraOn is addEntra on another site.
func (s *oidcSetup) addEntraOn(site store.Site, label string, jit bool) (*oidctest.Server, store.SSOStrategy) {
	s.t.Helper()
	clientID := oidctest.NewGUID()
	idp := oidctest.Start(s.t, oidctest.Options{
		Clients:  []oidctest.Client{{ID: clientID, Secret: oidcTestSecret, RedirectURIs: []string{s.srv.URL + "/login_from_oauth?provider=azure"}}},
		Accounts: oidcAccounts(),
	})
	opts, _ := json.Marshal(map[string]string{identity.OptionOIDCTenantID: idp.TenantID, identity.OptionOIDCAuthority: idp.BaseURL})
	raw := json.RawMessage(opts)
	proto, kind, secretValue, yes := identity.ProtocolOAuth2, "azure", oidcTestSecret, true
	p, err := s.svc.CreateSSOStrategy(s.ctx, identity.SystemActor, site.ID, identity.SSOStrategyChange{
		Protocol: &proto, Provider: &kind, Label: &label, ClientID: &clientID, ClientSecret: &secretValue,
		Options: &raw, Enabled: &yes, DisplayOnLoginPage: &yes, ProvisionUsers: &jit})
	if err != nil {
		s.t.Fatalf("create provider: %v", err)
	}
	return idp, p
}

// ssoUser pre-creates an account assigned to provider p.
func (s *oidcSetup) ssoUser(username string, p store.SSOStrategy) store.User {
	s.t.Helper()
	method := store.AuthSSO
	u, err := s.svc.CreateUser(s.ctx, identity.SystemActor, s.site.ID, identity.UserChange{
		Username: &username, AuthenticationMethod: &method, SSOStrategyID: &p.ID})
	if err != nil {
		s.t.Fatalf("create user: %v", err)
	}
	return u
}

// started is a sign-in begun at /oauth/login: the provider's URL and the
// browser binding cookie.
type started struct {
	authURL string
	browser *http.Cookie
}

func (s *oidcSetup) begin(p store.SSOStrategy, headers ...string) started {
	s.t.Helper()
	res := s.get("/oauth/login?sso_strategy_id="+itoa(p.ID), nil, headers...)
	if res.status != http.StatusFound {
		s.t.Fatalf("GET /oauth/login: %d %s", res.status, res.body)
	}
	return started{authURL: res.header.Get("Location"), browser: bindingCookieOf(s.t, res)}
}

// login signs account in at idp and returns our callback's path and query.
func (s *oidcSetup) login(idp *oidctest.Server, st started, account string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	cb, err := idp.Login(ctx, st.authURL, account)
	if err != nil {
		s.t.Fatalf("sign in at the provider: %v", err)
	}
	return cb.RequestURI()
}

// wantSignedIn checks a 303 to / with a session that opens the home page
// as username.
func (s *oidcSetup) wantSignedIn(res rawResponse, username string) {
	s.t.Helper()
	c := sessionCookieOf(res)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" || c == nil {
		s.t.Fatalf("callback answered %d %q, cookie %v; want 303 to / with a session\n%s", res.status, res.header.Get("Location"), c, res.body)
	}
	home := s.get("/", c)
	if home.status != http.StatusOK || !strings.Contains(string(home.body), username) {
		s.t.Fatalf("GET / with the new session: %d, body lacks %q", home.status, username)
	}
}

// wantRefused checks a refusal page naming check, no session, and the
// event.
func (s *oidcSetup) wantRefused(res rawResponse, check string) {
	s.t.Helper()
	if res.status < 400 || sessionCookieOf(res) != nil {
		s.t.Fatalf("callback answered %d (session %v), want a refusal\n%s", res.status, sessionCookieOf(res), res.body)
	}
	if !strings.Contains(string(res.body), "("+check+")") {
		s.t.Errorf("refusal page does not name the check %q:\n%s", check, res.body)
	}
	evs, err := s.st.ListSSOEvents(s.ctx, s.site.ID, store.EventQuery{EventType: signin.EventOIDCLogin, ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil || len(evs) == 0 {
		s.t.Fatalf("no events: %v", err)
	}
	if ev := evs[len(evs)-1]; ev.Status != store.EventFailure || !slices.Contains(ev.EventErrors, check) {
		s.t.Fatalf("last event %+v: want a failure naming %q", ev, check)
	}
}

func TestOIDCSignInPreCreatedUser(t *testing.T) {
	s := newOIDCSetup(t, false)
	s.ssoUser("alice@contoso.example", s.provider)
	st := s.begin(s.provider)
	s.wantSignedIn(s.get(s.login(s.idp, st, "alice"), st.browser), "alice@contoso.example")
}

func TestOIDCSignInJustInTime(t *testing.T) {
	s := newOIDCSetup(t, true)
	st := s.begin(s.provider)
	s.wantSignedIn(s.get(s.login(s.idp, st, "alice"), st.browser), "alice@contoso.example")
	u, err := s.st.GetUserByUsername(s.ctx, s.site.ID, "alice@contoso.example")
	if err != nil || u.SSOStrategyID != s.provider.ID || u.ExternalID != "690222be-ff1a-4d56-abd1-7e4f7d38e474" || u.Email != "alice.smith@contoso.example" {
		t.Fatalf("JIT account %+v %v", u, err)
	}
}

func TestOIDCTwoEntraTenantsSideBySide(t *testing.T) {
	s := newOIDCSetup(t, true)
	idpB, pB := s.addEntra("Fabrikam", true)
	stA := s.begin(s.provider)
	s.wantSignedIn(s.get(s.login(s.idp, stA, "alice"), stA.browser), "alice@contoso.example")
	stB := s.begin(pB)
	cbB := s.login(idpB, stB, "bob")
	s.wantSignedIn(s.get(cbB, stB.browser), "bob@contoso.example")

	// A token of tenant B redeemed at provider A is refused by A.
	stA2 := s.begin(s.provider)
	forged := oidctest.Sign(t, idpB.SigningKey(), idpB.Claims(s.provider.ClientID, "alice", nonceOf(t, stA2.authURL), time.Now()))
	s.idp.NextIDToken(forged)
	s.wantRefused(s.get(s.login(s.idp, stA2, "alice"), stA2.browser), "unknown-key")
}

func nonceOf(t *testing.T, authURL string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("nonce")
}

func TestOIDCRefusalsThroughHTTP(t *testing.T) {
	s := newOIDCSetup(t, false)
	s.ssoUser("alice@contoso.example", s.provider)

	t.Run("replayed state", func(t *testing.T) {
		st := s.begin(s.provider)
		cb := s.login(s.idp, st, "alice")
		s.wantSignedIn(s.get(cb, st.browser), "alice@contoso.example")
		s.wantRefused(s.get(cb, st.browser), "state")
	})
	t.Run("forged state", func(t *testing.T) {
		st := s.begin(s.provider)
		cb := s.login(s.idp, st, "alice")
		s.wantRefused(s.get(strings.Replace(cb, "state=", "state=x", 1), st.browser), "state")
	})
	t.Run("state of another provider kind", func(t *testing.T) {
		st := s.begin(s.provider)
		cb := s.login(s.idp, st, "alice")
		s.wantRefused(s.get(strings.Replace(cb, "provider=azure", "provider=okta", 1), st.browser), "state")
	})
	t.Run("another browser", func(t *testing.T) {
		st := s.begin(s.provider)
		cb := s.login(s.idp, st, "alice")
		s.wantRefused(s.get(cb, nil), "browser")
	})
	t.Run("provider error", func(t *testing.T) {
		st := s.begin(s.provider)
		cb, err := s.idp.Abort(s.ctx, st.authURL)
		if err != nil {
			t.Fatal(err)
		}
		s.wantRefused(s.get(cb.RequestURI(), st.browser), "provider-error")
	})
	t.Run("replayed code", func(t *testing.T) {
		first := s.begin(s.provider)
		used := s.login(s.idp, first, "alice")
		s.wantSignedIn(s.get(used, first.browser), "alice@contoso.example")
		second := s.begin(s.provider)
		fresh, _ := url.Parse(s.login(s.idp, second, "alice"))
		old, _ := url.Parse(used)
		q := fresh.Query()
		q.Set("code", old.Query().Get("code"))
		s.wantRefused(s.get(fresh.Path+"?"+q.Encode(), second.browser), "code")
	})
	// Tokens the provider's token endpoint answers with, forged: each
	// connector check surfaces as the event's check.
	forgeries := []struct {
		check string
		forge func(claims map[string]any) string
	}{
		{"expired", func(c map[string]any) string {
			c["exp"], c["iat"], c["nbf"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-3*time.Hour).Unix(), time.Now().Add(-3*time.Hour).Unix()
			return oidctest.Sign(t, s.idp.SigningKey(), c)
		}},
		{"audience", func(c map[string]any) string {
			c["aud"] = "another-application"
			return oidctest.Sign(t, s.idp.SigningKey(), c)
		}},
		{"tenant", func(c map[string]any) string {
			c["tid"] = oidctest.NewGUID()
			return oidctest.Sign(t, s.idp.SigningKey(), c)
		}},
		{"issuer", func(c map[string]any) string {
			c["iss"] = "https://login.microsoftonline.com/" + oidctest.NewGUID() + "/v2.0"
			return oidctest.Sign(t, s.idp.SigningKey(), c)
		}},
		{"nonce", func(c map[string]any) string {
			c["nonce"] = "another-sign-in"
			return oidctest.Sign(t, s.idp.SigningKey(), c)
		}},
		{"algorithm", func(c map[string]any) string { return oidctest.Unsigned(t, s.idp.SigningKey().ID, c) }},
		{"algorithm", func(c map[string]any) string {
			pemKeyed, _ := oidctest.HS256WithPublicKey(t, s.idp.SigningKey(), c)
			return pemKeyed
		}},
		{"signature", func(c map[string]any) string {
			signed := oidctest.Sign(t, s.idp.SigningKey(), c)
			c["preferred_username"] = "admin@contoso.example"
			other := oidctest.Sign(t, s.idp.SigningKey(), c)
			// The payload of one token under the signature of another.
			parts, otherParts := strings.Split(signed, "."), strings.Split(other, ".")
			return parts[0] + "." + otherParts[1] + "." + parts[2]
		}},
		{"unknown-key", func(c map[string]any) string { return oidctest.Sign(t, oidctest.NewKey(t), c) }},
	}
	for _, f := range forgeries {
		t.Run("forged token "+f.check, func(t *testing.T) {
			st := s.begin(s.provider)
			s.idp.NextIDToken(f.forge(s.idp.Claims(s.provider.ClientID, "alice", nonceOf(t, st.authURL), time.Now())))
			s.wantRefused(s.get(s.login(s.idp, st, "alice"), st.browser), f.check)
		})
	}
}

func TestOIDCLoginPageButtonAndRedirectURI(t *testing.T) {
	s := newOIDCSetup(t, false)
	page := s.get("/login", nil)
	if !strings.Contains(string(page.body), "Sign in with Entra") || !strings.Contains(string(page.body), "/oauth/login?sso_strategy_id="+itoa(s.provider.ID)) {
		t.Fatalf("login page lacks the OpenID Connect button:\n%s", page.body)
	}
	v, err := s.svc.GetSSOStrategy(s.ctx, s.site.ID, s.provider.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := s.oidc.RPValuesFor(s.site, v)
	if got.RedirectURI != s.srv.URL+"/login_from_oauth?provider=azure" {
		t.Fatalf("redirect URI %q", got.RedirectURI)
	}
}

func TestOIDCSignInToSiteOnItsOwnHost(t *testing.T) {
	s := newOIDCSetup(t, false)
	acme, err := s.svc.CreateSite(s.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	idp, p := s.addEntraOn(acme, "Acme Entra", true)
	acmeHost := "acme.example.test:" + s.srv.URL[strings.LastIndex(s.srv.URL, ":")+1:]

	// Started on acme's host, finished at the shared redirect URI, handed
	// over to acme's host: the state, not the host, names the site. The
	// binding cookie stays on acme's host, so the callback on the base
	// host has none and the handoff checks it.
	st := s.begin(p, "Host", acmeHost)
	res := s.get(s.login(idp, st, "alice"), nil)
	loc, err := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || err != nil || loc.Host != acmeHost || loc.Path != "/saml/handoff" || sessionCookieOf(res) != nil {
		t.Fatalf("callback answered %d to %q; want 303 to %s/saml/handoff without a session here", res.status, loc, acmeHost)
	}
	done := s.get(loc.RequestURI(), st.browser, "Host", acmeHost)
	c := sessionCookieOf(done)
	if done.status != http.StatusSeeOther || c == nil {
		t.Fatalf("handoff answered %d", done.status)
	}
	if home := s.get("/", c, "Host", acmeHost); home.status != http.StatusOK || !strings.Contains(string(home.body), "alice@contoso.example") {
		t.Fatalf("acme's home page: %d", home.status)
	}
	if _, err := s.st.GetUserByUsername(s.ctx, s.site.ID, "alice@contoso.example"); err == nil {
		t.Fatal("acme's sign-in made an account on the default site")
	}
	// The default site's providers do not answer for acme's state.
	st = s.begin(p, "Host", acmeHost)
	cb := s.login(idp, st, "alice")
	forOther := s.get(strings.Replace(cb, "provider=azure", "provider=google", 1), st.browser)
	if forOther.status != http.StatusForbidden || !strings.Contains(string(forOther.body), "(state)") {
		t.Fatalf("state of acme's provider under another provider kind: %d", forOther.status)
	}
	evs, err := s.st.ListSSOEvents(s.ctx, acme.ID, store.EventQuery{EventType: signin.EventOIDCLogin, ListOptions: store.ListOptions{Limit: 100}})
	if err != nil || len(evs) == 0 || !slices.Contains(evs[len(evs)-1].EventErrors, "state") {
		t.Fatalf("acme's events lack the refusal: %+v %v", evs, err)
	}
}
