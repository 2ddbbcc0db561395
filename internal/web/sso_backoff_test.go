package web

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/events/smtptest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/samllogin"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// brokenPeer accepts connections on loopback and closes them at once, as
// a provider behind a failing load balancer does, counting them.
func brokenPeer(t *testing.T) (addr string, connections *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	connections = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connections.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().String(), connections
}

// TestFailingProviderIsNotAskedOnEveryAnonymousSignIn: 200 anonymous
// sign-ins, 20 at a time, through a SAML provider whose metadata URL fails
// and through an OpenID provider whose discovery fails. Each provider is
// asked once (the tries back off), the SSO log gets a bounded number of
// events, the opted-in admin gets one e-mail per provider through a real
// SMTP server, and no page shows the provider's address or the network
// error — those are in the SSO events, for the admin.
func TestFailingProviderIsNotAskedOnEveryAnonymousSignIn(t *testing.T) {
	smtp := smtptest.Start(t)
	var st store.Store
	var mailer *events.Mailer
	notifier := func(o *identity.Options) events.Notifier {
		if mailer == nil {
			m, err := events.NewMailer(events.MailerOptions{URL: "smtp://" + smtp.Addr, From: "gatehouse@files.example.com",
				Clock: o.Clock}, st, o.Logger)
			if err != nil {
				t.Fatal(err)
			}
			mailer = m
		}
		return mailer
	}
	var idOpts identity.Options
	h := newHarnessHooked(t, harnessHooks{
		identity: func(s store.Store, o *identity.Options) { st, idOpts = s, *o },
		sso:      []func(*signin.Options){func(o *signin.Options) { o.Notifier = notifier(&idOpts) }},
	})
	email, yes := "ann@example.com", true
	admin := h.createUser("ann", true)
	if _, err := h.svc.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, admin.ID,
		identity.UserChange{Email: &email, NotifyOnAllSSOFailures: &yes}, false); err != nil {
		t.Fatal(err)
	}

	mdAddr, mdConns := brokenPeer(t)
	oidcAddr, oidcConns := brokenPeer(t)
	// Saved by an earlier version, or while the provider still answered:
	// saving through the API now fetches first.
	saml := store.SSOStrategy{SiteID: h.site.ID, Protocol: identity.ProtocolSAML, Provider: "azure", Label: "Entra SAML",
		Enabled: true, SAMLProviderMetadataURL: "http://" + mdAddr + "/federationmetadata.xml"}
	opts, _ := json.Marshal(map[string]string{identity.OptionOIDCIssuerURL: "http://" + oidcAddr + "/oidc"})
	oauth := store.SSOStrategy{SiteID: h.site.ID, Protocol: identity.ProtocolOAuth2, Provider: "onelogin", Label: "OneLogin",
		Enabled: true, ClientID: "client", Options: string(opts)}
	for _, p := range []*store.SSOStrategy{&saml, &oauth} {
		if err := st.CreateSSOStrategy(h.ctx, p); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		path, addr string
		conns      *atomic.Int32
		eventType  string
	}{
		{"/saml/login?sso_strategy_id=" + itoa(saml.ID), mdAddr, mdConns, signin.EventSAMLLogin},
		{"/oauth/login?sso_strategy_id=" + itoa(oauth.ID), oidcAddr, oidcConns, signin.EventOIDCLogin},
	} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var pages []rawResponse
		for w := 0; w < 20; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					res := h.get(tc.path, nil)
					mu.Lock()
					pages = append(pages, res)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for _, res := range pages {
			if res.status != http.StatusServiceUnavailable {
				t.Fatalf("%s: %d %s", tc.path, res.status, res.body)
			}
			_, port, _ := net.SplitHostPort(tc.addr)
			for _, leak := range []string{tc.addr, port, "EOF", "connection reset", "federationmetadata", "/oidc"} {
				if strings.Contains(string(res.body), leak) {
					t.Fatalf("%s: the page shows %q: %s", tc.path, leak, res.body)
				}
			}
		}
		if n := tc.conns.Load(); n < 1 || n > 2 {
			t.Fatalf("%s: the failing provider was asked %d times for 200 sign-ins, want 1 or 2", tc.path, n)
		}
		evs, err := h.svc.ListSSOEvents(h.ctx, h.site.ID, store.EventQuery{EventType: tc.eventType, ListOptions: store.ListOptions{Limit: 1000}})
		if err != nil || len(evs) < 1 || len(evs) > 2 {
			t.Fatalf("%s: %d refusal events for 200 sign-ins (%v), want 1 or 2", tc.path, len(evs), err)
		}
		t.Logf("%s: 200 sign-ins, %d connection(s) to the provider, %d refusal event(s)", tc.path, tc.conns.Load(), len(evs))
		if !strings.Contains(evs[0].Body, tc.addr) {
			t.Fatalf("%s: the event does not tell the admin where the provider is: %s", tc.path, evs[0].Body)
		}
	}
	refreshes, err := h.svc.ListSSOEvents(h.ctx, h.site.ID, store.EventQuery{EventType: samllogin.EventMetadataRefresh, ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil || len(refreshes) < 1 || len(refreshes) > 2 {
		t.Fatalf("%d metadata refresh events (%v), want 1 or 2", len(refreshes), err)
	}
	msgs := smtp.Messages()
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, m.Subject(t))
	}
	if len(msgs) != 2 || !strings.Contains(fmt.Sprint(subjects), "Entra SAML") || !strings.Contains(fmt.Sprint(subjects), "OneLogin") {
		t.Fatalf("alert mails %q, want one about each provider", subjects)
	}
}
