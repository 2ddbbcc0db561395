package web

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address src (Linux routes all of 127.0.0.0/8 to the loopback
// interface), and which does not follow redirects.
func clientFrom(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestSignInStartsPerAddress sends 500 sign-in starts from one address,
// alternating a real SAML provider (/saml/login) and a real OpenID Connect
// provider (/oauth/login), each of which would store a sign-in in flight.
// The address gets StartRate of them together; the rest are 429 pages
// that say how long to wait, with Retry-After, and store nothing: no login
// state, no SSO event, and one log line. Another address still starts
// sign-ins of both kinds, and the first may start one again once its
// wait is over.
func TestSignInStartsPerAddress(t *testing.T) {
	s := newSAMLSetup(t, false)
	o := &oidcSetup{harness: s.harness}
	_, op := o.addEntra("Entra OIDC", false)
	paths := []string{"/saml/login?sso_strategy_id=" + itoa(s.provider.ID), "/oauth/login?sso_strategy_id=" + itoa(op.ID)}
	eventsBefore := s.ssoEventCount()

	get := func(c *http.Client, path string) (*http.Response, string) {
		t.Helper()
		res, err := c.Get(s.srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	attacker := clientFrom("127.0.0.1")
	started, refused := 0, 0
	for i := range 500 {
		res, body := get(attacker, paths[i%2])
		switch res.StatusCode {
		case http.StatusFound:
			started++
			if refused > 0 {
				t.Fatalf("start %d went ahead after a refusal, with the clock standing", i)
			}
		case http.StatusTooManyRequests:
			refused++
			wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			if wait < 1 || wait > int(signin.StartPer/time.Second) ||
				!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(body, "too many sign-ins were started from your address") || !strings.Contains(body, "wait") {
				t.Fatalf("start %d refused with Retry-After %q, %s:\n%s", i, res.Header.Get("Retry-After"), res.Header.Get("Content-Type"), body)
			}
		default:
			t.Fatalf("start %d answered %d:\n%s", i, res.StatusCode, body)
		}
	}
	if started != signin.StartRate || refused != 500-signin.StartRate {
		t.Fatalf("%d starts went ahead and %d were refused; want %d and the rest", started, refused, signin.StartRate)
	}
	if n := s.ssoEventCount(); n != eventsBefore {
		t.Errorf("%d SSO events written by refused starts", n-eventsBefore)
	}
	if n := strings.Count(s.logs.String(), "single sign-on starts refused"); n != 1 {
		t.Errorf("%d log lines about refused starts, want 1 while the clock stands", n)
	}

	// Another address starts both kinds; the first waits its turn.
	other := clientFrom("127.0.0.2")
	for _, path := range paths {
		if res, body := get(other, path); res.StatusCode != http.StatusFound {
			t.Fatalf("GET %s from another address: %d\n%s", path, res.StatusCode, body)
		}
	}
	s.clock.Advance(signin.StartPer / signin.StartRate)
	if res, body := get(attacker, paths[0]); res.StatusCode != http.StatusFound {
		t.Fatalf("GET %s after the wait: %d\n%s", paths[0], res.StatusCode, body)
	}
	if res, _ := get(attacker, paths[1]); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("two starts allowed after one interval: %d", res.StatusCode)
	}

	// Only the starts that went ahead stored a sign-in in flight.
	n, err := s.st.DeleteExpiredLoginState(s.ctx, s.clock.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := signin.StartRate + 3; n != want {
		t.Fatalf("%d sign-ins in flight stored, want %d", n, want)
	}
}

// ssoEventCount counts the site's SSO events.
func (h *harness) ssoEventCount() int {
	h.t.Helper()
	evs, err := h.st.ListSSOEvents(h.ctx, h.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 10000}})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(evs)
}
