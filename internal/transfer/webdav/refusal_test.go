package webdav

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// TestPermissionRefusalsAre403: whatever the method, a request the user's
// view refuses for want of permission is answered 403 with the reason
// (the webdav package alone answers 404, 405 or 500 by method), changes
// nothing, and a missing file is still 404.
func TestPermissionRefusalsAre403(t *testing.T) {
	h := transfertest.New(t)
	owner, reader := h.PasswordUser("owner"), h.PasswordUser("reader")
	eng := h.Group("eng", owner)
	if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: eng.ID, UserID: reader.ID}); err != nil {
		t.Fatal(err)
	}
	base, _ := startDAV(t, h, nil)
	if code, body := curl(t, "-u", "owner:"+pw, "-T", "-", base+"/dav/groups/eng/plan.txt"); code != http.StatusCreated {
		t.Fatalf("the group admin's PUT: %d %s", code, body)
	}
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"PUT", []string{"-T", "-", base + "/dav/groups/eng/new.txt"}, "read-only"},
		{"DELETE", []string{"-X", "DELETE", base + "/dav/groups/eng/plan.txt"}, "read-only"},
		{"MKCOL", []string{"-X", "MKCOL", base + "/dav/groups/eng/sub/"}, "read-only"},
		{"MOVE", []string{"-X", "MOVE", "-H", "Destination: " + base + "/dav/plan.txt", base + "/dav/groups/eng/plan.txt"}, "read-only"},
		{"COPY", []string{"-X", "COPY", "-H", "Destination: " + base + "/dav/groups/eng/copy.txt", base + "/dav/groups/eng/plan.txt"}, "read-only"},
		{"PROPFIND", []string{"-X", "PROPFIND", "-H", "Depth: 1", base + "/dav/users/"}, "only site admins"},
		{"GET", []string{base + "/dav/users/owner/plan.txt"}, "only site admins"},
	} {
		code, body := curl(t, append([]string{"-u", "reader:" + pw}, tc.args...)...)
		if code != http.StatusForbidden || !strings.Contains(body, tc.says) {
			t.Errorf("the reader's %s: want 403 saying %q, got %d %s", tc.name, tc.says, code, body)
		}
	}
	entries, err := userFS(t, h, owner).ReadDir(h.Ctx, "/groups/eng")
	if err != nil || len(entries) != 1 || entries[0].Name() != "plan.txt" {
		t.Errorf("refused requests changed the group folder: %v (err %v)", entries, err)
	}
	if code, _ := curl(t, "-u", "reader:"+pw, base+"/dav/groups/eng/missing.txt"); code != http.StatusNotFound {
		t.Errorf("GET of a missing file: want 404, got %d", code)
	}
}
