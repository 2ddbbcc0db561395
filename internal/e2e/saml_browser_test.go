package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/saml"
)

// samlBrowserRun is what saml-sign-in.mjs saw.
type samlBrowserRun struct {
	Navigations []struct {
		Method    string `json:"method"`
		Where     string `json:"where"`
		FetchSite string `json:"fetchSite"`
	} `json:"navigations"`
	Refused      []string       `json:"refused"`
	ButtonHref   string         `json:"buttonHref"`
	SSOFiles     []string       `json:"ssoFiles"`
	SPInitiated  *signedInPage  `json:"spInitiated"`
	AfterLogout  *signedOutPage `json:"afterLogout"`
	IdPInitiated *signedInPage  `json:"idpInitiated"`
	Error        string         `json:"error"`
	StoppedAt    string         `json:"stoppedAt"`
	StoppedText  string         `json:"stoppedText"`
}

type browserCookie struct {
	HTTPOnly bool   `json:"httpOnly"`
	SameSite string `json:"sameSite"`
	Secure   bool   `json:"secure"`
}

type signedInPage struct {
	Home   string         `json:"home"`
	Cookie *browserCookie `json:"cookie"`
}

type signedOutPage struct {
	StuckAt   string         `json:"stuckAt"` // where the sign-out stopped short of /login
	Cookie    *browserCookie `json:"cookie"`
	Home      string         `json:"home"`
	OldCookie string         `json:"oldCookie"`
}

// TestBrowserSAMLSignIn signs a person in through a SAML identity
// provider in a real Chromium against the real binary: the login page's
// button (SP-initiated, HTTP-Redirect there and HTTP-POST back, a
// cross-site post to the ACS), the person's file page (a file uploaded by
// the page's script with the SSO session, then listed), sign-out with
// single logout through the IdP's SLO URL, and an IdP-initiated sign-in. pysaml2 signs every message
// the IdP sends. The account is made just in time, and the REST API shows
// it and the sign-ins.
func TestBrowserSAMLSignIn(t *testing.T) {
	node, chromium := requireBrowser(t)
	idp := newBrowserIdP(t)

	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	idp.TrustSP(s.Base)

	const label = "Contoso Entra"
	var provider struct {
		ID      int64  `json:"id"`
		SLOURL  string `json:"saml_sp_slo_url"`
		ACSURL  string `json:"saml_sp_acs_url"`
		Entity  string `json:"saml_sp_entity_id"`
		Enabled bool   `json:"enabled"`
	}
	code := s.api(t, http.MethodPost, "/sso_strategies", key, map[string]any{
		"protocol": "saml", "provider": "azure", "label": label, "enabled": true, "display_on_login_page": true,
		"saml_provider_metadata_content": idp.Metadata(),
		"provision_users":                true, "provision_groups": true,
	}, &provider)
	if code != http.StatusCreated || !provider.Enabled {
		t.Fatalf("create SAML provider: %d %+v", code, provider)
	}
	if provider.ACSURL != s.Base+"/saml/consume" || provider.Entity != s.Base+"/saml/metadata" || provider.SLOURL != s.Base+"/saml/logout" {
		t.Fatalf("the provider shows SP values %+v; want this server's ACS, entity ID and SLO URL", provider)
	}

	const upn = "megan.bowen@contoso.example"
	idp.SignIn(upn, map[string][]string{
		saml.ClaimEntraObjectID: {"4c1c8d6e-2f0a-4b7e-9d3c-5e8a1b2c3d4f"},
		saml.ClaimEmailAddress:  {"megan.bowen@contoso.example"},
		saml.ClaimGivenName:     {"Megan"},
		saml.ClaimSurname:       {"Bowen"},
	})

	// 0. A new provider refuses an IdP-initiated sign-in, which no browser
	// binding can check, and says how to allow it; the command it names
	// works.
	cmd := wantIdPInitiatedRefused(t, s, idp, provider.ID)
	if out := cli(t, append(strings.Fields(strings.TrimPrefix(cmd, "gatehouse ")), "--data-dir", dir)...); !strings.Contains(out, "are accepted") {
		t.Fatalf("%s:\n%s", cmd, out)
	}

	run := runSAMLBrowser(t, node, chromium, s.Base, idp, label)

	// 1. SP-initiated: the button, the IdP, the cross-site post, home.
	if run.ButtonHref != fmt.Sprintf("/saml/login?sso_strategy_id=%d", provider.ID) {
		t.Errorf("the login page's button goes to %q", run.ButtonHref)
	}
	wantNavigations(t, run, "GET /login", "GET /saml/login", "GET idp:/sso", "POST /saml/consume", "GET /saml/handoff", "GET /")
	for _, n := range run.Navigations {
		if n.Method == "POST" && n.Where == "/saml/consume" && n.FetchSite != "cross-site" {
			t.Errorf("the IdP's post to the ACS was %q, want cross-site (as from login.microsoftonline.com)", n.FetchSite)
		}
	}
	wantSignedInPage(t, "SP-initiated", run.SPInitiated, upn)
	if !slices.Contains(run.SSOFiles, "from-saml.txt") {
		t.Errorf("the SSO user's file page after an upload lists %q", run.SSOFiles)
	}
	authn, logouts, unsolicited, failures := idp.Seen()
	if len(failures) > 0 {
		t.Fatalf("the IdP failed: %s", strings.Join(failures, "\n"))
	}
	if len(authn) != 1 {
		t.Fatalf("the IdP received %d AuthnRequests, want 1", len(authn))
	}
	if a := authn[0]; a.ACS != provider.ACSURL || a.ID == "" || !a.Signed {
		t.Errorf("pysaml2 answered the AuthnRequest as %+v; want a signed request with an ID, naming our ACS", a)
	}

	// 2. Sign-out: our LogoutRequest reached the IdP's SLO URL, signed,
	// naming the session; its answer brought the browser back to /login.
	wantNavigations(t, run, "POST /logout", "GET idp:/slo", "GET /saml/logout", "GET /login")
	if len(logouts) != 1 {
		t.Errorf("the IdP's /slo received %d LogoutRequests, want 1", len(logouts))
	} else if l := logouts[0]; l.Issuer != provider.Entity || l.NameID != upn || len(l.SessionIndex) != 1 || l.SessionIndex[0] == "" || !l.SignatureOK {
		t.Errorf("pysaml2 read the LogoutRequest as %+v; want ours, signed, for %s with the IdP's session index", l, upn)
	}
	if lo := run.AfterLogout; lo == nil || lo.StuckAt != "" || lo.Cookie != nil || lo.Home != "/login" || lo.OldCookie != "/login" {
		t.Errorf("after sign-out: %+v; want no session cookie and / sending to /login even with the old cookie put back", lo)
	}

	// 3. IdP-initiated.
	wantNavigations(t, run, "GET idp:/idp-initiated", "POST /saml/consume", "GET /")
	wantSignedInPage(t, "IdP-initiated", run.IdPInitiated, upn)
	if unsolicited != 2 {
		t.Errorf("the IdP sent %d unsolicited responses, want 2 (one refused, one accepted)", unsolicited)
	}
	if len(run.Refused) > 0 {
		t.Errorf("the browser refused or failed: %q", run.Refused)
	}

	wantJITUser(t, s, key, provider.ID, upn)
	wantSAMLEvents(t, s, key, provider.ID, upn)
}

// requireBrowser finds node, Chromium and playwright-core, or skips (fails
// under GATEHOUSE_REQUIRE_PEERS=1).
func requireBrowser(t testing.TB) (node, chromium string) {
	t.Helper()
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		skipOrFail(t, "Chromium not installed at %s", chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node not installed")
	}
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules", "playwright-core")); err != nil {
		skipOrFail(t, "playwright-core not installed in %s (npm ci there)", browserDir)
	}
	return node, chromium
}

func runSAMLBrowser(t *testing.T, node, chromium, base string, idp *browserIdP, label string) samlBrowserRun {
	t.Helper()
	cmd := exec.Command(node, "saml-sign-in.mjs", base, idp.Base, idpHost, label, t.TempDir())
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	var run samlBrowserRun
	if jerr := json.Unmarshal(out, &run); jerr != nil || err != nil {
		_, _, _, failures := idp.Seen()
		t.Fatalf("browser run failed: %v\nstdout: %s\nstderr: %s\nIdP failures: %q", err, out, stderr, failures)
	}
	return run
}

// wantNavigations checks that the browser's top-level navigations contain
// steps in this order, one right after another.
func wantNavigations(t *testing.T, run samlBrowserRun, steps ...string) {
	t.Helper()
	var got []string
	for _, n := range run.Navigations {
		got = append(got, n.Method+" "+n.Where)
	}
	for i := range got {
		if i+len(steps) <= len(got) && slices.Equal(got[i:i+len(steps)], steps) {
			return
		}
	}
	t.Errorf("the browser went %q; want the steps %q in a row", got, steps)
}

func wantSignedInPage(t *testing.T, flow string, p *signedInPage, username string) {
	t.Helper()
	if p == nil || !strings.Contains(p.Home, "Signed in") || !strings.Contains(p.Home, username) ||
		!strings.Contains(p.Home, "Megan Bowen") {
		t.Errorf("%s: home page %+v; want it signed in as %s (Megan Bowen)", flow, p, username)
		return
	}
	if c := p.Cookie; c == nil || !c.HTTPOnly || c.SameSite != "Lax" {
		t.Errorf("%s: session cookie %+v; want HttpOnly, SameSite=Lax", flow, c)
	}
}

// wantJITUser checks through the REST API that the sign-in made the
// account: assigned to the provider, managed by it, named by the claims.
func wantJITUser(t *testing.T, s *server, key string, providerID int64, username string) {
	t.Helper()
	var users []struct {
		ID                int64  `json:"id"`
		Username          string `json:"username"`
		Email             string `json:"email"`
		Name              string `json:"name"`
		SSOStrategyID     *int64 `json:"sso_strategy_id"`
		ExternallyManaged bool   `json:"externally_managed"`
	}
	if code := s.api(t, http.MethodGet, "/users?per_page=1000", key, nil, &users); code != http.StatusOK {
		t.Fatalf("GET /users: %d", code)
	}
	for _, u := range users {
		if u.Username != username {
			continue
		}
		if u.SSOStrategyID == nil || *u.SSOStrategyID != providerID || !u.ExternallyManaged ||
			u.Email != username || u.Name != "Megan Bowen" {
			t.Errorf("JIT user %+v; want sso_strategy_id %d, externally managed, Megan Bowen <%s>", u, providerID, username)
		}
		return
	}
	t.Errorf("GET /users lists no %s: the sign-in did not create the account", username)
}

// wantSAMLEvents checks through the REST API that both sign-ins and the
// single logout were recorded as SSO events of the provider.
func wantSAMLEvents(t *testing.T, s *server, key string, providerID int64, username string) {
	t.Helper()
	var events []struct {
		EventType     string   `json:"event_type"`
		Status        string   `json:"status"`
		Body          string   `json:"body"`
		EventErrors   []string `json:"event_errors"`
		Username      string   `json:"username"`
		SSOStrategyID *int64   `json:"sso_strategy_id"`
	}
	if code := s.api(t, http.MethodGet, "/sso_events?per_page=1000", key, nil, &events); code != http.StatusOK {
		t.Fatalf("GET /sso_events: %d", code)
	}
	count := map[string]int{}
	for _, e := range events {
		if e.SSOStrategyID == nil || *e.SSOStrategyID != providerID {
			continue
		}
		if e.Status == "failure" && (len(e.EventErrors) != 1 || e.EventErrors[0] != string(saml.KindIdPInitiated)) {
			t.Errorf("SSO event refused something: %+v", e)
		}
		if e.EventType == "saml_login" && e.Status == "success" && e.Username != username {
			t.Errorf("sign-in event %+v; want it for %s", e, username)
		}
		count[e.EventType+" "+e.Status]++
	}
	want := map[string]int{"saml_login success": 2, "saml_login failure": 1, "saml_logout in_progress": 1, "saml_logout success": 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("SSO events: %d %q, want %d (all: %v)", count[k], k, n, count)
		}
	}
}

// wantIdPInitiatedRefused posts an unsolicited response of idp to the ACS,
// as Entra's My Apps would, checks that provider refuses it with a page
// and an SSO event naming the check, and returns the command the refusal
// gives an admin.
func wantIdPInitiatedRefused(t *testing.T, s *server, idp *browserIdP, providerID int64) string {
	t.Helper()
	c := attacker()
	code, _, page := fetch(t, c, idp.srv.URL+"/idp-initiated")
	m := formValueRe.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("the IdP's unsolicited response page: %d %s", code, page)
	}
	res, err := c.PostForm(s.Base+"/saml/consume", url.Values{"SAMLResponse": {html.UnescapeString(m[2])}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	want := fmt.Sprintf("gatehouse providers idp-initiated %d on", providerID)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "(idp-initiated)") || !strings.Contains(string(body), want) {
		t.Fatalf("an IdP-initiated response to a new provider answered %d; want 403 naming the check and %q\n%s", res.StatusCode, want, body)
	}
	for _, c := range res.Cookies() {
		if c.Name == "gatehouse_session" && c.Value != "" {
			t.Fatal("a refused IdP-initiated sign-in set a session cookie")
		}
	}
	return want
}
