package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSitesBySubdomain creates a second site with the CLI and signs in to
// it through its host name; the default site's admin does not exist there.
func TestSitesBySubdomain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--site-domain", "files.example")
	d := []string{"--data-dir", dir}
	defaultUser, defaultPassword := s.firstAdmin(t)

	out := cli(t, append([]string{"sites", "create", "acme", "--name", "Acme Corp"}, d...)...)
	m := regexp.MustCompile(`username (\S+), one-time password (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sites create:\n%s", out)
	}
	if list := cli(t, append([]string{"sites", "list"}, d...)...); !strings.Contains(list, "acme") || !strings.Contains(list, "Acme Corp") {
		t.Fatalf("sites list:\n%s", list)
	}
	if list := cli(t, append([]string{"users", "list", "--site", "acme"}, d...)...); !strings.Contains(list, m[1]) {
		t.Fatalf("users list --site acme:\n%s", list)
	}

	signIn := func(host, user, password, newPassword string) int {
		body, _ := json.Marshal(map[string]string{"username": user, "password": password, "change_password": newPassword})
		req, _ := http.NewRequest(http.MethodPost, s.Base+"/api/rest/v1/sessions", bytes.NewReader(body))
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := signIn("acme.files.example", m[1], m[2], "acme's own passphrase"); code != http.StatusCreated {
		t.Fatalf("acme admin on acme.files.example: %d", code)
	}
	if code := signIn("acme.files.example", defaultUser, defaultPassword, "the default passphrase"); code != http.StatusUnauthorized {
		t.Fatalf("default site's admin on acme.files.example: %d", code)
	}
	if code := signIn("unknown.files.example", defaultUser, defaultPassword, "the default passphrase"); code != http.StatusCreated {
		t.Fatalf("default site's admin on a host of no site: %d", code)
	}
}
