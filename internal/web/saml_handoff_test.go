package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSAMLHandoffToSiteHost: a sign-in to a site on its own host name is
// verified at the shared ACS and finished on the site's host, once.
func TestSAMLHandoffToSiteHost(t *testing.T) {
	main := newSAMLSetup(t, false)
	acme, err := main.svc.CreateSite(main.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	s := main.withProvider(acme, "https://idp.test/acme", false)
	s.ssoUser("grace@example.com")
	port := strings.TrimPrefix(s.srv.URL[strings.LastIndex(s.srv.URL, ":"):], ":")
	acmeHost := "acme.example.test:" + port

	// The ACS answers on the base host without a cookie, with a handoff
	// to the site's host.
	handoff := func() *url.URL {
		t.Helper()
		res := s.postACS("/saml/consume", s.idpInitiated("grace@example.com", nil), "acme")
		loc, err := url.Parse(res.header.Get("Location"))
		if res.status != http.StatusSeeOther || err != nil || loc.Host != acmeHost || loc.Path != "/saml/handoff" || sessionCookieOf(res) != nil {
			t.Fatalf("ACS answered %d to %q with cookie %v; want 303 to %s/saml/handoff without one", res.status, loc, sessionCookieOf(res), acmeHost)
		}
		return loc
	}
	wantRefusedHandoff := func(res rawResponse, siteID int64) {
		t.Helper()
		if res.status != http.StatusForbidden || sessionCookieOf(res) != nil || !strings.Contains(string(res.body), "(handoff)") {
			t.Fatalf("handoff answered %d, cookie %v; want a 403 refusal\n%s", res.status, sessionCookieOf(res), res.body)
		}
		if ev := s.lastSAMLEvent(siteID); ev.Status != store.EventFailure || !slices.Contains(ev.EventErrors, signin.CheckHandoff) {
			t.Fatalf("event %+v: want a failure naming the handoff", ev)
		}
	}

	loc := handoff()
	res := s.get(loc.RequestURI(), nil, "Host", loc.Host)
	c := sessionCookieOf(res)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" || c == nil || c.Domain != "" {
		t.Fatalf("handoff answered %d to %q, cookie %+v; want 303 to / with a host-only session cookie", res.status, res.header.Get("Location"), c)
	}
	if res.header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the handoff URL may leak through Referer")
	}
	if home := s.get("/", c, "Host", acmeHost); home.status != http.StatusOK || !strings.Contains(string(home.body), "grace@example.com") {
		t.Fatalf("acme's home page with the handed-over session: %d", home.status)
	}
	if home := s.get("/", c); home.status == http.StatusOK {
		t.Fatal("acme's session opened the default site")
	}

	// Used once only.
	wantRefusedHandoff(s.get(loc.RequestURI(), nil, "Host", loc.Host), acme.ID)
	// Not on another site's host: the default site refuses it, and it is
	// spent.
	loc = handoff()
	wantRefusedHandoff(s.get(loc.RequestURI(), nil), main.site.ID)
	wantRefusedHandoff(s.get(loc.RequestURI(), nil, "Host", loc.Host), acme.ID)
	// Not after it expires.
	loc = handoff()
	s.clock.Advance(signin.HandoffLifetime + time.Second)
	wantRefusedHandoff(s.get(loc.RequestURI(), nil, "Host", loc.Host), acme.ID)
	// Not a made-up or missing token.
	for _, q := range []string{"?token=ghh_forged", "", "?token=" + strings.Repeat("x", 5000)} {
		wantRefusedHandoff(s.get("/saml/handoff"+q, nil, "Host", acmeHost), acme.ID)
	}
}
