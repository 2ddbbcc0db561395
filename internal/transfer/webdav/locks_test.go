package webdav

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

const exclusiveLock = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
	`<D:locktype><D:write/></D:locktype><D:owner>tester</D:owner></D:lockinfo>`

// curlLock sends a LOCK with curl (extra adds headers, e.g. Depth) and
// answers the status, the body and the Lock-Token the server gave.
func curlLock(t *testing.T, base, user, path string, extra ...string) (int, string, string) {
	t.Helper()
	args := []string{"-i", "-u", user + ":" + pw, "-X", "LOCK", "-H", "Content-Type: application/xml", "-H", "Timeout: Second-600",
		"--data-binary", exclusiveLock}
	for _, h := range extra {
		args = append(args, "-H", h)
	}
	code, out := curl(t, append(args, base+path)...)
	token := ""
	if m := regexp.MustCompile(`(?i)\nLock-Token: <([^>]+)>`).FindStringSubmatch(out); m != nil {
		token = m[1]
	}
	return code, out, token
}

// TestLockNeedsWriteAccess: a LOCK is a write. Someone who may not write
// at a path (a read-only group member, a user outside the group, anyone
// on the layout's own folders or another user's home) is answered 403 and
// leaves no lock behind, so the people who may write there are never
// locked out by them; a lock on a file whose folder is missing is 409.
// Only the lock's creator refreshes it or writes with its token; only
// they or a site admin remove it.
func TestLockNeedsWriteAccess(t *testing.T) {
	h := transfertest.New(t)
	owner, reader, peer, root := h.PasswordUser("owner"), h.PasswordUser("reader"), h.PasswordUser("peer"), h.PasswordUser("root")
	h.PasswordUser("outsider")
	if _, err := h.Svc.UpdateUser(h.Ctx, identity.SystemActor, h.Site.ID, root.ID, identity.UserChange{SiteAdmin: ptr(true)}, false); err != nil {
		t.Fatal(err)
	}
	eng := h.Group("eng", owner, peer)
	if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: eng.ID, UserID: reader.ID}); err != nil {
		t.Fatal(err)
	}
	base, _ := startDAV(t, h, nil)
	if code, body := curl(t, "-u", "owner:"+pw, "-T", "-", base+"/dav/groups/eng/plan.txt"); code != http.StatusCreated {
		t.Fatalf("the group admin's PUT: %d %s", code, body)
	}
	noLocks := func(when string) {
		t.Helper()
		live, err := h.Store.ListDAVLocks(h.Ctx, h.Site.ID, time.Now())
		if err != nil || len(live) != 0 {
			t.Fatalf("%s: want no stored lock, got %+v (err %v)", when, live, err)
		}
	}

	for _, tc := range []struct {
		user, path string
		depth      string
		want       int
	}{
		{"reader", "/dav/groups/eng/plan.txt", "0", http.StatusForbidden},
		{"reader", "/dav/groups/eng/new.txt", "0", http.StatusForbidden}, // a lock-null resource
		{"reader", "/dav/groups/eng", "infinity", http.StatusForbidden},
		{"reader", "/dav/groups/eng/", "infinity", http.StatusForbidden},
		{"reader", "/dav/groups", "infinity", http.StatusForbidden},
		{"reader", "/dav/users", "infinity", http.StatusForbidden},
		{"outsider", "/dav/users/owner/mine.txt", "0", http.StatusForbidden},
		{"outsider", "/dav/groups/eng/plan.txt", "0", http.StatusNotFound},
		{"outsider", "/dav/missing/folder/x.txt", "0", http.StatusConflict},
	} {
		code, out, _ := curlLock(t, base, tc.user, tc.path, "Depth: "+tc.depth)
		if code != tc.want {
			t.Errorf("%s's LOCK of %s: want %d, got %d\n%s", tc.user, tc.path, tc.want, code, out)
		}
		noLocks(tc.user + "'s LOCK of " + tc.path)
	}
	if _, err := userFS(t, h, owner).Stat(h.Ctx, "/groups/eng/new.txt"); err == nil {
		t.Error("a refused LOCK created a lock-null file")
	}
	if code, body := curl(t, "-u", "owner:"+pw, "-T", "-", base+"/dav/groups/eng/plan.txt"); code != http.StatusCreated && code != http.StatusNoContent {
		t.Fatalf("the group admin's PUT after the refused locks: %d %s", code, body)
	}

	// The owner's own lock: the peer (who may write too) can neither
	// refresh it, nor write with its token, nor remove it; the reader's
	// refresh is refused as any LOCK of theirs is.
	code, out, token := curlLock(t, base, "owner", "/dav/groups/eng/plan.txt", "Depth: 0")
	if code != http.StatusOK || token == "" {
		t.Fatalf("the group admin's LOCK: %d\n%s", code, out)
	}
	refresh := func(user string) int {
		code, _ := curl(t, "-u", user+":"+pw, "-X", "LOCK", "-H", "If: (<"+token+">)", "-H", "Timeout: Second-60", base+"/dav/groups/eng/plan.txt")
		return code
	}
	if code := refresh("reader"); code != http.StatusForbidden {
		t.Errorf("the reader's refresh of the owner's lock: want 403, got %d", code)
	}
	if code := refresh("peer"); code != http.StatusPreconditionFailed {
		t.Errorf("the peer's refresh of the owner's lock: want 412, got %d", code)
	}
	if code, _ := curl(t, "-u", "peer:"+pw, "-T", "-", "-H", "If: (<"+token+">)", base+"/dav/groups/eng/plan.txt"); code != http.StatusPreconditionFailed {
		t.Errorf("the peer's PUT with the owner's token: want 412, got %d", code)
	}
	for _, user := range []string{"peer", "reader"} {
		if code, _ := curl(t, "-u", user+":"+pw, "-X", "UNLOCK", "-H", "Lock-Token: <"+token+">", base+"/dav/groups/eng/plan.txt"); code != http.StatusForbidden {
			t.Errorf("%s's UNLOCK of the owner's lock: want 403, got %d", user, code)
		}
	}
	if code := refresh("owner"); code != http.StatusOK {
		t.Errorf("the owner's refresh: want 200, got %d", code)
	}
	if code, _ := curl(t, "-u", "owner:"+pw, "-T", "-", "-H", "If: (<"+token+">)", base+"/dav/groups/eng/plan.txt"); code >= 300 {
		t.Errorf("the owner's PUT with the token: %d", code)
	}
	// A site admin may break a lock someone left behind.
	if code, _ := curl(t, "-u", "root:"+pw, "-X", "UNLOCK", "-H", "Lock-Token: <"+token+">", base+"/dav/groups/eng/plan.txt"); code != http.StatusNoContent {
		t.Errorf("the site admin's UNLOCK: want 204, got %d", code)
	}
	noLocks("after the site admin's UNLOCK")
	if strings.Contains(h.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("refused locks logged errors:\n%s", h.Logs.String())
	}
}
