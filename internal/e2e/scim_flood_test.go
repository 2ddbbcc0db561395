package e2e

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSCIMRefusalFloodThroughServe sends a real server 2,000 SCIM
// requests with made-up bearer tokens (and a few with a wrong Basic
// password for a real provider's SCIM username), interleaved with
// requests of the provider's real token; stops it (open windows are
// written at shutdown) and reads the SCIM log through the restarted
// server's REST API: every authenticated request has its entry, and the
// refused ones a few entries and a summary per kind whose counts add up.
func TestSCIMRefusalFloodThroughServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	var p struct{ ID int64 }
	if code := s.api(t, "POST", "/sso_strategies", key, map[string]any{"protocol": "saml", "provider": "azure",
		"label": "Entra", "enabled": true, "provision_users": true}, &p); code != http.StatusCreated || p.ID == 0 {
		t.Fatalf("create provider: %d", code)
	}
	var tok struct {
		Token string `json:"scim_oauth_access_token"`
	}
	if code := s.api(t, "POST", fmt.Sprintf("/sso_strategies/%d/scim_token", p.ID), key, nil, &tok); code >= 300 || tok.Token == "" {
		t.Fatalf("SCIM token: %d", code)
	}

	scim := func(authorization string) int {
		req, _ := http.NewRequest(http.MethodGet, s.Base+"/api/scim/v2/Users?count=1", nil)
		req.Header.Set("Authorization", authorization)
		req.Header.Set("User-Agent", "Azure-AD-SCIM-Flood")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	const flood, authenticated = 2000, 12
	var refused, admitted atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < flood; i += 4 {
				auth := fmt.Sprintf("Bearer ghscim_made-up-%d", i)
				if i%100 == 0 {
					auth = "Basic " + base64.StdEncoding.EncodeToString([]byte("scim-nobody:guess"))
				}
				switch code := scim(auth); code {
				case http.StatusUnauthorized:
					refused.Add(1)
				case http.StatusServiceUnavailable: // the admission queue: no SCIM request was made
				default:
					t.Errorf("made-up SCIM credential %d answered %d", i, code)
					return
				}
				if i%(flood/authenticated) == 0 {
					if code := scim("Bearer " + tok.Token); code != http.StatusOK {
						t.Errorf("the provider's own token answered %d", code)
						return
					}
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if refused.Load() < flood*95/100 {
		t.Fatalf("only %d of %d made-up SCIM requests reached the SCIM handler", refused.Load(), flood)
	}
	t.Logf("%d refused and %d authenticated SCIM requests in %s", refused.Load(), admitted.Load(), time.Since(start).Round(time.Millisecond))
	windows := int(time.Since(start)/time.Minute) + 2
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s = startServer(t, "--data-dir", dir)
	var logs []struct {
		Status       string `json:"http_response_code"`
		ResponseJSON string `json:"response_json"`
		Provider     *int64 `json:"sso_strategy_id"`
		UserAgent    string `json:"user_agent"`
	}
	if code := s.api(t, http.MethodGet, "/scim_logs?per_page=10000", key, nil, &logs); code != http.StatusOK {
		t.Fatalf("GET /scim_logs: %d", code)
	}
	countRe := regexp.MustCompile(`^(\d+) more requests like this \(`)
	rows, total, ok := 0, 0, 0
	for _, l := range logs {
		switch l.Status {
		case "200":
			ok++
		case "401":
			rows++
			if m := countRe.FindStringSubmatch(l.ResponseJSON); m != nil {
				n, _ := strconv.Atoi(m[1])
				total += n
				if l.UserAgent != "Azure-AD-SCIM-Flood" || !strings.Contains(l.ResponseJSON, "the last came from 127.0.0.1") {
					t.Errorf("summary %+v: want the last request's user agent and address", l)
				}
			} else {
				total++
			}
		default:
			t.Errorf("SCIM log entry with status %s", l.Status)
		}
	}
	t.Logf("%d SCIM log entries for %d refused requests", rows, total)
	if ok != int(admitted.Load()) {
		t.Errorf("%d log entries of authenticated requests, want all %d", ok, admitted.Load())
	}
	if total != int(refused.Load()) {
		t.Errorf("the SCIM log accounts for %d refused requests, want %d", total, refused.Load())
	}
	// Two kinds (unknown token, unknown Basic username): five entries and
	// a summary each per window.
	if rows > 2*6*windows {
		t.Errorf("%d SCIM log entries for %d refused requests; want a few and a summary per kind", rows, refused.Load())
	}
}
