package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
)

const (
	testClientID     = "11112222-bbbb-3333-cccc-4444dddd5555"
	testClientSecret = "client-secret-for-tests"
	testRedirect     = "https://files.example.test/login_from_oauth?provider=azure"
)

// peer is one running provider and a connector configured for it.
type peer struct {
	srv   *oidctest.Server
	prov  *oidc.Provider
	cache *oidc.Cache
}

func testAccounts() map[string]oidctest.Account {
	return map[string]oidctest.Account{
		"alice": {
			OID: "690222be-ff1a-4d56-abd1-7e4f7d38e474", PreferredUsername: "alice@contoso.example",
			UPN: "alice@contoso.example", Email: "alice.smith@contoso.example", Name: "Alice Smith",
			GivenName: "Alice", FamilyName: "Smith", Groups: []string{"g-sales", "g-ftp"},
		},
		"bob": {OID: "0b0b0b0b-0000-4000-8000-000000000b0b", PreferredUsername: "bob@contoso.example", Overage: true},
	}
}

// startPeer runs a provider with an Entra-shaped issuer and builds an azure
// connector for it, pointed there by the authority setting.
func startPeer(t *testing.T) *peer {
	t.Helper()
	srv := oidctest.Start(t, oidctest.Options{
		Clients:  []oidctest.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{testRedirect}}},
		Accounts: testAccounts(),
	})
	p := &peer{srv: srv, cache: oidc.NewCache()}
	p.prov = p.connect(t, nil)
	return p
}

// connect builds a connector for the peer; edit may change the config.
func (p *peer) connect(t *testing.T, edit func(*oidc.Config)) *oidc.Provider {
	t.Helper()
	issuer, err := oidc.IssuerFor(oidc.KindAzure, p.srv.TenantID, "", p.srv.BaseURL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if issuer != p.srv.Issuer {
		t.Fatalf("IssuerFor = %q, provider's issuer %q", issuer, p.srv.Issuer)
	}
	cfg := oidc.Config{
		Kind: oidc.KindAzure, Issuer: issuer, TenantID: p.srv.TenantID,
		ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirect,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Cache: p.cache,
	}
	if edit != nil {
		edit(&cfg)
	}
	prov, err := oidc.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return prov
}

// signIn runs the authorization-code flow for account and returns the
// callback's code and the nonce and verifier it was started with.
func (p *peer) signIn(t *testing.T, account string) (code, verifier, nonce string) {
	t.Helper()
	state, nonce, verifier := oidc.NewState(), oidc.NewNonce(), oidc.NewVerifier()
	cb, err := p.srv.Login(context.Background(), p.prov.AuthCodeURL(state, nonce, verifier), account)
	if err != nil {
		t.Fatalf("login at the provider: %v", err)
	}
	q := cb.Query()
	if err := oidc.CallbackError(q); err != nil {
		t.Fatalf("callback: %v", err)
	}
	if q.Get("state") != state {
		t.Fatalf("callback state %q, sent %q", q.Get("state"), state)
	}
	if cb.String()[:len(testRedirect)] != testRedirect {
		t.Fatalf("callback went to %s", cb)
	}
	return q.Get("code"), verifier, nonce
}

func TestSignInWithRealProvider(t *testing.T) {
	p := startPeer(t)
	code, verifier, nonce := p.signIn(t, "alice")
	c, err := p.prov.Exchange(context.Background(), code, verifier, nonce)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	a := testAccounts()["alice"]
	if c.ObjectID != a.OID || c.ExternalID() != a.OID || c.Subject != "alice" || c.TenantID != p.srv.TenantID {
		t.Errorf("ids: oid %q sub %q tid %q", c.ObjectID, c.Subject, c.TenantID)
	}
	if c.PreferredUsername != a.PreferredUsername || c.UPN != a.UPN || c.Email != a.Email || c.Name != a.Name ||
		c.GivenName != a.GivenName || c.FamilyName != a.FamilyName {
		t.Errorf("names: %+v", c)
	}
	if !slices.Equal(c.Groups, a.Groups) || c.GroupsOverage {
		t.Errorf("groups %v overage %v", c.Groups, c.GroupsOverage)
	}
	if got := c.LoginName(oidc.DefaultLoginClaim(oidc.KindAzure)); got != a.PreferredUsername {
		t.Errorf("login name %q", got)
	}
}

func TestSignInGroupsOverage(t *testing.T) {
	p := startPeer(t)
	code, verifier, nonce := p.signIn(t, "bob")
	c, err := p.prov.Exchange(context.Background(), code, verifier, nonce)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if !c.GroupsOverage || c.Groups != nil {
		t.Errorf("overage %v groups %v; raw %v", c.GroupsOverage, c.Groups, c.Raw)
	}
}

func TestReplayedCodeIsRefusedByProvider(t *testing.T) {
	p := startPeer(t)
	code, verifier, nonce := p.signIn(t, "alice")
	if _, err := p.prov.Exchange(context.Background(), code, verifier, nonce); err != nil {
		t.Fatalf("first redemption: %v", err)
	}
	_, err := p.prov.Exchange(context.Background(), code, verifier, nonce)
	if !errors.Is(err, oidc.ErrCode) {
		t.Fatalf("second redemption: %v, want kind code", err)
	}
}

func TestTwoEntraTenantsSideBySide(t *testing.T) {
	// Two providers of the same kind with their own tenants, one cache: each
	// signs its own people in, and neither accepts the other's tokens.
	a, b := startPeer(t), startPeer(t)
	b.cache = a.cache
	b.prov = b.connect(t, nil)
	for _, p := range []*peer{a, b} {
		code, verifier, nonce := p.signIn(t, "alice")
		c, err := p.prov.Exchange(context.Background(), code, verifier, nonce)
		if err != nil || c.TenantID != p.srv.TenantID {
			t.Fatalf("tenant %s: %v %+v", p.srv.TenantID, err, c)
		}
	}
	// b's genuine token, redeemed at a's token endpoint in place of a's.
	_, _, nonceB := b.signIn(t, "alice")
	tokenB := oidctest.Sign(t, b.srv.SigningKey(), b.srv.Claims(testClientID, "alice", nonceB, time.Now()))
	if _, err := a.prov.VerifyIDToken(context.Background(), tokenB, nonceB); !errors.Is(err, oidc.ErrUnknownKey) {
		t.Fatalf("b's token at a: %v, want unknown-key", err)
	}
	// Even signed with a's key, b's tenant and issuer are refused.
	claims := b.srv.Claims(testClientID, "alice", nonceB, time.Now())
	if _, err := a.prov.VerifyIDToken(context.Background(), oidctest.Sign(t, a.srv.SigningKey(), claims), nonceB); !errors.Is(err, oidc.ErrTenant) {
		t.Fatalf("b's claims under a's key: %v, want tenant", err)
	}
}

func TestNewRefusesDiscoveryOfAnotherIssuer(t *testing.T) {
	p := startPeer(t)
	// The provider's discovery names its own issuer, not the one configured.
	_, err := oidc.New(context.Background(), oidc.Config{
		Kind: oidc.KindGeneric, Issuer: p.srv.BaseURL + "/" + p.srv.TenantID + "/v2.0/", ClientID: testClientID,
		RedirectURL: testRedirect, Cache: oidc.NewCache(),
	})
	if !errors.Is(err, oidc.ErrDiscovery) {
		t.Fatalf("New: %v, want discovery", err)
	}
	_, err = oidc.New(context.Background(), oidc.Config{
		Kind: oidc.KindGeneric, Issuer: p.srv.BaseURL + "/nobody/v2.0", ClientID: testClientID,
		RedirectURL: testRedirect, Cache: oidc.NewCache(),
	})
	if !errors.Is(err, oidc.ErrDiscovery) {
		t.Fatalf("New at a path without a provider: %v, want discovery", err)
	}
}
