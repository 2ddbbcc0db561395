package web

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSSORefusalFloodIsBounded sends 2,000 made-up requests of each kind
// that used to write an SSO event apiece — a garbage SAMLResponse to the
// ACS (of a site whose only SAML provider the ACS then picks), a callback
// with a state nobody made, a handoff token nobody made, a sign-in start
// for a provider that does not exist — and checks that each kind leaves
// the first few events and, when its window ends, one summary whose count
// makes up the rest. Refusals of real sign-ins (responses signed by the
// provider's identity provider) are still recorded one by one.
func TestSSORefusalFloodIsBounded(t *testing.T) {
	s := newSAMLSetup(t, false)
	const perKind = 2000
	kinds := []struct {
		eventType, check string
		send             func(i int) rawResponse
	}{
		{"saml_login", "malformed", func(i int) rawResponse {
			return s.postACS("/saml/consume", fmt.Sprintf("bogus response %d", i), "")
		}},
		{"oidc_login", "state", func(i int) rawResponse {
			return s.get(fmt.Sprintf("/login_from_oauth?provider=azure&state=forged-%d&code=x", i), nil)
		}},
		{"saml_login", "handoff", func(i int) rawResponse {
			return s.get("/saml/handoff?token="+url.QueryEscape(fmt.Sprintf("ghh_forged-%d", i)), nil)
		}},
		{"saml_login", "provider", func(i int) rawResponse {
			return s.get(fmt.Sprintf("/saml/login?sso_strategy_id=%d", 100000+i), nil)
		}},
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, k := range kinds {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < perKind; i += 4 {
					if res := k.send(i); res.status < 400 || sessionCookieOf(res) != nil {
						t.Errorf("%s refusal %d answered %d", k.check, i, res.status)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("%d made-up requests in %s", perKind*len(kinds), time.Since(start).Round(time.Millisecond))

	// Real sign-ins refused during the flood are each recorded.
	const real = 7
	for range real {
		s.wantRefused(s.postACS("/saml/consume", s.idpInitiated("nobody@example.com", nil), ""), s.site.ID, "not-provisioned")
	}

	s.clock.Advance(time.Minute)
	s.refusals.Flush(s.ctx)

	evs, err := s.st.ListSSOEvents(s.ctx, s.site.ID, store.EventQuery{ListOptions: store.ListOptions{Limit: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	countRe := regexp.MustCompile(`^(\d+) more refusals like this`)
	for _, k := range kinds {
		rows, total := 0, 0
		for _, ev := range evs {
			if ev.EventType != k.eventType || !slices.Contains(ev.EventErrors, k.check) {
				continue
			}
			rows++
			if m := countRe.FindStringSubmatch(ev.Body); m != nil {
				n, _ := strconv.Atoi(m[1])
				total += n
			} else {
				total++
			}
		}
		if rows > 6 {
			t.Errorf("%s/%s: %d events for %d refusals; want the first 5 and one summary", k.eventType, k.check, rows, perKind)
		}
		if total != perKind {
			t.Errorf("%s/%s: the events account for %d refusals, want %d", k.eventType, k.check, total, perKind)
		}
	}
	realRows := 0
	for _, ev := range evs {
		if slices.Contains(ev.EventErrors, "not-provisioned") && ev.Username == "nobody@example.com" {
			realRows++
		}
	}
	if realRows != real {
		t.Errorf("%d events for %d refused real sign-ins; want each recorded", realRows, real)
	}
	if len(evs) > len(kinds)*6+real {
		t.Errorf("%d events in all after %d made-up requests", len(evs), perKind*len(kinds))
	}
}
