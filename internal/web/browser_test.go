package web

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
type browser struct {
	t      *testing.T
	h      *harness
	client *http.Client
}

func newBrowser(h *harness) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: h.t, h: h, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, headers ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.h.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

var csrfFieldPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf loads a page and returns the CSRF token of its form.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.do("GET", path, nil)
	m := csrfFieldPattern.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		b.t.Fatalf("GET %s: %d, no CSRF field in %q", path, p.status, p.body)
	}
	return m[1]
}

func (b *browser) login(username, password string) page {
	b.t.Helper()
	return b.do("POST", "/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {username}, "password": {password}})
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.h.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func expectRedirect(t *testing.T, p page, to string) {
	t.Helper()
	if p.status != http.StatusSeeOther || p.header.Get("Location") != to {
		t.Fatalf("got %d to %q, want 303 to %q", p.status, p.header.Get("Location"), to)
	}
}

func TestLoginPageRendersFormAndProviders(t *testing.T) {
	h := newHarness(t)
	help := "Call the help desk <x>"
	if _, err := h.svc.UpdateSite(h.ctx, identity.SystemActor, h.site.ID, identity.SiteChange{LoginHelpText: &help}); err != nil {
		t.Fatal(err)
	}
	saml := h.createStrategy("saml", "okta", "Okta", true, true)
	oauth := h.createStrategy("oauth2", "azure", "Entra ID", true, true)
	// Only providers whose sign-in can start get a button.
	fp, issuer, sso := strings.Repeat("AB:", 31)+"AB", "https://idp.example.test/okta", "https://idp.example.test/sso"
	if _, err := h.svc.UpdateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, saml.ID, identity.SSOStrategyChange{
		SAMLProviderCertFingerprint: &fp, SAMLProviderIssuerURL: &issuer, SAMLProviderSSOTargetURL: &sso}); err != nil {
		t.Fatal(err)
	}
	completeOIDC(t, h, oauth.ID)
	for id, logo := range map[int64]string{saml.ID: "https://cdn.example.com/okta.png", oauth.ID: "http://cdn.example.com/entra.png"} {
		if _, err := h.svc.UpdateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, id, identity.SSOStrategyChange{LogoURL: &logo}); err != nil {
			t.Fatal(err)
		}
	}
	h.createStrategy("saml", "onelogin", "Hidden", true, false)
	h.createStrategy("saml", "onelogin", "Disabled", false, true)

	b := newBrowser(h)
	p := b.do("GET", "/login", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="csrf_token"`) || !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("login page: %d %s", p.status, p.body)
	}
	if !strings.Contains(p.body, "Call the help desk &lt;x&gt;") {
		t.Fatalf("help text missing or unescaped: %s", p.body)
	}
	for _, want := range []string{
		`href="/saml/login?sso_strategy_id=` + itoa(saml.ID) + `"`, "Sign in with Okta",
		`href="/oauth/login?sso_strategy_id=` + itoa(oauth.ID) + `"`, "Sign in with Entra ID",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	// An https logo is shown; a plain-http one is not fetched at all.
	if !strings.Contains(p.body, `<img class="logo" src="https://cdn.example.com/okta.png"`) || strings.Contains(p.body, "entra.png") {
		t.Errorf("logos: %s", p.body)
	}
	for _, hidden := range []string{"Hidden", "Disabled"} {
		if strings.Contains(p.body, hidden) {
			t.Errorf("login page shows provider %q", hidden)
		}
	}
	for header, want := range map[string]string{
		"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
	} {
		if p.header.Get(header) != want {
			t.Errorf("%s = %q, want %q", header, p.header.Get(header), want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "img-src 'self' https:") {
		t.Errorf("CSP %q", p.header.Get("Content-Security-Policy"))
	}
	c := b.cookie(csrfCookie)
	if c == nil || !wellFormedToken(c.Value) {
		t.Fatalf("no CSRF cookie")
	}
	if setCookie := p.header.Get("Set-Cookie"); !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Strict") {
		t.Fatalf("CSRF cookie attributes: %s", setCookie)
	}
}

func TestLoginRefusesMissingOrWrongCSRF(t *testing.T) {
	h := newHarness(t)
	h.createUser("ann", false)
	b := newBrowser(h)
	token := b.csrf("/login")
	for name, form := range map[string]url.Values{
		"missing": {"username": {"ann"}, "password": {strongPassword}},
		"wrong":   {"username": {"ann"}, "password": {strongPassword}, "csrf_token": {strings.Repeat("A", len(token))}},
		"short":   {"username": {"ann"}, "password": {strongPassword}, "csrf_token": {token[:10]}},
	} {
		p := b.do("POST", "/login", form)
		if p.status != http.StatusForbidden {
			t.Errorf("%s CSRF token: %d", name, p.status)
		}
		if b.cookie(sessionCookie) != nil {
			t.Fatalf("%s CSRF token signed in", name)
		}
	}
	// The right token from another browser does not work either.
	other := newBrowser(h)
	p := other.do("POST", "/login", url.Values{"username": {"ann"}, "password": {strongPassword}, "csrf_token": {token}})
	if p.status != http.StatusForbidden {
		t.Fatalf("another browser's token: %d", p.status)
	}
	// Cross-site posts are refused even with the token.
	for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}, {"Origin", "null"}} {
		p := b.do("POST", "/login", url.Values{"username": {"ann"}, "password": {strongPassword}, "csrf_token": {token}}, hdr...)
		if p.status != http.StatusForbidden {
			t.Fatalf("%v: %d", hdr, p.status)
		}
	}
	p = b.do("POST", "/login", url.Values{"username": {"ann"}, "password": {strongPassword}, "csrf_token": {token}},
		"Origin", h.srv.URL, "Sec-Fetch-Site", "same-origin")
	expectRedirect(t, p, "/")
}

func TestLoginFailureDoesNotEnumerateUsers(t *testing.T) {
	h := newHarness(t)
	h.createUser("ann", false)
	disabled := h.createUser("gone", false)
	yes := true
	if _, err := h.svc.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, disabled.ID, identity.UserChange{Disabled: &yes}, false); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(h)
	var bodies []string
	for _, try := range [][2]string{{"ann", "wrong password!!"}, {"nobody", "wrong password!!"}, {"gone", strongPassword}} {
		p := b.login(try[0], try[1])
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Invalid username or password") {
			t.Fatalf("login %s: %d %s", try[0], p.status, p.body)
		}
		bodies = append(bodies, strings.ReplaceAll(csrfFieldPattern.ReplaceAllString(p.body, ""), try[0], ""))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatal("refusals for an existing, an unknown and a disabled user differ")
	}
	if b.cookie(sessionCookie) != nil {
		t.Fatal("a refused login set a session cookie")
	}
}

func TestFirstAdminMustChangePassword(t *testing.T) {
	h := newHarness(t)
	admin, initial, err := h.svc.CreateFirstAdmin(h.ctx, h.site.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(h)
	expectRedirect(t, b.login("admin", initial), "/password")
	sess := b.cookie(sessionCookie)
	if sess == nil {
		t.Fatal("no session cookie after sign-in")
	}
	expectRedirect(t, b.do("GET", "/", nil), "/password")

	// The API answers the same session with password-change-required.
	r := h.callJSON("GET", apiPrefix+"/me", "", "", sessionHeader, sess.Value)
	expectError(t, r, http.StatusForbidden, identity.ErrPasswordChangeRequired.Type)
	r = h.callJSON("GET", apiPrefix+"/users", "", "", "Cookie", sessionCookie+"="+sess.Value)
	expectError(t, r, http.StatusForbidden, identity.ErrPasswordChangeRequired.Type)

	token := b.csrf("/password")
	p := b.do("POST", "/password", url.Values{"csrf_token": {token}, "current_password": {initial},
		"new_password": {"a brand new passphrase"}, "confirm_password": {"a different passphrase"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "differ") {
		t.Fatalf("mismatched confirmation: %d", p.status)
	}
	p = b.do("POST", "/password", url.Values{"csrf_token": {token}, "current_password": {"not the password"},
		"new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "current password is not correct") {
		t.Fatalf("wrong current password: %d", p.status)
	}
	p = b.do("POST", "/password", url.Values{"csrf_token": {token}, "current_password": {initial},
		"new_password": {"short"}, "confirm_password": {"short"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("too short: %d", p.status)
	}
	expectRedirect(t, b.do("POST", "/password", url.Values{"csrf_token": {token}, "current_password": {initial},
		"new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}}), "/?done=password")
	if p := b.do("GET", "/?done=password", nil); !strings.Contains(p.body, "Your password has been changed") {
		t.Fatalf("the start page after the change does not say so: %s", p.body)
	}

	p = b.do("GET", "/", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "admin") || !strings.Contains(p.body, "Site admin</dt><dd>yes") {
		t.Fatalf("start page: %d %s", p.status, p.body)
	}
	u, err := h.svc.GetUser(h.ctx, h.site.ID, admin.ID)
	if err != nil || u.RequirePasswordChange {
		t.Fatalf("flag not cleared: %+v %v", u, err)
	}
	expectRedirect(t, newBrowser(h).login("admin", "a brand new passphrase"), "/")
}

func TestLogoutEndsTheSession(t *testing.T) {
	h := newHarness(t)
	h.createUser("ann", false)
	b := newBrowser(h)
	expectRedirect(t, b.login("ann", strongPassword), "/")
	token := b.cookie(sessionCookie).Value

	// Logging out needs the CSRF token too.
	if p := b.do("POST", "/logout", url.Values{}); p.status != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %d", p.status)
	}
	expectRedirect(t, b.do("POST", "/logout", url.Values{"csrf_token": {b.csrf("/")}}), "/login")
	if b.cookie(sessionCookie) != nil {
		t.Fatal("logout left the cookie")
	}
	expectRedirect(t, b.do("GET", "/", nil), "/login")
	r := h.callJSON("GET", apiPrefix+"/me", "", "", sessionHeader, token)
	expectError(t, r, http.StatusUnauthorized, identity.ErrInvalidSession.Type)
}

func TestSessionCookieAttributes(t *testing.T) {
	h := newHarness(t)
	h.createUser("ann", false)
	b := newBrowser(h)
	p := b.login("ann", strongPassword)
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.Secure || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie %+v", session)
	}
	expiry := h.clock.Now().Add(time.Duration(h.site.SessionExpiryMinutes) * time.Minute)
	if session.Expires.After(expiry) || session.Expires.Before(expiry.Add(-time.Minute)) {
		t.Fatalf("cookie expires %v, session %v", session.Expires, expiry)
	}
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	h := newHarness(t)
	h.createUser("ann", false)
	handler, err := New(Options{Service: h.svc, BaseURL: "https://app.example.com", Clock: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := newRecorderBrowser(t, handler, "https://app.example.com")
	srv.get("/login")
	res := srv.post("/login", url.Values{"username": {"ann"}, "password": {strongPassword}}, "Origin", "https://app.example.com")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure over https", c.Name)
		}
	}
}

func TestTamperedAndExpiredSessions(t *testing.T) {
	h := newHarness(t)
	h.createUser("ann", false)
	b := newBrowser(h)
	expectRedirect(t, b.login("ann", strongPassword), "/")
	good := b.cookie(sessionCookie).Value
	u, _ := url.Parse(h.srv.URL)

	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: good[:len(good)-1] + "x", Path: "/"}})
	p := b.do("GET", "/", nil)
	expectRedirect(t, p, "/login")
	if !strings.Contains(p.header.Get("Set-Cookie"), sessionCookie+"=;") {
		t.Fatalf("tampered cookie not cleared: %q", p.header.Get("Set-Cookie"))
	}

	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: good, Path: "/"}})
	if p := b.do("GET", "/", nil); p.status != http.StatusOK {
		t.Fatalf("good cookie: %d", p.status)
	}
	h.clock.Advance(time.Duration(h.site.SessionExpiryMinutes+1) * time.Minute)
	expectRedirect(t, b.do("GET", "/", nil), "/login")
	r := h.callJSON("GET", apiPrefix+"/me", "", "", sessionHeader, good)
	expectError(t, r, http.StatusUnauthorized, identity.ErrInvalidSession.Type)
}

func TestCookieAuthenticatedAPIWritesNeedCSRFHeader(t *testing.T) {
	h := newHarness(t)
	h.createUser("ann", false)
	b := newBrowser(h)
	expectRedirect(t, b.login("ann", strongPassword), "/")
	sess := b.cookie(sessionCookie).Value
	csrf := b.cookie(csrfCookie).Value
	cookies := sessionCookie + "=" + sess + "; " + csrfCookie + "=" + csrf

	// Reads work with the cookie alone.
	if r := h.callJSON("GET", apiPrefix+"/me", "", "", "Cookie", cookies); r.status != http.StatusOK {
		t.Fatalf("GET /me with cookie: %d %s", r.status, r.body)
	}
	body := `{"name":"laptop"}`
	expectError(t, h.callJSON("POST", apiPrefix+"/api_keys", "", body, "Cookie", cookies),
		http.StatusForbidden, errCSRF.Type)
	expectError(t, h.callJSON("POST", apiPrefix+"/api_keys", "", body, "Cookie", cookies, csrfHeader, otherFirstChar(csrf)),
		http.StatusForbidden, errCSRF.Type)
	expectError(t, h.callJSON("POST", apiPrefix+"/api_keys", "", body, "Cookie", cookies, csrfHeader, csrf,
		"Sec-Fetch-Site", "cross-site"), http.StatusForbidden, errCrossOrigin.Type)
	if r := h.callJSON("POST", apiPrefix+"/api_keys", "", body, "Cookie", cookies, csrfHeader, csrf); r.status != http.StatusCreated {
		t.Fatalf("POST with CSRF header: %d %s", r.status, r.body)
	}
	// The session header needs no CSRF token: browsers never send it on their own.
	if r := h.callJSON("POST", apiPrefix+"/api_keys", "", body, sessionHeader, sess); r.status != http.StatusCreated {
		t.Fatalf("POST with session header: %d %s", r.status, r.body)
	}
}

func TestSiteChosenByHost(t *testing.T) {
	s := &server{siteDomain: "example.test"}
	for host, want := range map[string]string{
		"acme.example.test":      "acme",
		"ACME.Example.Test:8443": "acme",
		"example.test":           "",
		"a.b.example.test":       "",
		"acme.example.test.evil": "",
		"127.0.0.1:8080":         "",
		"[::1]:8080":             "",
		"":                       "",
	} {
		if got := s.subdomainOf(host); got != want {
			t.Errorf("subdomainOf(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestOversizedAndMalformedForms(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(h)
	token := b.csrf("/login")
	big := url.Values{"csrf_token": {token}, "username": {"ann"}, "password": {strings.Repeat("p", maxBodyBytes)}}
	if p := b.do("POST", "/login", big); p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized form: %d", p.status)
	}
	long := url.Values{"csrf_token": {token}, "username": {"ann"}, "password": {strings.Repeat("p", 5000)}}
	if p := b.do("POST", "/login", long); p.status != http.StatusUnauthorized {
		t.Fatalf("over-long password: %d", p.status)
	}
	if p := b.do("GET", "/no/such/page", nil); p.status != http.StatusNotFound || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("unknown page: %d %s", p.status, p.header.Get("Content-Type"))
	}
	if p := b.do("GET", "/logout", nil); p.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET /logout: %d", p.status)
	}
}

// otherFirstChar changes a token's first character, so it never equals the
// token (prefixing "x" would, one time in 64).
func otherFirstChar(tok string) string {
	if tok[0] == 'x' {
		return "y" + tok[1:]
	}
	return "x" + tok[1:]
}
