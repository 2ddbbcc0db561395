package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// consoleAdmin signs a site admin in with a browser and returns the
// browser and the CSRF token the console's forms carry.
func consoleAdmin(t *testing.T, h *harness, username string) (*browser, string) {
	t.Helper()
	h.createUser(username, true)
	b := newBrowser(h)
	if p := b.login(username, strongPassword); p.status != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", username, p.status, p.body)
	}
	return b, b.csrf("/admin/users")
}

// post sends a console form with token.
func (b *browser) postForm(path, token string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", token)
	return b.do("POST", path, form)
}

func mustContain(t *testing.T, p page, status int, want ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d: %s", p.status, status, p.body)
	}
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("page lacks %q: %s", w, p.body)
		}
	}
}

func mustLack(t *testing.T, p page, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(p.body, w) {
			t.Fatalf("page has %q: %s", w, p.body)
		}
	}
}

func (h *harness) changeUser(id int64, fn func(*store.User)) {
	h.t.Helper()
	if _, err := h.st.UpdateUser(h.ctx, h.site.ID, id, func(u *store.User) error { fn(u); return nil }); err != nil {
		h.t.Fatal(err)
	}
}

func TestConsoleUsersListSearchFiltersAndPages(t *testing.T) {
	h := newHarness(t)
	b, _ := consoleAdmin(t, h, "root")
	sso := h.createStrategy("saml", "okta", "Okta", true, true)
	alice := h.createUser("alice", false)
	bob := h.createUser("bob", false)
	carol := h.createUser("carol", false)
	dave := h.createUser("dave", false)
	h.changeUser(alice.ID, func(u *store.User) { u.Name, u.Email = "Alice Liddell", "wonder@example.com" })
	h.changeUser(bob.ID, func(u *store.User) { u.AuthenticationMethod, u.SSOStrategyID = store.AuthSSO, sso.ID })
	h.changeUser(carol.ID, func(u *store.User) { u.LockoutExpires = h.clock.Now().Add(time.Hour) })
	h.changeUser(dave.ID, func(u *store.User) { u.Disabled, u.LockoutExpires = true, h.clock.Now().Add(-time.Hour) })

	row := func(u string) string { return ">" + u + "</a></td>" }
	for _, tc := range []struct {
		query     string
		want, not []string
	}{
		{"", []string{row("root"), row("alice"), row("bob"), row("carol"), row("dave")}, nil},
		{"?q=ali", []string{row("alice")}, []string{row("bob"), row("root")}},
		{"?q=wonder", []string{row("alice")}, []string{row("bob")}},
		{"?q=LIDD", nil, []string{row("alice")}}, // a prefix, not a substring
		{"?q=liddell", nil, []string{row("alice")}},
		{"?q=alice+liddell", []string{row("alice")}, nil},
		{"?method=sso", []string{row("bob"), "sso · Okta"}, []string{row("alice")}},
		{"?method=password", []string{row("alice")}, []string{row("bob")}},
		{"?provider=" + itoa(sso.ID), []string{row("bob")}, []string{row("alice")}},
		{"?locked=yes", []string{row("carol"), "locked"}, []string{row("dave"), row("alice")}},
		{"?disabled=yes", []string{row("dave")}, []string{row("carol")}},
		{"?admin=yes", []string{row("root")}, []string{row("alice")}},
		{"?admin=no&disabled=no", []string{row("alice"), row("carol")}, []string{row("root"), row("dave")}},
		{"?method=nonsense&sort=password_hash&admin=maybe", []string{row("root"), row("dave")}, nil}, // unknown values are dropped
		{"?q=%3Cscript%3E", []string{"&lt;script&gt;", "No user matches"}, []string{"<script>"}},
	} {
		p := b.do("GET", "/admin/users"+tc.query, nil)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.query, p.status, p.body)
		}
		for _, w := range tc.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s: no %q", tc.query, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(p.body, w) {
				t.Errorf("%s: has %q", tc.query, w)
			}
		}
	}

	// 120 more users: pages of 50 by name, descending, each after the last.
	for i := range 120 {
		u := h.createUser(fmt.Sprintf("user%03d", i), false)
		h.changeUser(u.ID, func(u *store.User) { u.Name = fmt.Sprintf("Person %03d", i) })
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`)
	path, seen, pages := "/admin/users?q=user&sort=name&dir=desc", []string{}, 0
	for path != "" {
		p := b.do("GET", path, nil)
		if p.status != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, p.status, p.body)
		}
		seen = append(seen, regexp.MustCompile(`>(user\d{3})</a>`).FindAllString(p.body, -1)...)
		pages++
		path = ""
		if m := next.FindStringSubmatch(p.body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if pages != 3 || len(seen) != 120 || seen[0] != ">user119</a>" || seen[119] != ">user000</a>" {
		t.Fatalf("%d pages, %d users, first %q", pages, len(seen), seen[:1])
	}
	// A cursor of one list does not continue another, nor a made-up one.
	p := b.do("GET", "/admin/users?q=user&sort=name&dir=desc", nil)
	nextURL, err := url.Parse(html.UnescapeString(next.FindStringSubmatch(p.body)[1]))
	if err != nil {
		t.Fatal(err)
	}
	cursor := "cursor=" + url.QueryEscape(nextURL.Query().Get("cursor"))
	for _, bad := range []string{"/admin/users?q=user&sort=name&" + cursor, "/admin/users?" + cursor,
		"/admin/users?cursor=AAAA", "/admin/users?sort=name&cursor=" + strings.Repeat("A", 5000)} {
		if p := b.do("GET", bad, nil); p.status != http.StatusBadRequest || !strings.Contains(p.body, "out of date") {
			t.Errorf("%s: %d", bad, p.status)
		}
	}
}

func TestConsoleUserPageAndActions(t *testing.T) {
	h := newHarness(t)
	b, token := consoleAdmin(t, h, "root")
	okta := h.createStrategy("saml", "okta", "Okta", true, true)
	ad := h.createStrategy("active_directory", "ldap", "Corp AD", true, false)
	alice := h.createUser("alice", false)
	userPath := "/admin/users/" + itoa(alice.ID)

	p := b.do("GET", userPath, nil)
	mustContain(t, p, 200, "<h1>alice</h1>", "SSO: Okta", "LDAP: Corp AD", `name="csrf_token"`)

	// Authentication: SSO with a provider, LDAP, then back to a password.
	expectRedirect(t, b.postForm(userPath+"/auth", token, url.Values{"authentication_method": {"provider:" + itoa(okta.ID)}}), userPath+"?saved=auth")
	if u, _ := h.svc.GetUser(h.ctx, h.site.ID, alice.ID); u.AuthenticationMethod != store.AuthSSO || u.SSOStrategyID != okta.ID {
		t.Fatalf("after SSO: %s %d", u.AuthenticationMethod, u.SSOStrategyID)
	}
	mustContain(t, b.do("GET", userPath+"?saved=auth", nil), 200, "Authentication method saved.",
		fmt.Sprintf(`value="provider:%d" selected`, okta.ID))
	expectRedirect(t, b.postForm(userPath+"/auth", token, url.Values{"authentication_method": {"provider:" + itoa(ad.ID)}}), userPath+"?saved=auth")
	if u, _ := h.svc.GetUser(h.ctx, h.site.ID, alice.ID); u.SSOStrategyID != ad.ID {
		t.Fatalf("after LDAP: %d", u.SSOStrategyID)
	}
	for _, bad := range []string{"", "provider:", "provider:x", "provider:-3", "sso", "admin"} {
		p := b.postForm(userPath+"/auth", token, url.Values{"authentication_method": {bad}})
		mustContain(t, p, 400, "Nothing was saved", `aria-invalid="true"`)
	}
	p = b.postForm(userPath+"/auth", token, url.Values{"authentication_method": {"provider:999999"}})
	mustContain(t, p, http.StatusUnprocessableEntity, "is not an SSO provider of this site")
	expectRedirect(t, b.postForm(userPath+"/auth", token, url.Values{"authentication_method": {"password"}}), userPath+"?saved=auth")

	// The lock-out guard: the only password site admin cannot leave.
	root, _ := h.svc.GetUserByUsername(h.ctx, h.site.ID, "root")
	rootPath := "/admin/users/" + itoa(root.ID)
	p = b.postForm(rootPath+"/auth", token, url.Values{"authentication_method": {"provider:" + itoa(okta.ID)}})
	mustContain(t, p, 409, "without an enabled site admin who signs in with a password", `class="error" role="alert"`)
	mustLack(t, p, "goroutine", ".go:")
	p = b.postForm(rootPath+"/access", token, url.Values{"restapi_permission": {"on"}})
	mustContain(t, p, 409, "without an enabled site admin")

	// Access: channels, site admin, disabled.
	expectRedirect(t, b.postForm(userPath+"/access", token, url.Values{"sftp_permission": {"on"}, "dav_permission": {"on"}}), userPath+"?saved=access")
	u, _ := h.svc.GetUser(h.ctx, h.site.ID, alice.ID)
	if !u.SFTPPermission || !u.DAVPermission || u.FTPPermission || u.RestAPIPermission || u.SiteAdmin || u.Disabled {
		t.Fatalf("access: %+v", u)
	}
	expectRedirect(t, b.postForm(userPath+"/access", token, url.Values{"restapi_permission": {"on"}, "notify_on_all_sso_failures": {"on"}}), userPath+"?saved=access")
	if u, _ = h.svc.GetUser(h.ctx, h.site.ID, alice.ID); !u.RestAPIPermission || u.SFTPPermission || !u.NotifyOnAllSSOFailures {
		t.Fatalf("access: %+v", u)
	}

	// Groups.
	gname := "Engineering"
	g, err := h.svc.CreateGroup(h.ctx, identity.SystemActor, h.site.ID, identity.GroupChange{Name: &gname})
	if err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, b.postForm(userPath+"/groups", token, url.Values{"group": {itoa(g.ID)}}), userPath+"?saved=groups")
	if member, _, _ := h.svc.UserGroupIDs(h.ctx, h.site.ID, alice.ID); len(member) != 1 || member[0] != g.ID {
		t.Fatalf("groups: %v", member)
	}
	mustContain(t, b.postForm(userPath+"/groups", token, url.Values{"group": {"x"}}), 400, "Nothing was saved")
	p = b.postForm(userPath+"/groups", token, url.Values{"group": {"999999"}})
	if p.status < 400 || p.status >= 500 {
		t.Fatalf("unknown group: %d", p.status)
	}
	mustContain(t, b.do("GET", "/admin/groups", nil), 200, ">Engineering</a>", "this site")
	mustContain(t, b.do("GET", "/admin/groups/"+itoa(g.ID), nil), 200, "<h1>Engineering</h1>", ">alice</a>")
	for _, bad := range []string{"/admin/groups/x", "/admin/groups/0", "/admin/groups/999999", "/admin/groups?cursor=zz"} {
		if p := b.do("GET", bad, nil); p.status != 404 && p.status != 400 {
			t.Errorf("%s: %d", bad, p.status)
		}
	}

	// Unlock.
	h.changeUser(alice.ID, func(u *store.User) { u.LockoutExpires = h.clock.Now().Add(time.Hour) })
	mustContain(t, b.do("GET", userPath, nil), 200, "Locked out until", "/unlock")
	expectRedirect(t, b.postForm(userPath+"/unlock", token, nil), userPath+"?saved=unlocked")
	if u, _ := h.svc.GetUser(h.ctx, h.site.ID, alice.ID); u.LockoutExpires.After(h.clock.Now()) {
		t.Fatal("still locked")
	}

	// Reset password: shown once; the user must change it.
	p = b.postForm(userPath+"/reset-password", token, nil)
	mustContain(t, p, 200, "One-time password")
	m := regexp.MustCompile(`One-time password</dt><dd><span class="copyable"><code>([^<]+)</code>`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no password in %s", p.body)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("cache-control %q", p.header.Get("Cache-Control"))
	}
	other := newBrowser(h)
	expectRedirect(t, other.login("alice", html.UnescapeString(m[1])), "/password")

	// Keys: another user's key through alice's page is not found.
	bob := h.createUser("bob", false)
	aliceKey, _ := h.apiKeyFor(alice, time.Time{})
	bobKey, _ := h.apiKeyFor(bob, time.Time{})
	mustContain(t, b.do("GET", userPath, nil), 200, "key for alice", "/api-keys/"+itoa(aliceKey.ID)+"/revoke")
	mustContain(t, b.postForm(userPath+"/api-keys/"+itoa(bobKey.ID)+"/revoke", token, nil), 404)
	mustContain(t, b.postForm(userPath+"/api-keys/x/revoke", token, nil), 404)
	mustContain(t, b.postForm(userPath+"/ssh-keys/1/revoke", token, nil), 404)
	expectRedirect(t, b.postForm(userPath+"/api-keys/"+itoa(aliceKey.ID)+"/revoke", token, nil), userPath+"?saved=key")
	if _, err := h.svc.GetAPIKey(h.ctx, identity.SystemActor, h.site.ID, bobKey.ID); err != nil {
		t.Fatalf("bob's key: %v", err)
	}
	if _, err := h.svc.GetAPIKey(h.ctx, identity.SystemActor, h.site.ID, aliceKey.ID); err == nil {
		t.Fatal("alice's key survived")
	}

	// Delete: the username typed exactly, and a fresh sign-in.
	mustContain(t, b.postForm(userPath+"/delete", token, url.Values{"confirm": {"Alice"}}), 400, "type the username exactly")
	h.clock.Advance(console10m + freshFormGrace + time.Minute)
	p = b.postForm(userPath+"/delete", token, url.Values{"confirm": {"alice"}})
	mustContain(t, p, 403, `action="/reauth"`)
	if _, err := h.svc.GetUser(h.ctx, h.site.ID, alice.ID); err != nil {
		t.Fatal("deleted without a fresh sign-in")
	}
	reauth := b.postForm("/reauth", b.csrf("/reauth?next=/admin/users"), url.Values{"password": {strongPassword}, "next": {userPath}})
	expectRedirect(t, reauth, userPath)
	token = b.csrf(userPath)
	expectRedirect(t, b.postForm(userPath+"/delete", token, url.Values{"confirm": {"alice"}}), "/admin/users?deleted="+itoa(alice.ID))
	if _, err := h.svc.GetUser(h.ctx, h.site.ID, alice.ID); err == nil {
		t.Fatal("not deleted")
	}
	mustContain(t, b.do("GET", userPath, nil), 404)
}

// console10m is console.FreshFor, spelled here so the test reads plainly.
const console10m = 10 * time.Minute

func TestConsoleUsersHostileInput(t *testing.T) {
	h := newHarness(t)
	b, token := consoleAdmin(t, h, "root")
	alice := h.createUser("alice", false)
	userPath := "/admin/users/" + itoa(alice.ID)

	acme, err := h.svc.CreateSite(h.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	pw, method := strongPassword, store.AuthPassword
	stranger, err := h.svc.CreateUser(h.ctx, identity.SystemActor, acme.ID, identity.UserChange{Username: ptr("stranger"), Password: &pw, AuthenticationMethod: &method})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/users/x", "/admin/users/0", "/admin/users/-1", "/admin/users/99999999999999999999",
		"/admin/users/" + itoa(stranger.ID)} {
		p := b.do("GET", path, nil)
		mustContain(t, p, 404)
		mustLack(t, p, "stranger")
		mustContain(t, b.postForm(path+"/access", token, url.Values{"disabled": {"on"}}), 404)
	}
	if u, _ := h.svc.GetUser(h.ctx, acme.ID, stranger.ID); u.Disabled {
		t.Fatal("another site's user was disabled")
	}

	// A stale or missing CSRF token changes nothing.
	for _, tok := range []string{"", otherFirstChar(token)} {
		form := url.Values{"sftp_permission": {"on"}, "csrf_token": {tok}}
		if p := b.do("POST", userPath+"/access", form); p.status != http.StatusForbidden {
			t.Fatalf("token %q: %d", tok, p.status)
		}
	}
	if u, _ := h.svc.GetUser(h.ctx, h.site.ID, alice.ID); u.SFTPPermission {
		t.Fatal("changed without a CSRF token")
	}

	// An oversized form is refused before any page sees it.
	big := url.Values{"confirm": {strings.Repeat("a", maxBodyBytes)}}
	if p := b.postForm(userPath+"/delete", token, big); p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized form: %d", p.status)
	}

	// A user's markup is text.
	h.changeUser(alice.ID, func(u *store.User) { u.Name = `<img src=x onerror=alert(1)>` })
	p := b.do("GET", userPath, nil)
	mustContain(t, p, 200, "&lt;img src=x onerror=alert(1)&gt;")
	mustLack(t, p, "<img src=x")

	// A signed-in user who is not a site admin gets 403 on every page.
	nb := newBrowser(h)
	if p := nb.login("alice", strongPassword); p.status != http.StatusSeeOther {
		t.Fatalf("alice login: %d", p.status)
	}
	ntoken := nb.csrf("/")
	for _, path := range []string{"/admin/users", userPath, "/admin/groups", "/admin/groups/1"} {
		if p := nb.do("GET", path, nil); p.status != http.StatusForbidden {
			t.Errorf("GET %s as non-admin: %d", path, p.status)
		}
	}
	for _, path := range []string{userPath + "/access", userPath + "/reset-password", userPath + "/delete"} {
		if p := nb.postForm(path, ntoken, url.Values{"site_admin": {"on"}, "confirm": {"alice"}}); p.status != http.StatusForbidden {
			t.Errorf("POST %s as non-admin: %d", path, p.status)
		}
	}
	if u, _ := h.svc.GetUser(h.ctx, h.site.ID, alice.ID); u.SiteAdmin {
		t.Fatal("alice made herself a site admin")
	}
	// Signed out: sent to sign in, never a page.
	anon := newBrowser(h)
	if p := anon.do("GET", "/admin/users", nil); p.status != http.StatusSeeOther && p.status != http.StatusUnauthorized {
		t.Errorf("signed out: %d", p.status)
	}
}
