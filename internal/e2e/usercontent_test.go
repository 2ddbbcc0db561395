package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// evilHTML and evilJS are what a user with nothing but an account uploads
// to take over the site: a page that, opened by a site admin on the app's
// origin, reads the CSRF token from / and mints an API key with the
// admin's session, and writes with the admin's WebDAV credentials.
const (
	evilHTML = `<!doctype html><title>quarterly report</title>
<script>fetch('/evil-ran/inline')</script>
<img src="/evil-ran/img" onerror="fetch('/evil-ran/onerror')">
<script src="evil.js"></script>
<p>Quarterly report</p>`
	evilJS = `(async () => {
  fetch('/evil-ran/js?at=' + encodeURIComponent(location.pathname));
  const home = await (await fetch('/')).text();
  const m = home.match(/name="csrf_token" value="([^"]+)"/);
  const r = await fetch('/api/rest/v1/api_keys', {method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': m ? m[1] : ''},
    body: JSON.stringify({name: 'minted by mallory'})});
  fetch('/evil-ran/minted?status=' + r.status);
  await fetch('/dav/pwned.txt', {method: 'PUT', body: 'written with the admin credentials'});
})();`
)

// openedFile is one visit of open-user-file.mjs.
type openedFile struct {
	How        string   `json:"how"`
	URL        string   `json:"url"`
	Requests   []string `json:"requests"`
	Downloaded bool     `json:"downloaded"`
	Error      string   `json:"error"`
}

// TestBrowserUploadedPageCannotActAsAdmin is the stored cross-site
// scripting attack through WebDAV, against the real binary in a real
// Chromium: mallory uploads evil.html and evil.js with curl, and the site
// admin, signed in to the web app and holding WebDAV credentials, opens
// the page over WebDAV and over REST file_contents. No script of the page
// may run, no API key may be minted and nothing may be written; every
// file answer is a passive download under a sandboxing policy.
func TestBrowserUploadedPageCannotActAsAdmin(t *testing.T) {
	node, chromium := requireBrowser(t)
	requireTools(t, "curl")
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	admin, oneTime := s.firstAdmin(t)
	const adminPassword, malloryPassword = "the admin's own passphrase 1", "mallory's passphrase 1"
	if code := s.api(t, "POST", "/sessions", "", map[string]string{"username": admin, "password": oneTime,
		"change_password": adminPassword, "change_password_confirmation": adminPassword}, nil); code != http.StatusCreated {
		t.Fatalf("changing the first admin's password: %d", code)
	}
	var users []struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	s.api(t, "GET", "/users", key, nil, &users)
	if len(users) != 1 || users[0].Username != admin {
		t.Fatalf("users: %+v", users)
	}
	if code := s.api(t, "PATCH", fmt.Sprintf("/users/%d", users[0].ID), key, map[string]any{"dav_permission": true}, nil); code != http.StatusOK {
		t.Fatalf("giving the admin WebDAV: %d", code)
	}
	if code := s.api(t, "POST", "/users", key, map[string]any{"username": "mallory", "password": malloryPassword,
		"dav_permission": true, "restapi_permission": true}, nil); code != http.StatusCreated {
		t.Fatalf("create mallory: %d", code)
	}

	local := t.TempDir()
	for name, body := range map[string]string{"evil.html": evilHTML, "evil.js": evilJS} {
		file := filepath.Join(local, name)
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("curl", "-sS", "--noproxy", "*", "-u", "mallory:"+malloryPassword, "-T", file,
			"-w", "%{http_code}", s.Base+"/dav/"+name).CombinedOutput()
		if err != nil || !strings.HasSuffix(string(out), "201") {
			t.Fatalf("mallory's WebDAV PUT of %s: %v %s", name, err, out)
		}
	}
	keysBefore := countAPIKeys(t, s, key)

	davURL, restURL := "/dav/users/mallory/evil.html", "/api/rest/v1/file_contents/users/mallory/evil.html"
	cmd := exec.Command(node, "open-user-file.mjs", s.Base, admin, adminPassword, davURL, restURL)
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	var seen struct {
		SignedIn bool         `json:"signedIn"`
		Opened   []openedFile `json:"opened"`
	}
	if jerr := json.Unmarshal(out, &seen); jerr != nil || err != nil {
		t.Fatalf("browser run failed: %v\nstdout: %s\nstderr: %s", err, out, stderr)
	}
	if !seen.SignedIn || len(seen.Opened) != 4 {
		t.Fatalf("the browser did not sign in or open every file: %+v", seen)
	}
	for _, v := range seen.Opened {
		for _, req := range v.Requests {
			if strings.Contains(req, "/evil-ran") || strings.Contains(req, "/api_keys") || strings.Contains(req, "pwned") {
				t.Errorf("%s, %s: the uploaded page's script ran: it requested %s (all: %v)", v.How, v.URL, req, v.Requests)
			}
		}
		// The REST API takes no WebDAV credentials: without a session it
		// answers 401, and there is nothing to download.
		if !v.Downloaded && (v.How != "dav credentials only" || !strings.HasPrefix(v.URL, "/api/")) {
			t.Errorf("%s, %s: the browser did not save the file as a download (error %q)", v.How, v.URL, v.Error)
		}
	}
	if after := countAPIKeys(t, s, key); after != keysBefore {
		t.Errorf("the uploaded page minted API keys: %d before, %d after", keysBefore, after)
	}
	if code, _ := davGet(t, s.Base+"/dav/pwned.txt", admin, adminPassword); code != http.StatusNotFound {
		t.Errorf("the uploaded page wrote with the admin's WebDAV credentials: GET /dav/pwned.txt is %d", code)
	}

	// What a client is sent, for every way of reading the file: WebDAV as
	// the admin, REST with mallory's own key; a Range request too.
	var malloryKey struct {
		Key string `json:"key"`
	}
	if code := s.api(t, "POST", "/api_keys", key, map[string]any{"user_id": userIDOf(t, s, key, "mallory"), "name": "mallory"}, &malloryKey); code != http.StatusCreated {
		t.Fatalf("mallory's API key: %d", code)
	}
	for _, c := range []struct{ method, url string }{
		{"GET", davURL}, {"HEAD", davURL}, {"POST", davURL},
		{"GET", "/api/rest/v1/file_contents/evil.html"}, {"HEAD", "/api/rest/v1/file_contents/evil.html"},
	} {
		req, _ := http.NewRequest(c.method, s.Base+c.url, nil)
		if strings.HasPrefix(c.url, "/dav/") {
			req.SetBasicAuth(admin, adminPassword)
		} else {
			req.Header.Set("X-FilesAPI-Key", malloryKey.Key)
		}
		if c.method == "GET" {
			req.Header.Set("Range", "bytes=0-20")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if res.StatusCode >= 300 || h.Get("Content-Disposition") != `attachment; filename="evil.html"; filename*=UTF-8''evil.html` ||
			h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox; default-src 'none'") {
			t.Errorf("%s %s: %d %v", c.method, c.url, res.StatusCode, h)
		}
	}
}

// userIDOf finds a user's id with the REST API.
func userIDOf(t *testing.T, s *server, key, username string) int64 {
	t.Helper()
	var users []struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	s.api(t, "GET", "/users", key, nil, &users)
	for _, u := range users {
		if u.Username == username {
			return u.ID
		}
	}
	t.Fatalf("no %s among %+v", username, users)
	return 0
}

func countAPIKeys(t *testing.T, s *server, key string) int {
	t.Helper()
	var keys []map[string]any
	if code := s.api(t, "GET", "/api_keys", key, nil, &keys); code != http.StatusOK {
		t.Fatalf("GET /api_keys: %d", code)
	}
	return len(keys)
}

func davGet(t *testing.T, url, user, password string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(user, password)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
