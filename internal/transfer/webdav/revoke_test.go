package webdav

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

func ptr[T any](v T) *T { return &v }

// propfind is curl's PROPFIND of path with Depth 1 as user.
func propfind(t *testing.T, base, user, secret, path string) (int, string) {
	t.Helper()
	return curl(t, "-u", user+":"+secret, "-X", "PROPFIND", "-H", "Depth: 1", base+path)
}

// TestRememberedCredentialsFollowTheAccount: credentials the handler
// remembers between requests are held to the account as it is now, as an
// open FTP or SFTP connection is: a demoted admin, a member who left a
// group and a changed password take effect at the next request, while a
// lockout does not end credentials already verified.
func TestRememberedCredentialsFollowTheAccount(t *testing.T) {
	h := transfertest.New(t)
	root, other, alice, bob := h.PasswordUser("root"), h.PasswordUser("other"), h.PasswordUser("alice"), h.PasswordUser("bob")
	h.PasswordUser("keeper")
	update := func(u store.User, c identity.UserChange) {
		t.Helper()
		if _, err := h.Svc.UpdateUser(h.Ctx, identity.SystemActor, h.Site.ID, u.ID, c, true); err != nil {
			t.Fatal(err)
		}
	}
	update(root, identity.UserChange{SiteAdmin: ptr(true)})
	eng := h.Group("eng", alice)
	base, _ := startDAV(t, h, nil)
	if code, body := curl(t, "-u", "other:"+pw, "-T", "-", base+"/dav/secret.txt"); code != http.StatusCreated {
		t.Fatalf("other's PUT: %d %s", code, body)
	}
	for _, c := range []struct{ user, path string }{{"root", "/dav/users/other/"}, {"alice", "/dav/groups/eng/"}, {"bob", "/dav/"}} {
		if code, body := propfind(t, base, c.user, pw, c.path); code != http.StatusMultiStatus {
			t.Fatalf("%s's PROPFIND %s before the change: %d %s", c.user, c.path, code, body)
		}
	}

	update(root, identity.UserChange{SiteAdmin: ptr(false)})
	if err := h.Svc.RemoveGroupUser(h.Ctx, identity.SystemActor, h.Site.ID, eng.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	update(alice, identity.UserChange{Password: ptr("a brand new password 42")})
	if _, err := h.Store.UpdateUser(h.Ctx, h.Site.ID, bob.ID, func(u *store.User) error {
		u.LockoutExpires = time.Now().Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	if code, body := propfind(t, base, "root", pw, "/dav/users/other/"); code != http.StatusForbidden || strings.Contains(body, "secret.txt") {
		t.Errorf("the demoted admin's PROPFIND of other's home: want 403, got %d %s", code, body)
	}
	if code, _ := curl(t, "-u", "root:"+pw, "-T", "-", base+"/dav/users/other/plant.txt"); code < 400 {
		t.Errorf("the demoted admin's PUT into other's home: %d", code)
	}
	if code, _ := propfind(t, base, "alice", "a brand new password 42", "/dav/groups/eng/"); code != http.StatusNotFound {
		t.Errorf("PROPFIND of the group alice left: want 404, got %d", code)
	}
	if code, _ := propfind(t, base, "alice", pw, "/dav/"); code != http.StatusUnauthorized {
		t.Errorf("the remembered old password after the change: want 401, got %d", code)
	}
	if code, _ := propfind(t, base, "bob", pw, "/dav/"); code != http.StatusMultiStatus {
		t.Errorf("remembered credentials after a lockout: want them to go on working, got %d", code)
	}
	if _, err := userFS(t, h, other).Stat(h.Ctx, "/plant.txt"); err == nil {
		t.Error("the demoted admin still wrote into other's home")
	}
}
