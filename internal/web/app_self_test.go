package web

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/webapp"
)

// sessionBrowser is a browser holding a web session of u, as a single
// sign-on would have started it.
func sessionBrowser(t *testing.T, h *harness, u store.User) *browser {
	t.Helper()
	token, _, err := h.svc.StartSession(h.ctx, u, identity.ChannelWeb, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(h)
	base, _ := url.Parse(h.srv.URL)
	b.client.Jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: token, Path: "/"}})
	return b
}

// newPublicKey returns a fresh Ed25519 public key as one authorized_keys
// line, and its SHA256 fingerprint.
func newPublicKey(t *testing.T, comment string) (string, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment, ssh.FingerprintSHA256(sp)
}

// unescaped is a page with its HTML entities decoded, for text with
// characters the templates escape (fingerprints' + and /, quotes).
func unescaped(p page) page {
	p.body = html.UnescapeString(p.body)
	return p
}

var shownKey = regexp.MustCompile(`data-copy="(` + identity.APIKeyPrefix + `[^"]+)"`)

// TestSelfServiceAPIKeys: a user creates a key with a name, expiry and
// permission set, sees it once (never in a URL, never in the log), finds
// it listed, and it works on the REST API; a refused form shows the
// service's message; another user's key cannot be revoked from here, by
// a site admin either; revoking their own ends the key.
func TestSelfServiceAPIKeys(t *testing.T) {
	h := newHarness(t)
	expectRedirect(t, newBrowser(h).do("GET", "/api-keys", nil), "/login")
	b, alice, token := appBrowser(t, h, "alice", false)
	mustContain(t, b.do("GET", "/api-keys", nil), 200, `aria-current="page">API keys`, `value="files_only"`, "You have no API keys.")
	mustLack(t, b.do("GET", "/api-keys", nil), `value="none"`)

	expiry := h.clock.Now().AddDate(0, 1, 0).UTC().Format("2006-01-02")
	created := b.postForm("/api-keys", token, url.Values{"name": {"nightly sync"}, "expires": {expiry}, "permission_set": {"files_only"}})
	mustContain(t, created, 200, "only time the key is shown", "Files only", expiry)
	if created.header.Get("Location") != "" || !strings.Contains(created.header.Get("Cache-Control"), "no-store") {
		t.Fatalf("the key's page: Location %q, Cache-Control %q", created.header.Get("Location"), created.header.Get("Cache-Control"))
	}
	m := shownKey.FindStringSubmatch(created.body)
	if m == nil {
		t.Fatalf("no key on the page: %s", created.body)
	}
	key := m[1]
	if strings.Contains(h.logs.String(), key) {
		t.Fatal("the new key is in the log")
	}
	list := b.do("GET", "/api-keys", nil)
	mustContain(t, list, 200, "nightly sync", "Files only", expiry, "not yet", key[:8])
	mustLack(t, list, key)
	if r := h.call("GET", "/api/rest/v1/folders/", key, nil); r.status != 200 {
		t.Fatalf("the new key on the REST API: %d %s", r.status, r.body)
	}

	// The service's refusals, in its words; the form keeps what was sent.
	past := h.clock.Now().AddDate(0, 0, -2).UTC().Format("2006-01-02")
	refused := b.postForm("/api-keys", token, url.Values{"name": {"old"}, "expires": {past}, "permission_set": {"full"}})
	mustContain(t, refused, 422, "expires_at must be in the future", `value="old"`)
	mustContain(t, b.postForm("/api-keys", token, url.Values{"name": {"x"}, "permission_set": {"root"}}), 422, "permission_set")
	mustContain(t, b.postForm("/api-keys", token, url.Values{"name": {"x"}, "expires": {"tomorrow"}, "permission_set": {"full"}}), 422, "must be a date")
	mustContain(t, b.postForm("/api-keys", token, url.Values{"name": {""}, "permission_set": {"full"}}), 422, "Give the key a name")
	if p := b.do("POST", "/api-keys", url.Values{"name": {"no token"}, "permission_set": {"full"}}); p.status != http.StatusForbidden {
		t.Fatalf("a form without its CSRF token: %d", p.status)
	}

	// Another user's key: not found here, for a site admin too, and
	// nothing changes.
	bob := h.createUser("bob", false)
	bobKey, _ := h.apiKeyFor(bob, h.clock.Now().AddDate(1, 0, 0))
	mustContain(t, b.postForm(fmt.Sprintf("/api-keys/%d/revoke", bobKey.ID), token, nil), 404, "Not Found")
	mustLack(t, b.do("GET", "/api-keys", nil), "key for bob")
	admin, _, adminToken := appBrowser(t, h, "root", true)
	mustLack(t, admin.do("GET", "/api-keys", nil), "key for bob", "nightly sync")
	mustContain(t, admin.postForm(fmt.Sprintf("/api-keys/%d/revoke", bobKey.ID), adminToken, nil), 404, "Not Found")
	mustContain(t, b.postForm("/api-keys/nonsense/revoke", token, nil), 404)
	if _, err := h.svc.GetAPIKey(h.ctx, identity.SystemActor, h.site.ID, bobKey.ID); err != nil {
		t.Fatalf("bob's key after the refusals: %v", err)
	}

	keys, _ := h.svc.ListAPIKeys(h.ctx, identity.SystemActor, h.site.ID, store.KeyQuery{UserID: alice.ID})
	if len(keys) != 1 || keys[0].PermissionSet != "files_only" || keys[0].ExpiresAt.IsZero() {
		t.Fatalf("alice's keys: %+v", keys)
	}
	list = b.do("GET", "/api-keys", nil)
	mustContain(t, list, 200, `data-confirm="Revoke the API key nightly sync?`)
	expectRedirect(t, b.postForm(fmt.Sprintf("/api-keys/%d/revoke", keys[0].ID), token, nil), "/api-keys?done=revoked")
	mustContain(t, b.do("GET", "/api-keys?done=revoked", nil), 200, "API key revoked", "You have no API keys.")
	if r := h.call("GET", "/api/rest/v1/folders/", key, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("a revoked key on the REST API: %d", r.status)
	}
}

// TestSelfServiceSSHKeys: a user adds a key by paste and by file and sees
// its fingerprint; hostile input (a private key, garbage, options, a
// megabyte) is refused with the service's message and not echoed back;
// another user's key cannot be removed from here.
func TestSelfServiceSSHKeys(t *testing.T) {
	h := newHarness(t)
	b, alice, token := appBrowser(t, h, "alice", false)
	mustContain(t, b.do("GET", "/ssh-keys", nil), 200, `aria-current="page">SSH keys`, "You have no SSH keys.", `enctype="multipart/form-data"`)

	line, fp := newPublicKey(t, "alice@laptop")
	added := b.postForm("/ssh-keys", token, url.Values{"public_key": {line}})
	mustContain(t, unescaped(added), 200, "SSH key added", fp, "alice@laptop")

	fileLine, fileFP := newPublicKey(t, "alice@desktop")
	byFile := b.postMultipart("/ssh-keys", url.Values{"csrf_token": {token}, "title": {"desktop"}}, map[string][]byte{"public_key_file": []byte(fileLine + "\n")})
	mustContain(t, unescaped(byFile), 200, "SSH key added", fileFP, "desktop")
	list := unescaped(b.do("GET", "/ssh-keys", nil))
	mustContain(t, list, 200, fp, fileFP, "alice@laptop", `data-confirm="Remove the SSH key desktop?`)

	mustContain(t, unescaped(b.postForm("/ssh-keys", token, url.Values{"public_key": {line}})), 422, "already has the key "+fp)

	const private = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n"
	for name, tc := range map[string]struct {
		text string
		want string
	}{
		"private key": {private, "is a private key"},
		"garbage":     {"<script>alert(1)</script>", "is not an OpenSSH public key"},
		"options":     {`command="/bin/sh" ` + line, "must not carry authorized_keys options"},
		"large":       {strings.Repeat("A", 900<<10), "must be at most"},
		"empty":       {"   ", "Paste your public key"},
	} {
		p := b.postForm("/ssh-keys", token, url.Values{"title": {name}, "public_key": {tc.text}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(p.body), tc.want) {
			t.Errorf("%s: %d, want 422 saying %q: %.300s", name, p.status, tc.want, p.body)
		}
		if strings.Contains(p.body, "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ") || strings.Contains(p.body, "<script>alert") {
			t.Errorf("%s: the refused input is shown back", name)
		}
	}
	// A private key chosen as the file: refused the same way.
	mustContain(t, b.postMultipart("/ssh-keys", url.Values{"csrf_token": {token}}, map[string][]byte{"public_key_file": []byte(private)}), 422, "is a private key")
	// A body over the front end's bound is refused before any page.
	if p := b.postForm("/ssh-keys", token, url.Values{"public_key": {strings.Repeat("A", 1<<20)}}); p.status != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB pasted: %d", p.status)
	}
	if keys, _ := h.svc.ListPublicKeys(h.ctx, identity.SystemActor, h.site.ID, store.KeyQuery{UserID: alice.ID}); len(keys) != 2 {
		t.Fatalf("alice has %d keys after the refusals", len(keys))
	}

	// Another user's key: not found here, and it stays.
	bob := h.createUser("bob", false)
	bobLine, _ := newPublicKey(t, "bob@home")
	bobKey, err := h.svc.CreatePublicKey(h.ctx, identity.SystemActor, h.site.ID, identity.PublicKeyChange{UserID: &bob.ID, Title: ptr("bob's"), PublicKey: &bobLine})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, b.postForm(fmt.Sprintf("/ssh-keys/%d/remove", bobKey.ID), token, nil), 404, "Not Found")
	mustLack(t, b.do("GET", "/ssh-keys", nil), "bob@home", "bob&#39;s")
	if _, err := h.svc.GetPublicKey(h.ctx, identity.SystemActor, h.site.ID, bobKey.ID); err != nil {
		t.Fatalf("bob's key after the refusal: %v", err)
	}

	keys, _ := h.svc.ListPublicKeys(h.ctx, identity.SystemActor, h.site.ID, store.KeyQuery{UserID: alice.ID})
	expectRedirect(t, b.postForm(fmt.Sprintf("/ssh-keys/%d/remove", keys[0].ID), token, nil), "/ssh-keys?done=removed")
	if left, _ := h.svc.ListPublicKeys(h.ctx, identity.SystemActor, h.site.ID, store.KeyQuery{UserID: alice.ID}); len(left) != 1 {
		t.Fatalf("alice has %d keys after removing one", len(left))
	}
	mustContain(t, b.do("GET", "/ssh-keys?done=removed", nil), 200, "SSH key removed")
}

// TestSelfServiceConnect: How to connect tells a password user their
// password works where their permissions allow and shows the rest as not
// available; an SSO user is sent to SSH and API keys, with links; an
// LDAP-style user is told of their directory password; channels the
// server does not run are off.
func TestSelfServiceConnect(t *testing.T) {
	h := newHarness(t)
	b, alice, _ := appBrowser(t, h, "alice", false)
	sftp := true
	if _, err := h.svc.UpdateUser(h.ctx, identity.SystemActor, h.site.ID, alice.ID, identity.UserChange{SFTPPermission: &sftp}, true); err != nil {
		t.Fatal(err)
	}
	p := b.do("GET", "/connect", nil)
	mustContain(t, p, 200, `aria-current="page">How to connect`, "You sign in with a password kept by Gatehouse",
		h.srv.URL+"/api/rest/v1", "your password or an API key",
		"off on this server") // the harness runs no SFTP, FTP or WebDAV listener
	mustLack(t, p, "sftp -P")

	// With the listeners the server reports: addresses and command lines
	// for the channels alice may use, on the host of the base URL.
	addr := bodyServer(t, h, Options{Clock: h.clock.Now, WebDAV: http.NotFoundHandler(),
		Channels: func() webapp.Channels { return webapp.Channels{SFTPPort: 2022, FTPPort: 2021} }}, nil)
	served := newBrowser(&harness{t: t, srv: &httptest.Server{URL: "http://" + addr}})
	if p := served.login("alice", strongPassword); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.status)
	}
	p = served.do("GET", "/connect", nil)
	mustContain(t, p, 200, `data-copy="sftp -P 2022 alice@127.0.0.1"`, "sftp://127.0.0.1:2022", "your password or an SSH key",
		"ftp://127.0.0.1:2021", "not available to you: this user lacks dav_permission", "http://"+addr+"/dav/")
	mustLack(t, p, "off on this server", "lftp -u", "rclone config")
	h.changeUser(alice.ID, func(u *store.User) { u.FTPPermission, u.DAVPermission = true, true })
	p = served.do("GET", "/connect", nil)
	mustContain(t, p, 200, "lftp -u alice -e &#39;set ftp:ssl-force yes&#39; ftp://127.0.0.1:2021",
		"rclone config create gatehouse webdav url=http://"+addr+"/dav/ vendor=rclone user=alice", "enter your password")

	// An SSO user: single sign-on in the browser, keys elsewhere, with
	// links to make them.
	sso := h.federatedAPIUser("bob", "saml", "okta")
	h.changeUser(sso.ID, func(u *store.User) { u.SFTPPermission, u.DAVPermission = true, true })
	p = sessionBrowser(t, h, sso).do("GET", "/connect", nil)
	mustContain(t, p, 200, "You sign in through single sign-on", `href="/ssh-keys"`, `href="/api-keys"`,
		"single sign-on through", "an API key")
	mustLack(t, p, "your password")

	// A directory (LDAP) user: the directory password, everywhere they
	// have permission for.
	dir := h.federatedAPIUser("carol", identity.ProtocolOpenLDAP, "openldap")
	p = unescaped(sessionBrowser(t, h, dir).do("GET", "/connect", nil))
	mustContain(t, p, 200, "You sign in with your directory password", "your directory password (your organisation's sign-in provider) or an API key")
	mustLack(t, p, "single sign-on through")

}

// TestSelfServiceAccount: the page a sign-in lands on is the web app's
// account page, with the profile and the way to change a password (or
// where an SSO user's lives).
func TestSelfServiceAccount(t *testing.T) {
	h := newHarness(t)
	b, _, _ := appBrowser(t, h, "alice", false)
	p := b.do("GET", "/", nil)
	mustContain(t, p, 200, "<h1>Signed in</h1>", `href="/" aria-current="page">Account`, "<dd>alice</dd>", `href="/password"`, `href="/connect"`)
	mustLack(t, p, "Open the admin console")
	mustContain(t, b.do("GET", "/?done=password", nil), 200, `role="status">Your password has been changed`)
	mustLack(t, b.do("GET", "/?done=%3Cb%3Ehi", nil), "&lt;b&gt;hi", "<b>hi")

	admin, _, _ := appBrowser(t, h, "root", true)
	mustContain(t, admin.do("GET", "/", nil), 200, "Open the admin console", `href="/admin/">Admin console`)

	entra := h.createStrategy("saml", "azure", "Contoso Entra ID", true, true)
	sso := h.federatedAPIUser("bob", "saml", "okta")
	h.changeUser(sso.ID, func(u *store.User) { u.SSOStrategyID = entra.ID })
	p = sessionBrowser(t, h, sso).do("GET", "/", nil)
	mustContain(t, p, 200, "Your password is managed by Contoso Entra ID; change it there.")
	mustLack(t, p, `href="/password"`)
}
