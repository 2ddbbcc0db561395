package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestFilePagesForEveryKindOfUser: password, SAML, OpenID Connect and
// LDAP users (the LDAP one signed in with the directory's password on the
// real slapd) each browse and upload their own home in the browser, and
// see no one else's, without any file channel (SFTP, FTP, WebDAV): the
// web app is theirs with restapi_permission alone, which in Files.com's
// model is the web app's, the desktop app's and the API's permission.
func TestFilePagesForEveryKindOfUser(t *testing.T) {
	h := newLDAPHarness(t)
	hh := h.harness
	web := func(name string) store.User {
		pw, method, yes, no := strongPassword, store.AuthPassword, true, false
		u, err := hh.svc.CreateUser(hh.ctx, identity.SystemActor, hh.site.ID, identity.UserChange{Username: &name, Password: &pw,
			AuthenticationMethod: &method, RestAPIPermission: &yes, SFTPPermission: &no, FTPPermission: &no, DAVPermission: &no})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	browsers := map[string]struct {
		b     *browser
		token string
	}{}
	for kind, u := range map[string]store.User{
		"password": hh.createUser("pat", false),
		"web-only": web("wendy"),
		"saml":     hh.federatedAPIUser("sam", identity.ProtocolSAML, "okta"),
		"oidc":     hh.federatedAPIUser("olga", identity.ProtocolOAuth2, "azure"),
	} {
		b := sessionBrowser(t, hh, u)
		token := b.csrf("/files/")
		browsers[kind] = struct {
			b     *browser
			token string
		}{b, token}
	}
	ldapUser := newBrowser(hh)
	if p := ldapUser.login(ldaptest.UserAlice, ldaptest.Password(ldaptest.UserAlice)); p.status != http.StatusSeeOther {
		t.Fatalf("LDAP sign-in: %d %s", p.status, p.body)
	}
	browsers["ldap"] = struct {
		b     *browser
		token string
	}{ldapUser, ldapUser.csrf("/files/")}

	for kind, c := range browsers {
		browserUpload(t, c.b, c.token, "/"+kind+"-file.txt", []byte("from "+kind), 1<<20)
	}
	for kind, c := range browsers {
		// The LDAP user's directory groups show as the groups folder.
		names := strings.TrimPrefix(strings.Join(rowNames(c.b.do("GET", "/files/", nil).body), ","), "groups,")
		if names != kind+"-file.txt" {
			t.Errorf("%s sees %q", kind, names)
		}
		if d := c.b.do("GET", "/download/"+kind+"-file.txt", nil); d.status != 200 || d.body != "from "+kind {
			t.Errorf("%s downloads %d %q", kind, d.status, d.body)
		}
	}
}

// TestFilePagesFollowGroupAndAdminRights: a group member reads the
// group's folder and may not change it (no upload or actions drawn, and
// the forms and the upload refused when sent anyway); the group's admin
// may; a site admin sees every user's folder.
func TestFilePagesFollowGroupAndAdminRights(t *testing.T) {
	h := newHarness(t)
	member, memberUser, memberToken := appBrowser(t, h, "mia", false)
	lead, leadUser, leadToken := appBrowser(t, h, "leo", false)
	name := "Finance"
	if _, err := h.svc.CreateGroup(h.ctx, identity.SystemActor, h.site.ID, identity.GroupChange{Name: &name,
		UserIDs: &identity.IDList{memberUser.ID, leadUser.ID}, AdminIDs: &identity.IDList{leadUser.ID}}); err != nil {
		t.Fatal(err)
	}
	browserUpload(t, lead, leadToken, "/groups/Finance/budget.xlsx", []byte("numbers"), 1<<20)

	mine := member.do("GET", "/files/groups/Finance/", nil)
	mustContain(t, mine, 200, `value="budget.xlsx"`)
	if strings.Contains(mine.body, `id="upload"`) || strings.Contains(mine.body, `value="delete"`) {
		t.Fatal("a read-only member is offered upload or delete")
	}
	if p := member.do("POST", "/files/groups/Finance", url.Values{"csrf_token": {memberToken}, "op": {"delete"}, "sel": {"budget.xlsx"}, "confirm": {"yes"}}); p.status != http.StatusForbidden {
		t.Fatalf("a member's delete: %d %s", p.status, p.body)
	}
	if p := member.do("POST", "/files/groups/Finance", url.Values{"csrf_token": {memberToken}, "op": {"mkdir"}, "name": {"x"}}); p.status != http.StatusForbidden {
		t.Fatalf("a member's mkdir: %d", p.status)
	}
	// The member may copy the file out to their own home.
	expectRedirect(t, member.do("POST", "/files/groups/Finance", url.Values{"csrf_token": {memberToken}, "op": {"copy"}, "sel": {"budget.xlsx"}, "to": {"/"}}),
		"/files/groups/Finance/?done=copy")
	if d := lead.do("GET", "/download/groups/Finance/budget.xlsx", nil); d.body != "numbers" {
		t.Fatalf("the group's file after the member's attempts: %q", d.body)
	}
	lm := lead.do("GET", "/files/groups/Finance/", nil)
	mustContain(t, lm, 200, `id="upload"`, `value="delete"`)

	admin, _, _ := appBrowser(t, h, "root", true)
	top := rowNames(admin.do("GET", "/files/users/", nil).body)
	if strings.Join(top, ",") != "leo,mia,root" {
		t.Fatalf("a site admin's /users: %v", top)
	}
	if d := admin.do("GET", "/download/users/mia/budget.xlsx", nil); d.body != "numbers" {
		t.Fatalf("a site admin reads a user's file: %d %q", d.status, d.body)
	}
}
