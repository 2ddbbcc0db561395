package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignInThrottleBehindAProxy: behind a reverse proxy every request
// comes from the proxy. With --trusted-proxies naming it, the address the
// proxy forwards is the one throttled, so one person's wrong passwords do
// not throttle everyone behind the same proxy; without it, a client's own
// X-Forwarded-For is ignored, so it cannot take a new address per guess.
func TestSignInThrottleBehindAProxy(t *testing.T) {
	requireTools(t, "curl")
	const proxy = "127.0.0.21"
	signIn := func(s *server, forwardedFor, username, password string) (int, string) {
		body, _ := json.Marshal(map[string]string{"username": username, "password": password})
		return curlFrom(t, proxy, "-X", "POST", "-H", "Content-Type: application/json", "-H", "X-Forwarded-For: "+forwardedFor,
			"--data-binary", string(body), s.Base+"/api/rest/v1/sessions")
	}

	s := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"), "--trusted-proxies", proxy+",10.0.0.0/8")
	name, password := s.firstAdminSignedIn(t)
	for i := range 6 {
		code, out := signIn(s, "198.51.100.1", name, fmt.Sprintf("wrong guess %d", i))
		if want := map[bool]int{true: http.StatusTooManyRequests, false: http.StatusUnauthorized}[i == 5]; code != want {
			t.Fatalf("wrong password %d forwarded for 198.51.100.1: %d, want %d: %s", i, code, want, out)
		}
	}
	// The client's own claim left of the proxy's entry is not believed.
	if code, out := signIn(s, "203.0.113.9, 198.51.100.1", name, password); code != http.StatusTooManyRequests {
		t.Fatalf("the throttled client claiming another address: %d %s", code, out)
	}
	if code, out := signIn(s, "198.51.100.2", name, password); code != http.StatusCreated {
		t.Fatalf("another client behind the same proxy: %d %s", code, out)
	}

	// Without --trusted-proxies the header is the client's to choose, and
	// is ignored: the connection's own address is throttled.
	s = startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	name, password = s.firstAdminSignedIn(t)
	for i := range 5 {
		if code, out := signIn(s, fmt.Sprintf("198.51.100.%d", 10+i), name, "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s", i, code, out)
		}
	}
	code, out := signIn(s, "198.51.100.99", name, password)
	if code != http.StatusTooManyRequests || !strings.Contains(out, "too-many-login-attempts") {
		t.Fatalf("a new forwarded address per guess got around the throttle: %d %s", code, out)
	}
}
