package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSSORefusalFloodThroughServe floods a real server with made-up
// requests to the three sign-in endpoints anyone can reach — 2,000 each
// of a garbage SAMLResponse at the ACS, a callback with a state nobody
// made, and a handoff token nobody made — then stops it (the counts of
// open windows are written at shutdown) and reads the SSO events through
// the REST API of the restarted server: a few events and one summary per
// kind, whose counts add up to the requests sent.
func TestSSORefusalFloodThroughServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	const perKind = 2000
	kinds := []struct {
		eventType, check string
		request          func(i int) *http.Request
	}{
		{"saml_login", "provider", func(i int) *http.Request {
			req, _ := http.NewRequest("POST", s.Base+"/saml/consume",
				strings.NewReader(url.Values{"SAMLResponse": {fmt.Sprintf("bogus %d", i)}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			return req
		}},
		{"oidc_login", "state", func(i int) *http.Request {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/login_from_oauth?provider=azure&state=forged-%d&code=x", s.Base, i), nil)
			return req
		}},
		{"saml_login", "handoff", func(i int) *http.Request {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/saml/handoff?token=ghh_forged-%d", s.Base, i), nil)
			return req
		}},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now()
	var wg sync.WaitGroup
	for _, k := range kinds {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < perKind; i += 4 {
					res, err := client.Do(k.request(i))
					if err != nil {
						t.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					_ = res.Body.Close()
					if res.StatusCode < 400 {
						t.Errorf("%s refusal %d answered %d", k.check, i, res.StatusCode)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	// Each minute's window of a kind keeps five events and a summary.
	windows := int(time.Since(start)/time.Minute) + 2
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s = startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	var events []struct {
		EventType   string   `json:"event_type"`
		Body        string   `json:"body"`
		EventErrors []string `json:"event_errors"`
	}
	if code := s.api(t, http.MethodGet, "/sso_events?per_page=10000", key, nil, &events); code != http.StatusOK {
		t.Fatalf("GET /sso_events: %d", code)
	}
	countRe := regexp.MustCompile(`^(\d+) more refusals like this`)
	for _, k := range kinds {
		rows, total := 0, 0
		for _, ev := range events {
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
		if rows > 6*windows || total != perKind {
			t.Errorf("%s/%s: %d events accounting for %d refusals; want a few and a summary, adding up to %d",
				k.eventType, k.check, rows, total, perKind)
		}
	}
	if len(events) > 6*windows*len(kinds) {
		t.Errorf("%d SSO events after %d made-up requests", len(events), perKind*len(kinds))
	}
}
