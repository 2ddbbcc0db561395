package web

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// countingServer answers every request with 404 and counts them: a
// stand-in for a service on the server's own network that a sign-in must
// never reach.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		http.NotFound(w, nil)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestSignInNeverReachesPrivateAddresses: with the default outbound
// policy, an anonymous sign-in through a provider whose metadata URL or
// OpenID issuer points at loopback, a name resolving to loopback, the
// cloud metadata address or a private address connects to none of them.
// The person gets the generic answer; the SSO event tells the admin which
// address was refused and names --allow-private-outbound.
//
// The providers are written to the store directly, as an earlier version
// saved them: saving through the API now checks them first.
func TestSignInNeverReachesPrivateAddresses(t *testing.T) {
	strict := harnessHooks{
		sso: []func(*signin.Options){func(o *signin.Options) { o.Outbound = outbound.Policy{} }},
	}
	h := newHarnessHooked(t, strict)
	srv, hits := countingServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	for _, tc := range []struct{ url, refusal string }{
		{srv.URL + "/federationmetadata.xml", "127.0.0.1 is a loopback address"},
		{"http://localhost:" + port + "/federationmetadata.xml", "localhost resolves to 127.0.0.1"},
		{"https://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"},
		{"https://10.0.0.5/federationmetadata.xml", "10.0.0.5 is a private address"},
	} {
		p := store.SSOStrategy{SiteID: h.site.ID, Protocol: identity.ProtocolSAML, Provider: "okta", Label: "Okta",
			Enabled: true, SAMLProviderMetadataURL: tc.url}
		if err := h.st.CreateSSOStrategy(h.ctx, &p); err != nil {
			t.Fatal(err)
		}
		res := h.get("/saml/login?sso_strategy_id="+itoa(p.ID), nil)
		if res.status != http.StatusServiceUnavailable {
			t.Fatalf("%s: GET /saml/login: %d %s", tc.url, res.status, res.body)
		}
		wantGenericPage(t, res, tc.url)
		ev := h.lastSAMLEvent(h.site.ID)
		if !strings.Contains(ev.Body, tc.refusal) || !strings.Contains(ev.Body, outbound.Flag) {
			t.Fatalf("%s: the SSO event does not say what was refused: %s", tc.url, ev.Body)
		}
	}

	opts, _ := json.Marshal(map[string]string{identity.OptionOIDCIssuerURL: srv.URL + "/oidc"})
	p := store.SSOStrategy{SiteID: h.site.ID, Protocol: identity.ProtocolOAuth2, Provider: "onelogin", Label: "OneLogin",
		Enabled: true, ClientID: "client", Options: string(opts)}
	if err := h.st.CreateSSOStrategy(h.ctx, &p); err != nil {
		t.Fatal(err)
	}
	res := h.get("/oauth/login?sso_strategy_id="+itoa(p.ID), nil)
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("GET /oauth/login: %d %s", res.status, res.body)
	}
	wantGenericPage(t, res, srv.URL)
	evs, err := h.svc.ListSSOEvents(h.ctx, h.site.ID, store.EventQuery{EventType: signin.EventOIDCLogin, ListOptions: store.ListOptions{Limit: 10}})
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Body, "127.0.0.1 is a loopback address") || !strings.Contains(evs[0].Body, outbound.Flag) {
		t.Fatalf("OpenID Connect refusal events: %+v %v", evs, err)
	}

	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the loopback server", n)
	}
}

// wantGenericPage asserts that a refused sign-in's page says only that the
// provider cannot be used, never where it points or what the network said.
func wantGenericPage(t *testing.T, res rawResponse, secrets ...string) {
	t.Helper()
	body := string(res.body)
	if !strings.Contains(body, signin.MessageServerTrouble) {
		t.Fatalf("the page lacks the generic message: %s", body)
	}
	for _, s := range append(secrets, outbound.Flag, "127.0.0.1", "169.254.169.254", "10.0.0.5", "refused", "dial", "localhost") {
		if strings.Contains(body, s) {
			t.Fatalf("the public page shows %q: %s", s, body)
		}
	}
}
