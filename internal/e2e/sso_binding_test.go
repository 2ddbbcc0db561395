package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
	"github.com/gatehouse/gatehouse/internal/connector/saml"
)

// browseStep is what browse.mjs saw after one step.
type browseStep struct {
	URL     string `json:"url"`
	Text    string `json:"text"`
	Session bool   `json:"session"`
}

type browseRun struct {
	Steps       []browseStep `json:"steps"`
	Navigations []string     `json:"navigations"`
	Error       string       `json:"error"`
}

// last is the page the browser ended on.
func (r browseRun) last() browseStep {
	if len(r.Steps) == 0 {
		return browseStep{}
	}
	return r.Steps[len(r.Steps)-1]
}

// browse plays one fresh browser (its own cookie jar) through steps.
func browse(t *testing.T, node, chromium, base string, hosts []string, steps ...map[string]any) browseRun {
	t.Helper()
	plan, _ := json.Marshal(map[string]any{"base": base, "hosts": hosts, "steps": steps})
	cmd := exec.Command(node, "browse.mjs", string(plan))
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var run browseRun
	if jerr := json.Unmarshal(out, &run); jerr != nil || (err != nil && run.Error == "") {
		t.Fatalf("browser run failed: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	return run
}

// attacker is the attacker's own HTTP client and cookie jar, reaching
// every host name on loopback as the browsers here do.
func attacker() *http.Client {
	jar, _ := cookiejar.New(nil)
	dial := &net.Dialer{Timeout: 10 * time.Second}
	return &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			return dial.DialContext(ctx, network, "127.0.0.1:"+port)
		}}}
}

// fetch GETs u with c and returns the status, Location and body.
func fetch(t *testing.T, c *http.Client, u string) (int, string, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

var formValueRe = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)

// attackerSAMLResponse has the attacker start an SP-initiated SAML sign-in
// at startURL in their own jar and sign in at the IdP, and returns the
// response and RelayState the IdP's page would post — without posting
// them.
func attackerSAMLResponse(t *testing.T, c *http.Client, startURL string) (samlResponse, relayState string) {
	t.Helper()
	code, loc, body := fetch(t, c, startURL)
	if code != http.StatusFound {
		t.Fatalf("attacker's sign-in start %s: %d %s", startURL, code, body)
	}
	code, _, page := fetch(t, c, loc)
	if code != http.StatusOK {
		t.Fatalf("attacker at the IdP: %d %s", code, page)
	}
	for _, m := range formValueRe.FindAllStringSubmatch(page, -1) {
		if m[1] == "SAMLResponse" {
			samlResponse = html.UnescapeString(m[2])
		} else {
			relayState = html.UnescapeString(m[2])
		}
	}
	if samlResponse == "" {
		t.Fatalf("the IdP's page has no SAMLResponse:\n%s", page)
	}
	return samlResponse, relayState
}

// wantRefusedInBrowser checks that the victim's browser ended on a
// refusal by the browser binding, without a session.
func wantRefusedInBrowser(t *testing.T, what string, run browseRun) {
	t.Helper()
	last := run.last()
	if run.Error != "" || last.Session || !strings.Contains(last.Text, "Single sign-on failed (browser)") ||
		!strings.Contains(last.Text, "start again from the sign-in page") {
		t.Errorf("%s: the victim's browser ended at %s (session %v, error %q): %q; want the browser refusal and no session",
			what, last.URL, last.Session, run.Error, last.Text)
	}
}

// wantSignedInBrowser checks that a browser ended on home as username.
func wantSignedInBrowser(t *testing.T, what string, run browseRun, home, username string) {
	t.Helper()
	last := run.last()
	if run.Error != "" || !last.Session || !strings.HasPrefix(last.URL, home) || !strings.Contains(last.Text, username) {
		t.Errorf("%s: ended at %s (session %v, error %q): %q; want %s signed in as %s\nnavigations: %q",
			what, last.URL, last.Session, run.Error, last.Text, home, username, run.Navigations)
	}
}

// TestBrowserSSOBoundToBrowser runs the real binary with a site on its own
// host (acme.files.test), a pysaml2 SAML identity provider and an npm
// oidc-provider OpenID provider, and Chromium:
//   - the normal SP-initiated sign-ins work: SAML and OpenID Connect on
//     the default site and on acme's host (through the handoff);
//   - login CSRF does not: an attacker finishes a sign-in of their own
//     account and pushes it into a victim's fresh browser — their
//     SAMLResponse posted by the victim's browser from the attacker's
//     page, their handoff link, their OpenID Connect callback URL — and
//     the victim ends on a refusal page, not signed in, with an SSO event.
func TestBrowserSSOBoundToBrowser(t *testing.T) {
	node, chromium := requireBrowser(t)
	oidctest.RequirePeer(t)
	idp := newBrowserIdP(t)

	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--site-domain", "files.test", "--allow-private-outbound") // the identity providers run on loopback
	port := s.Base[strings.LastIndex(s.Base, ":")+1:]
	acmeBase := "http://acme.files.test:" + port
	hosts := []string{idpHost, "acme.files.test", "attacker.test"}
	cli(t, "sites", "create", "acme", "--name", "Acme Corp", "--data-dir", dir)
	keys := map[string]string{"": createAPIKey(t, "--data-dir", dir), "acme": createAPIKey(t, "--data-dir", dir, "--site", "acme")}
	idp.TrustSP(s.Base)
	const upn = "megan.bowen@contoso.example"
	idp.SignIn(upn, map[string][]string{saml.ClaimEntraObjectID: {"4c1c8d6e-2f0a-4b7e-9d3c-5e8a1b2c3d4f"},
		saml.ClaimGivenName: {"Megan"}, saml.ClaimSurname: {"Bowen"}})

	clientIDs := map[string]string{"": oidctest.NewGUID(), "acme": oidctest.NewGUID()}
	op := oidctest.Start(t, oidctest.Options{
		Clients: []oidctest.Client{
			{ID: clientIDs[""], Secret: "secret-main", RedirectURIs: []string{s.Base + "/login_from_oauth?provider=azure"}},
			{ID: clientIDs["acme"], Secret: "secret-acme", RedirectURIs: []string{s.Base + "/login_from_oauth?provider=azure"}},
		},
		Accounts: map[string]oidctest.Account{"alice": {OID: "690222be-ff1a-4d56-abd1-7e4f7d38e474",
			PreferredUsername: "alice@contoso.example", GivenName: "Alice", FamilyName: "Smith"}},
	})

	// One SAML and one OpenID Connect provider on each site, made through
	// the site's own host.
	providers := map[string]int64{}
	for site, host := range map[string]string{"": "", "acme": "acme.files.test:" + port} {
		create := func(label string, body map[string]any) {
			body["label"], body["enabled"], body["display_on_login_page"], body["provision_users"] = label, true, true, true
			var p struct{ ID int64 }
			if code := apiOn(t, s, host, http.MethodPost, "/sso_strategies", keys[site], body, &p); code != http.StatusCreated {
				t.Fatalf("create %s: %d", label, code)
			}
			providers[label] = p.ID
		}
		create(site+"SAML", map[string]any{"protocol": "saml", "provider": "azure", "saml_provider_metadata_content": idp.Metadata()})
		create(site+"OIDC", map[string]any{"protocol": "oauth2", "provider": "azure", "client_id": clientIDs[site],
			"client_secret": "secret-" + map[string]string{"": "main", "acme": "acme"}[site],
			"options":       map[string]string{"oidc_tenant_id": op.TenantID, "oidc_authority": op.BaseURL}})
	}

	// The normal sign-ins, each in a fresh browser.
	for _, tc := range []struct {
		what, base, label string
		oidc              bool
		username          string
	}{
		{"SAML on acme's host", acmeBase, "acmeSAML", false, upn},
		{"OpenID Connect on the default site", s.Base, "OIDC", true, "alice@contoso.example"},
		{"OpenID Connect on acme's host", acmeBase, "acmeOIDC", true, "alice@contoso.example"},
	} {
		steps := []map[string]any{{"goto": tc.base + "/login"}, {"click": "Sign in with " + tc.label}}
		if tc.oidc {
			steps = append(steps, map[string]any{"fill": "input[name=login]", "value": "alice", "press": "Enter"})
		}
		steps[len(steps)-1]["waitPath"], steps[len(steps)-1]["origin"] = "/", tc.base
		run := browse(t, node, chromium, s.Base, hosts, steps...)
		wantSignedInBrowser(t, tc.what, run, tc.base+"/", tc.username)
		if tc.base == acmeBase && !strings.Contains(strings.Join(run.Navigations, "\n"), "GET "+acmeBase+"/saml/handoff?token=") {
			t.Errorf("%s did not finish through the handoff on acme's host: %q", tc.what, run.Navigations)
		}
	}

	// The attacker's page posts whatever response it is given to our ACS
	// from the victim's browser, as an identity provider's page would.
	// The page is served to a browser, another process, so the race
	// detector sees no order between setting it and serving it: a mutex.
	var planted struct {
		sync.Mutex
		response, relay string
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		planted.Lock()
		fields := map[string]string{"Action": s.Base + "/saml/consume", "SAMLResponse": planted.response, "RelayState": planted.relay}
		planted.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = postPage.Execute(w, fields)
	}))
	defer evil.Close()
	evilURL := "http://attacker.test:" + evil.URL[strings.LastIndex(evil.URL, ":")+1:] + "/"

	for _, tc := range []struct{ what, base, label string }{
		{"default site", s.Base, "SAML"},
		{"acme's host", acmeBase, "acmeSAML"},
	} {
		start := fmt.Sprintf("%s/saml/login?sso_strategy_id=%d", tc.base, providers[tc.label])
		// 1. The victim's browser posts the attacker's response.
		response, relay := attackerSAMLResponse(t, attacker(), start)
		planted.Lock()
		planted.response, planted.relay = response, relay
		planted.Unlock()
		wantRefusedInBrowser(t, "SAML response posted by the victim, "+tc.what,
			browse(t, node, chromium, s.Base, hosts, map[string]any{"goto": evilURL, "waitPath": "/saml/handoff", "origin": tc.base, "settle": true}))
		// 2. The attacker posts it and sends the handoff link.
		c := attacker()
		resp, relay := attackerSAMLResponse(t, c, start)
		res, err := c.PostForm(s.Base+"/saml/consume", url.Values{"SAMLResponse": {resp}, "RelayState": {relay}})
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		link := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(link, tc.base+"/saml/handoff?token=") {
			t.Fatalf("the attacker's post to the ACS answered %d to %q; want a handoff on %s", res.StatusCode, link, tc.base)
		}
		wantRefusedInBrowser(t, "SAML handoff link followed by the victim, "+tc.what,
			browse(t, node, chromium, s.Base, hosts, map[string]any{"goto": link, "settle": true}))
	}

	// 3. OpenID Connect: the attacker's callback URL (default site), and
	// the handoff link after it (acme's host).
	for _, tc := range []struct{ what, base, label string }{
		{"default site", s.Base, "OIDC"},
		{"acme's host", acmeBase, "acmeOIDC"},
	} {
		c := attacker()
		code, authURL, body := fetch(t, c, fmt.Sprintf("%s/oauth/login?sso_strategy_id=%d", tc.base, providers[tc.label]))
		if code != http.StatusFound {
			t.Fatalf("attacker's OpenID Connect start: %d %s", code, body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cb, err := op.Login(ctx, authURL, "alice")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		link := cb.String()
		if tc.base == acmeBase {
			// The attacker's own callback has no cookie of acme's host
			// either; it hands over, and the attacker sends that link.
			code, link, body = fetch(t, c, cb.String())
			if code != http.StatusSeeOther || !strings.HasPrefix(link, acmeBase+"/saml/handoff?token=") {
				t.Fatalf("the attacker's callback answered %d to %q: %s", code, link, body)
			}
		}
		wantRefusedInBrowser(t, "OpenID Connect link followed by the victim, "+tc.what,
			browse(t, node, chromium, s.Base, hosts, map[string]any{"goto": link, "settle": true}))
	}

	// Every refusal is an SSO event naming the browser check.
	for site, host := range map[string]string{"": "", "acme": "acme.files.test:" + port} {
		var events []struct {
			EventType   string   `json:"event_type"`
			Status      string   `json:"status"`
			EventErrors []string `json:"event_errors"`
			Username    string   `json:"username"`
		}
		if code := apiOn(t, s, host, http.MethodGet, "/sso_events?per_page=1000", keys[site], nil, &events); code != http.StatusOK {
			t.Fatalf("GET /sso_events: %d", code)
		}
		refused := 0
		for _, e := range events {
			if e.Status == "failure" && len(e.EventErrors) == 1 && e.EventErrors[0] == "browser" {
				refused++
			}
		}
		if refused != 3 {
			t.Errorf("site %q: %d SSO events of browser refusals, want 3 (two SAML, one OpenID Connect)", site, refused)
		}
	}
}

// apiOn is server.api on another host name of the server (a site's own).
func apiOn(t *testing.T, s *server, host, method, path, apiKey string, body, out any) int {
	t.Helper()
	if host == "" {
		return s.api(t, method, path, apiKey, body, out)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Base+"/api/rest/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-FilesAPI-Key", apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s on %s: %d %s: %v", method, path, host, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}
