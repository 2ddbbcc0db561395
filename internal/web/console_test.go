package web

import (
	"bytes"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/console"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/events/smtptest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// adminBrowser signs a new site admin in and returns the browser.
func adminBrowser(t *testing.T, h *harness, name string) *browser {
	t.Helper()
	h.createUser(name, true)
	b := newBrowser(h)
	if p := b.login(name, strongPassword); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %d %s", name, p.status, p.body)
	}
	return b
}

// postMultipart sends a multipart form as the console's provider form
// does, with files by field name.
func (b *browser) postMultipart(path string, fields url.Values, files map[string][]byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		w, _ := mw.CreateFormFile(name, name+".xml")
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.h.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: out.String()}
}

// TestConsoleIsForSiteAdmins: signed out, the console sends to sign-in;
// a user who is not a site admin, or an API key without a browser
// session, is refused; a site admin gets the pages.
func TestConsoleIsForSiteAdmins(t *testing.T) {
	h := newHarness(t)
	out := newBrowser(h)
	expectRedirect(t, out.do("GET", "/admin/providers", nil), "/login")

	u := h.createUser("plain", false)
	b := newBrowser(h)
	b.login("plain", strongPassword)
	if p := b.do("GET", "/admin/providers", nil); p.status != http.StatusForbidden || !strings.Contains(p.body, "site admin") {
		t.Fatalf("a user who is not a site admin: %d %s", p.status, p.body)
	}
	admin := h.createUser("boss", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	if r := h.call("GET", "/admin/providers", key, nil); strings.Contains(string(r.body), `aria-label="Console"`) {
		t.Fatalf("an API key opened the console: %d", r.status)
	}
	_ = u
	a := newBrowser(h)
	a.login("boss", strongPassword)
	for _, path := range []string{"/admin/", "/admin/providers", "/admin/new-provider", "/admin/new-provider/entra-saml",
		"/admin/new-provider/entra-oidc", "/admin/new-provider/active-directory", "/admin/logs/sso", "/admin/logs/scim", "/admin/logs/external"} {
		p := a.do("GET", path, nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, `aria-label="Console"`) {
			t.Errorf("GET %s: %d", path, p.status)
		}
		if p.header.Get("Content-Security-Policy") == "" || strings.Contains(p.body, "<script>") || strings.Contains(p.body, "style=") {
			t.Errorf("GET %s: no CSP, or an inline script or style", path)
		}
	}
	for path, want := range map[string]int{"/admin/new-provider/nope": 404, "/admin/providers/abc": 404, "/admin/providers/999": 404,
		"/admin/logs/nope": 404, "/admin/logs/sso/999": 404} {
		if p := a.do("GET", path, nil); p.status != want {
			t.Errorf("GET %s: %d, want %d", path, p.status, want)
		}
	}
}

// TestConsoleAsksToSignInAgain: the pages that change trust need a
// sign-in within ten minutes (a form opened then may be sent within
// thirty); the re-authentication checks the session's own user's
// password, never goes to another site, and starts a new session.
func TestConsoleAsksToSignInAgain(t *testing.T) {
	h := newHarness(t)
	b := adminBrowser(t, h, "ada")
	if p := b.do("GET", "/admin/new-provider/saml", nil); p.status != http.StatusOK {
		t.Fatalf("a fresh sign-in: %d", p.status)
	}
	h.clock.Advance(console.FreshFor + time.Minute)
	p := b.do("GET", "/admin/new-provider/saml", nil)
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "Confirm it") || !strings.Contains(p.body, `value="/admin/new-provider/saml"`) {
		t.Fatalf("an old sign-in: %d %s", p.status, p.body)
	}
	// Within the grace for a form opened while fresh, a post is taken.
	form := url.Values{"csrf_token": {b.csrf("/admin/providers")}, "label": {"Grace"}, "trust": {"fingerprint"},
		"saml_provider_cert_fingerprint": {strings.Repeat("AB", 32)}, "saml_provider_sso_target_url": {"https://idp.example.com/sso"},
		"saml_provider_issuer_url": {"https://idp.example.com/"}}
	if p := b.do("POST", "/admin/new-provider/saml", form); p.status != http.StatusSeeOther {
		t.Fatalf("a post within the grace: %d %s", p.status, p.body)
	}
	h.clock.Advance(30 * time.Minute)
	if p := b.do("POST", "/admin/new-provider/saml", form); p.status != http.StatusForbidden || !strings.Contains(p.body, "Confirm it") {
		t.Fatalf("a post after the grace: %d", p.status)
	}
	token := b.csrf("/admin/providers")
	for _, bad := range []string{"", "wrong password", strings.Repeat("x", 5000)} {
		p := b.do("POST", "/reauth", url.Values{"csrf_token": {token}, "password": {bad}, "next": {"/admin/providers"}})
		if p.status != http.StatusUnauthorized {
			t.Errorf("re-authentication with %.20q: %d", bad, p.status)
		}
	}
	// Another user's name in the form changes nothing: the session's user
	// is the one checked.
	h.createUser("eve", true)
	if p := b.do("POST", "/reauth", url.Values{"csrf_token": {token}, "username": {"eve"}, "password": {"wrong"}, "next": {"/admin/"}}); p.status != http.StatusUnauthorized {
		t.Errorf("re-authentication naming another user: %d", p.status)
	}
	for _, next := range []string{"//evil.example/admin/", "https://evil.example/admin/", "/\\evil.example", "/login"} {
		p := b.do("POST", "/reauth", url.Values{"csrf_token": {b.csrf("/admin/providers")}, "password": {strongPassword}, "next": {next}})
		expectRedirect(t, p, "/admin/")
	}
	p = b.do("POST", "/reauth", url.Values{"csrf_token": {b.csrf("/admin/providers")}, "password": {strongPassword}, "next": {"/admin/new-provider/saml"}})
	expectRedirect(t, p, "/admin/new-provider/saml")
	if p := b.do("GET", "/admin/new-provider/saml", nil); p.status != http.StatusOK {
		t.Fatalf("after signing in again: %d", p.status)
	}
}

// TestConsoleProviderFormsRefuseHostileInput: a malformed metadata file,
// a bad fingerprint, a port that is not one, an oversized upload and a
// stale CSRF token are refused with the reason, and store nothing.
func TestConsoleProviderFormsRefuseHostileInput(t *testing.T) {
	h := newHarness(t)
	b := adminBrowser(t, h, "ada")
	token := b.csrf("/admin/new-provider/saml")
	base := url.Values{"csrf_token": {token}, "label": {"Hostile"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name  string
		path  string
		form  url.Values
		files map[string][]byte
		want  string
	}{
		{"malformed metadata file", "/admin/new-provider/saml", with("trust", "metadata_xml"), map[string][]byte{"metadata_file": []byte("<EntityDescriptor><broken")}, "saml_provider_metadata_content"},
		{"XML bomb", "/admin/new-provider/saml", with("trust", "metadata_xml"), map[string][]byte{"metadata_file": []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;&b;&b;</x>`)}, "saml_provider_metadata_content"},
		{"no metadata", "/admin/new-provider/saml", with("trust", "metadata_xml"), nil, "choose the identity provider"},
		{"bad fingerprint", "/admin/new-provider/saml", with("trust", "fingerprint", "saml_provider_cert_fingerprint", "SHA256 Fingerprint=12:34"), nil, "SHA-256"},
		{"no trust", "/admin/new-provider/saml", with("trust", "magic"), nil, "choose how to trust"},
		{"no label", "/admin/new-provider/saml", with("label", "", "trust", "metadata_url"), nil, "give the provider a label"},
		{"a port that is not one", "/admin/new-provider/openldap", with("ldap_port", "99999", "ldap_host", "ldap.example.com"), nil, "1 to 65535"},
		{"a safety limit that is not a number", "/admin/new-provider/saml", with("trust", "metadata_url", "deprovision_limit_percent", "lots"), nil, "whole number"},
	}
	for _, c := range cases {
		p := b.postMultipart(c.path, c.form, c.files)
		if p.status < 400 || p.status >= 500 || !strings.Contains(p.body, c.want) || !strings.Contains(p.body, "Nothing was saved") && !strings.Contains(p.body, "nothing was saved") {
			t.Errorf("%s: %d; want a 4xx saying %q:\n%s", c.name, p.status, c.want, p.body)
		}
	}
	big := b.postMultipart("/admin/new-provider/saml", with("trust", "metadata_xml"), map[string][]byte{"metadata_file": bytes.Repeat([]byte("x"), 2<<20)})
	if big.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB upload: %d", big.status)
	}
	stale := with("trust", "fingerprint", "saml_provider_cert_fingerprint", strings.Repeat("AB", 32),
		"saml_provider_sso_target_url", "https://idp.example.com/sso", "saml_provider_issuer_url", "https://idp.example.com/")
	stale.Set("csrf_token", strings.Repeat("A", len(token)))
	if p := b.postMultipart("/admin/new-provider/saml", stale, nil); p.status != http.StatusForbidden {
		t.Errorf("a stale CSRF token: %d", p.status)
	}
	if ps, err := h.svc.ListSSOStrategies(h.ctx, h.site.ID, store.ListOptions{}); err != nil || len(ps) != 0 {
		t.Fatalf("refused forms stored providers: %d %v", len(ps), err)
	}
}

// TestConsoleProviderLifecycle: a provider added by fingerprint shows the
// values to paste; an edit with the secret left empty keeps it; a delete
// needs the label typed and then removes it.
func TestConsoleProviderLifecycle(t *testing.T) {
	h := newHarness(t)
	b := adminBrowser(t, h, "ada")
	token := b.csrf("/admin/providers")
	p := b.do("POST", "/admin/new-provider/entra-oidc", url.Values{"csrf_token": {token}, "label": {"Contoso"},
		"oidc_tenant_id": {"common"}, "client_id": {"535fb089-9ff3-47b6-9bfb-4f1264799865"}, "client_secret": {"s3cret"}})
	if p.status < 400 || !strings.Contains(p.body, "any Entra tenant") || !strings.Contains(p.body, `id="d-oidc_tenant_id"`) {
		i := strings.Index(p.body, "<main")
		t.Fatalf("an any-tenant Entra provider: %d\n%s", p.status, p.body[i:min(len(p.body), i+1500)])
	}
	p = b.do("POST", "/admin/new-provider/saml", url.Values{"csrf_token": {token}, "label": {"Okta SAML"}, "trust": {"fingerprint"},
		"saml_provider_cert_fingerprint": {"SHA256 Fingerprint=" + strings.TrimSuffix(strings.Repeat("AB:", 32), ":")},
		"saml_provider_sso_target_url":   {"https://idp.example.com/sso"}, "saml_provider_issuer_url": {"https://idp.example.com/"},
		"provision_users": {"on"}, "enabled": {"on"}, "display_on_login_page": {"on"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/admin/providers/") {
		t.Fatalf("add by fingerprint: %d %s", p.status, p.body)
	}
	loc := strings.TrimSuffix(p.header.Get("Location"), "?saved=created")
	show := b.do("GET", loc, nil)
	for _, want := range []string{h.srv.URL + "/saml/metadata", h.srv.URL + "/saml/consume", h.srv.URL + "/api/scim", "Generate token"} {
		if !strings.Contains(show.body, want) {
			t.Errorf("the provider page lacks %q", want)
		}
	}
	edit := b.do("GET", loc+"/edit", nil)
	if !strings.Contains(edit.body, `value="Okta SAML"`) || !strings.Contains(edit.body, `id="trust-fp" name="trust" value="fingerprint" checked`) {
		t.Fatalf("the edit form does not show the provider as saved:\n%s", edit.body)
	}
	p = b.do("POST", loc+"/edit", url.Values{"csrf_token": {token}, "label": {"Okta"}, "trust": {"fingerprint"},
		"saml_provider_cert_fingerprint": {strings.Repeat("AB", 32)}, "saml_provider_sso_target_url": {"https://idp.example.com/sso"},
		"saml_provider_issuer_url": {"https://idp.example.com/"}, "enabled": {"on"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	ps, _ := h.svc.ListSSOStrategies(h.ctx, h.site.ID, store.ListOptions{})
	if len(ps) != 1 || ps[0].Label != "Okta" || ps[0].DisplayOnLoginPage || ps[0].ProvisionUsers {
		t.Fatalf("after the edit: %+v", ps)
	}
	if p := b.do("POST", loc+"/delete", url.Values{"csrf_token": {token}, "confirm": {"okta"}}); p.status != http.StatusBadRequest {
		t.Fatalf("a delete with the label mistyped: %d", p.status)
	}
	if p := b.do("POST", loc+"/delete", url.Values{"csrf_token": {token}, "confirm": {"Okta"}}); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", p.status, p.body)
	}
	if ps, _ := h.svc.ListSSOStrategies(h.ctx, h.site.ID, store.ListOptions{}); len(ps) != 0 {
		t.Fatalf("after delete: %d providers", len(ps))
	}
}

// TestConsolePreviewsAChangeBeforeSaving: "Preview changes" on a
// provider's form shows what the rules as typed would do to its accounts
// (a required group disabling one of two), and saves nothing.
func TestConsolePreviewsAChangeBeforeSaving(t *testing.T) {
	h := newHarness(t)
	p := h.createStrategy("active_directory", "ldap", "Corp AD", true, false)
	yes := true
	if _, err := h.svc.UpdateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, p.ID,
		identity.SSOStrategyChange{ProvisionUsers: &yes, ProvisionGroups: &yes, DeprovisionUsers: &yes}); err != nil {
		t.Fatal(err)
	}
	for _, x := range []provision.ExternalIdentity{
		{ExternalID: "e1", Username: "ada", Active: true, Groups: []provision.GroupRef{{ExternalID: "g1", Name: "Engineering"}}},
		{ExternalID: "e2", Username: "bob", Active: true, Groups: []provision.GroupRef{{ExternalID: "g2", Name: "Sales"}}},
	} {
		if _, err := h.provision.Upsert(h.ctx, h.site.ID, p.ID, x); err != nil {
			t.Fatal(err)
		}
	}
	b := adminBrowser(t, h, "root")
	path := "/admin/providers/" + itoa(p.ID) + "/edit"
	form := url.Values{"csrf_token": {b.csrf(path)}, "label": {"Corp AD"}, "ldap_host": {"dc1.corp.example.com"}, "ldap_port": {"636"},
		"ldap_security": {"ldaps"}, "provision_users": {"on"}, "provision_groups": {"on"}, "deprovision_users": {"on"},
		"provision_group_required": {"Eng*"}, "enabled": {"on"}, "preview": {"1"}}
	page := b.do("POST", path, form)
	if page.status != http.StatusOK || !strings.Contains(page.body, "nothing was saved") || !strings.Contains(page.body, "1 disabled") ||
		!strings.Contains(page.body, "bob") || !strings.Contains(page.body, `value="Eng*"`) {
		t.Fatalf("preview: %d\n%s", page.status, page.body)
	}
	saved, _ := h.svc.GetSSOStrategy(h.ctx, h.site.ID, p.ID)
	if saved.ProvisionGroupRequired != "" {
		t.Fatalf("the preview saved the required group: %q", saved.ProvisionGroupRequired)
	}
	if u, _ := h.svc.GetUserByUsername(h.ctx, h.site.ID, "bob"); u.Disabled {
		t.Fatal("the preview disabled bob")
	}

	// Saving the form keeps the options it does not show (set through the
	// API) and drops the ones it leaves empty, so their defaults apply.
	opts := json.RawMessage(`{"group_names":{"g1":"Engineering"},"deprovision_limit_percent":50}`)
	if _, err := h.svc.UpdateSSOStrategy(h.ctx, identity.SystemActor, h.site.ID, p.ID, identity.SSOStrategyChange{Options: &opts}); err != nil {
		t.Fatal(err)
	}
	form.Del("preview")
	if page := b.do("POST", path, form); page.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", page.status, page.body)
	}
	saved, _ = h.svc.GetSSOStrategy(h.ctx, h.site.ID, p.ID)
	if saved.ProvisionGroupRequired != "Eng*" || !strings.Contains(saved.Options, `"group_names":{"g1":"Engineering"}`) ||
		strings.Contains(saved.Options, "deprovision_limit_percent") {
		t.Fatalf("after saving: required %q, options %s", saved.ProvisionGroupRequired, saved.Options)
	}
}

// TestConsoleSiteSettings: the settings page saves what the identity core
// accepts, refuses numbers out of range beside their field, and sends a
// test alert through a real SMTP server (aiosmtpd) to the admins who get
// alerts.
func TestConsoleSiteSettings(t *testing.T) {
	mail := smtptest.Start(t)
	h := newHarnessHooked(t, harnessHooks{notifier: func(st store.Store) events.Notifier {
		m, err := events.NewMailer(events.MailerOptions{URL: "smtp://" + mail.Addr, From: "gatehouse@example.test"}, st, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}})
	b := adminBrowser(t, h, "ada")
	token := b.csrf("/admin/settings")
	// No admin asked for alerts yet: the test alert says what to do.
	if p := b.do("POST", "/admin/settings/test-alert", url.Values{"csrf_token": {token}}); p.status != http.StatusConflict || !strings.Contains(p.body, "No site admin gets alerts") {
		t.Fatalf("a test alert nobody would get: %d", p.status)
	}
	ada, _ := h.svc.GetUserByUsername(h.ctx, h.site.ID, "ada")
	email, yes := "ada@example.test", true
	if _, err := h.svc.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, ada.ID, identity.UserChange{Email: &email, NotifyOnAllSSOFailures: &yes}, false); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"csrf_token": {token}, "name": {"Contoso Files"}, "login_help_text": {"Call 555-0100"},
		"session_expiry_minutes": {"120"}, "password_min_length": {"12"}, "user_lockout": {"on"}, "user_lockout_tries": {"5"},
		"user_lockout_within": {"6"}, "user_lockout_lock_period": {"1"}, "event_retention_days": {"30"}, "non_sso_users_allowed": {"on"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("event_retention_days", "-1")
	if p := b.do("POST", "/admin/settings", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "from 1 to 3650") {
		t.Fatalf("a retention of -1 day: %d", p.status)
	}
	if site, _ := h.svc.GetSite(h.ctx, h.site.ID); site.Name == "Contoso Files" {
		t.Fatal("a refused form saved the site name")
	}
	expectRedirect(t, b.do("POST", "/admin/settings", form), "/admin/settings?done=saved")
	site, _ := h.svc.GetSite(h.ctx, h.site.ID)
	if site.Name != "Contoso Files" || site.EventRetentionDays != 30 || site.SessionExpiryMinutes != 120 || site.NonSSOGroupsAllowed {
		t.Fatalf("saved site: %+v", site)
	}
	expectRedirect(t, b.do("POST", "/admin/settings/test-alert", url.Values{"csrf_token": {token}}), "/admin/settings?done=sent")
	msgs := mail.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject(t), "Test alert from Contoso Files") {
		t.Fatalf("the test alert: %d messages", len(msgs))
	}
	if p := b.do("GET", "/admin/settings", nil); !strings.Contains(p.body, "ada &lt;ada@example.test&gt;") {
		t.Errorf("the alert recipients are not listed")
	}
}

// TestConsoleMigrationWizard moves 120 directory accounts to a SAML
// provider through the wizard: a dry run first (nothing moves, the ones
// without a key are named), one person, then batches of 100 until none is
// left, and the old provider turned off.
func TestConsoleMigrationWizard(t *testing.T) {
	h := newHarness(t)
	dir := h.createStrategy("active_directory", "ldap", "Corp AD", true, false)
	saml := h.createStrategy("saml", "azure", "Entra", true, true)
	method, yes := store.AuthSSO, true
	for i := range 120 {
		name := "person" + strconv.Itoa(i)
		if _, err := h.svc.CreateUser(h.ctx, identity.SystemActor, h.site.ID, identity.UserChange{Username: &name,
			AuthenticationMethod: &method, SSOStrategyID: &dir.ID, SFTPPermission: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	b := adminBrowser(t, h, "root")
	token := b.csrf("/admin/migrate")
	form := func(action string, kv ...string) url.Values {
		v := url.Values{"csrf_token": {token}, "from": {itoa(dir.ID)}, "to": {itoa(saml.ID)}, "action": {action}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	p := b.do("POST", "/admin/migrate", form("dry-run"))
	if p.status != http.StatusOK || !strings.Contains(p.body, "120 users would move") || !strings.Contains(p.body, "needs an SSH key for SFTP") {
		t.Fatalf("dry run: %d %s", p.status, p.body)
	}
	if n, _ := h.svc.CountProviderUsers(h.ctx, h.site.ID, dir.ID); n != 120 {
		t.Fatalf("the dry run moved users: %d left", n)
	}
	if p := b.do("POST", "/admin/migrate", form("one", "one", "nobody")); p.status != http.StatusNotFound {
		t.Fatalf("moving an unknown person: %d", p.status)
	}
	p = b.do("POST", "/admin/migrate", form("one", "one", "person7"))
	if p.status != http.StatusOK || !strings.Contains(p.body, "/saml/login?sso_strategy_id="+itoa(saml.ID)) {
		t.Fatalf("one person: %d %s", p.status, p.body)
	}
	p = b.do("POST", "/admin/migrate", form("move"))
	if p.status != http.StatusOK || !strings.Contains(p.body, "Moved 100 of 119") || !strings.Contains(p.body, "data-autosubmit") {
		t.Fatalf("first batch: %d %s", p.status, p.body)
	}
	p = b.do("POST", "/admin/migrate", form("move", "done", "100", "total", "119"))
	if p.status != http.StatusOK || !strings.Contains(p.body, "Moved 119 of 119") || strings.Contains(p.body, "data-autosubmit") ||
		!strings.Contains(p.body, "Turn off Corp AD") {
		t.Fatalf("last batch: %d %s", p.status, p.body)
	}
	if n, _ := h.svc.CountProviderUsers(h.ctx, h.site.ID, saml.ID); n != 120 {
		t.Fatalf("%d users on the SAML provider", n)
	}
	expectRedirect(t, b.do("POST", "/admin/migrate/disable-source", url.Values{"csrf_token": {token}, "from": {itoa(dir.ID)}}),
		"/admin/providers/"+itoa(dir.ID)+"?saved=updated")
	if p, _ := h.svc.GetSSOStrategy(h.ctx, h.site.ID, dir.ID); p.Enabled {
		t.Fatal("the old provider is still on")
	}
}

// TestConsoleLogs: the SSO log filters by provider, user, type and
// status, pages newest first without repeating or skipping an entry, and
// refuses a date that is not one beside its field.
func TestConsoleLogs(t *testing.T) {
	h := newHarness(t)
	p := h.createStrategy("saml", "azure", "Entra", true, true)
	for i := range 120 {
		status := store.EventSuccess
		if i%10 == 0 {
			status = store.EventFailure
		}
		e := store.SSOEvent{SiteID: h.site.ID, EventType: "saml_login", Status: status, Username: "user" + strconv.Itoa(i%3),
			ProviderLabel: "Entra", SSOStrategyID: p.ID, CreatedAt: h.clock.Now()}
		if err := h.st.CreateSSOEvent(h.ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	b := adminBrowser(t, h, "root")
	rows := func(body string) int { return strings.Count(body, `<a href="/admin/logs/sso/`) }
	first := b.do("GET", "/admin/logs/sso?provider="+itoa(p.ID), nil)
	if first.status != http.StatusOK || rows(first.body) != 50 || !strings.Contains(first.body, "Older entries") {
		t.Fatalf("first page: %d, %d rows", first.status, rows(first.body))
	}
	seen := map[string]bool{}
	next := "/admin/logs/sso?provider=" + itoa(p.ID)
	for next != "" {
		pg := b.do("GET", next, nil)
		for _, m := range regexp.MustCompile(`/admin/logs/sso/(\d+)"`).FindAllStringSubmatch(pg.body, -1) {
			if seen[m[1]] {
				t.Fatalf("entry %s shown twice", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := regexp.MustCompile(`href="(/admin/logs/sso\?[^"]*before=[^"]*)">Older entries`).FindStringSubmatch(pg.body); m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	if len(seen) != 120 {
		t.Fatalf("paging showed %d of 120 entries", len(seen))
	}
	if p := b.do("GET", "/admin/logs/sso?status=failure&username=user0", nil); rows(p.body) != 4 {
		t.Errorf("failures of user0: %d rows, want 4", rows(p.body))
	}
	if p := b.do("GET", "/admin/logs/sso?from=yesterday", nil); p.status != http.StatusBadRequest || !strings.Contains(p.body, "a date (YYYY-MM-DD)") {
		t.Errorf("a date that is not one: %d", p.status)
	}
	if p := b.do("GET", "/admin/logs/sso?provider=x", nil); p.status != http.StatusBadRequest {
		t.Errorf("a provider that is not an id: %d", p.status)
	}
	// The console's script follows the entries in place: a meta refresh
	// would be a time limit (WCAG 2.2.1).
	if p := b.do("GET", "/admin/logs/sso?live=1", nil); !strings.Contains(p.body, `id="log-entries" data-poll="5"`) ||
		strings.Contains(p.body, `http-equiv="refresh"`) {
		t.Error("the live tail is not followed by the console's script")
	}
}
