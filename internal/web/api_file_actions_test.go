package web

import (
	"errors"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	files_sdk "github.com/Files-com/files-sdk-go/v3"
	"github.com/Files-com/files-sdk-go/v3/file"
	file_migration "github.com/Files-com/files-sdk-go/v3/filemigration"
	"github.com/Files-com/files-sdk-go/v3/folder"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// putFile uploads content to p in one request with key, making its
// folder first.
func (h *harness) putFile(key, p, content string) {
	h.t.Helper()
	if dir := path.Dir(p); dir != "." {
		h.call("POST", apiPrefix+"/folders/"+dir+"?mkdir_parents=true", key, nil)
	}
	r := h.call("POST", apiPrefix+"/files/"+p, key, strings.NewReader(content), "Content-Type", "application/octet-stream")
	if r.status != http.StatusCreated {
		h.t.Fatalf("upload %s: %d %s", p, r.status, r.body)
	}
}

// fileContent reads p with key, or "" with the status when it is not there.
func (h *harness) fileContent(key, p string) (string, int) {
	h.t.Helper()
	r := h.call("GET", apiPrefix+"/file_contents/"+p, key, nil)
	if r.status != http.StatusOK {
		return "", r.status
	}
	return string(r.body), r.status
}

// TestSDKCopyMoveAndFolders drives copy, move, mkdir_parents and a
// recursive delete through Files.com's Go SDK, the way rclone's filescom
// backend does: a file action, then the migration wait, which must not
// need to poll.
func TestSDKCopyMoveAndFolders(t *testing.T) {
	h := newHarness(t)
	alice := h.createUser("alice", false)
	_, key := h.apiKeyFor(alice, time.Time{})
	cfg := sdkConfig(h, key)
	files, folders := file.Client{Config: cfg}, folder.Client{Config: cfg}
	migrations := file_migration.Client{Config: cfg}

	if _, err := folders.Create(files_sdk.FolderCreateParams{Path: "a/b/c", MkdirParents: ptrBool(true)}); err != nil {
		t.Fatalf("mkdir_parents: %v", err)
	}
	if _, err := folders.Create(files_sdk.FolderCreateParams{Path: "x/y"}); !files_sdk.IsNotExist(err) {
		t.Fatalf("a folder without its parent and without mkdir_parents: %v", err)
	}
	if _, err := folders.Create(files_sdk.FolderCreateParams{Path: "a/b/c", MkdirParents: ptrBool(true)}); !files_sdk.IsExist(err) {
		t.Fatalf("an existing folder again: %v", err)
	}
	h.putFile(key, "a/b/c/one.txt", "one")
	h.putFile(key, "a/top.txt", "top")

	wait := func(what string, action files_sdk.FileAction, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		m, err := migrations.Wait(action, func(files_sdk.FileMigration) {})
		if err != nil || m.Status != "completed" {
			t.Fatalf("%s: migration %+v %v", what, m, err)
		}
	}
	action, err := files.Copy(files_sdk.FileCopyParams{Path: "a/top.txt", Destination: "top-copy.txt", Overwrite: ptrBool(true)})
	wait("copy a file", action, err)
	action, err = files.Copy(files_sdk.FileCopyParams{Path: "a", Destination: "a-copy"})
	wait("copy a folder", action, err)
	action, err = files.Move(files_sdk.FileMoveParams{Path: "a-copy/b", Destination: "b-moved"})
	wait("move a folder", action, err)
	action, err = files.Move(files_sdk.FileMoveParams{Path: "top-copy.txt", Destination: "b-moved/top.txt"})
	wait("move a file", action, err)
	if n := h.requestCount("GET " + apiPrefix + "/file_migrations/0"); n != 0 {
		t.Fatalf("the SDK polled a migration %d times", n)
	}
	for p, want := range map[string]string{"a/top.txt": "top", "a/b/c/one.txt": "one", "a-copy/top.txt": "top",
		"b-moved/c/one.txt": "one", "b-moved/top.txt": "top"} {
		if got, code := h.fileContent(key, p); got != want {
			t.Errorf("%s: %q (%d), want %q", p, got, code, want)
		}
	}
	for _, gone := range []string{"a-copy/b", "top-copy.txt"} {
		if _, err := files.Find(files_sdk.FileFindParams{Path: gone}); err == nil {
			t.Errorf("%s is still there after the move", gone)
		}
	}
	if _, err := files.Move(files_sdk.FileMoveParams{Path: "a/top.txt", Destination: "b-moved/top.txt"}); !files_sdk.IsExist(err) {
		t.Fatalf("move onto a file without overwrite: %v", err)
	}

	var refused files_sdk.ResponseError
	if err := files.Delete(files_sdk.FileDeleteParams{Path: "b-moved"}); !errors.As(err, &refused) ||
		refused.Type != "processing-failure/folder-not-empty" {
		t.Fatalf("delete a folder that is not empty: %v", err)
	}
	if err := files.Delete(files_sdk.FileDeleteParams{Path: "b-moved", Recursive: ptrBool(true)}); err != nil {
		t.Fatalf("recursive delete: %v", err)
	}
	if _, code := h.fileContent(key, "b-moved/c/one.txt"); code != http.StatusNotFound {
		t.Fatalf("recursively deleted file answers %d", code)
	}
	// The files.com npm SDK sends recursive in a JSON body.
	if r := h.callJSON("DELETE", apiPrefix+"/files/a-copy", key, `{"recursive":true,"path":"a-copy"}`); r.status != http.StatusNoContent {
		t.Fatalf("recursive delete with a JSON body: %d %s", r.status, r.body)
	}
}

// TestCopyMoveRefusals: what a copy or move may not do is refused with
// Files.com's error type, and changes nothing.
func TestCopyMoveRefusals(t *testing.T) {
	h := newHarness(t)
	alice := h.createUser("alice", false)
	_, key := h.apiKeyFor(alice, time.Time{})
	admin := h.createUser("admin", true)
	_, adminKey := h.apiKeyFor(admin, time.Time{})
	readers := h.createGroupWith("Readers", alice, false)

	h.putFile(key, "dir/in.txt", "inside")
	h.putFile(key, "a.txt", "a")
	h.putFile(key, "b.txt", "b")
	h.putFile(adminKey, "groups/Readers/notice.txt", "notice")
	_ = readers

	post := func(action, from, body string) apiResponse {
		return h.callJSON("POST", apiPrefix+"/file_actions/"+action+"/"+from, key, body)
	}
	long := strings.Repeat("n", 256)
	for _, c := range []struct {
		action, from, body string
		status             int
		typ                string
	}{
		{"copy", "a.txt", `{"destination":"groups/Readers/a.txt"}`, 403, "not-authorized/not-authorized"},
		{"move", "a.txt", `{"destination":"groups/Readers/a.txt"}`, 403, "not-authorized/not-authorized"},
		{"move", "groups/Readers/notice.txt", `{"destination":"notice.txt"}`, 403, "not-authorized/not-authorized"},
		{"copy", "a.txt", `{"destination":"a.txt","overwrite":true}`, 400, "bad-request/destination-same"},
		{"move", "dir", `{"destination":"dir"}`, 400, "bad-request/destination-same"},
		{"copy", "dir", `{"destination":"dir/sub/copy"}`, 400, "bad-request/invalid-path"},
		{"move", "dir", `{"destination":"dir/inner"}`, 400, "bad-request/invalid-path"},
		{"copy", "a.txt", `{"destination":"../../etc/passwd"}`, 400, "bad-request/invalid-path"},
		{"copy", "%2e%2e/%2e%2e/etc/passwd", `{"destination":"passwd"}`, 400, "bad-request/invalid-path"},
		{"move", "a.txt", `{"destination":"dir/../../x"}`, 400, "bad-request/invalid-path"},
		{"copy", "a.txt", `{"destination":"` + long + `"}`, 400, "bad-request/invalid-path"},
		{"copy", "a.txt", `{"destination":"` + strings.Repeat("d/", 2100) + `x"}`, 400, "bad-request/invalid-path"},
		{"copy", "a.txt", `{"destination":"b.txt"}`, 422, "processing-failure/destination-exists"},
		{"move", "a.txt", `{"destination":"b.txt","overwrite":false}`, 422, "processing-failure/destination-exists"},
		{"copy", "a.txt", `{"destination":"dir","overwrite":true}`, 422, "processing-failure/destination-exists"},
		{"copy", "dir", `{"destination":"b.txt","overwrite":true}`, 422, "processing-failure/destination-exists"},
		{"copy", "a.txt", `{"destination":"missing/a.txt"}`, 422, "processing-failure/destination-parent-does-not-exist"},
		{"copy", "a.txt", `{"destination":"b.txt/a.txt"}`, 422, "processing-failure/destination-parent-conflict"},
		{"copy", "nothing.txt", `{"destination":"c.txt"}`, 404, "not-found/file-not-found"},
		{"copy", "a.txt", `{}`, 400, "bad-request/request-params-required"},
		{"copy", "a.txt", `{"destination":""}`, 400, "bad-request/request-params-required"},
		{"copy", "a.txt", `{"destination":7}`, 422, "bad-request/request-params-invalid"},
		{"copy", "a.txt", `{"destination":"z.txt","overwrite":"maybe"}`, 422, "bad-request/request-params-invalid"},
		{"copy", "a.txt", `not json`, 400, "bad-request/invalid-body"},
		{"move", "a.txt", `{"destination":"z.txt","structure":true}`, 422, "bad-request/request-params-invalid"},
		{"copy", "a.txt", `{"destination":"z.txt","structure":true}`, 400, "bad-request/invalid-path"},
		{"copy", "a.txt", `{"destination":"users/admin/a.txt"}`, 403, "not-authorized/not-authorized"},
		{"copy", "users/admin", `{"destination":"admin-home"}`, 403, "not-authorized/not-authorized"},
		{"copy", "", `{"destination":"home"}`, 403, "not-authorized/not-authorized"},
	} {
		r := post(c.action, c.from, c.body)
		if r.status != c.status || r.errType() != c.typ {
			t.Errorf("%s %s %s: %d %s, want %d %s", c.action, c.from, c.body, r.status, r.body, c.status, c.typ)
		}
	}
	// Nothing changed.
	for p, want := range map[string]string{"a.txt": "a", "b.txt": "b", "dir/in.txt": "inside", "groups/Readers/notice.txt": "notice"} {
		if got, code := h.fileContent(key, p); got != want {
			t.Errorf("%s after the refusals: %q (%d)", p, got, code)
		}
	}
	var list []fileJSON
	h.call("GET", apiPrefix+"/folders", key, nil).decode(t, &list)
	var names []string
	for _, f := range list {
		names = append(names, f.Path)
	}
	if strings.Join(names, ",") != "dir,groups,a.txt,b.txt" {
		t.Fatalf("the home holds %v after the refusals", names)
	}

	// A site-wide key has no files to copy.
	siteWide := int64(0)
	_, siteKey, err := h.svc.CreateAPIKey(h.ctx, identity.SystemActor, h.site.ID, identity.APIKeyChange{UserID: &siteWide, Name: strPointer("site")})
	if err != nil {
		t.Fatal(err)
	}
	r := h.callJSON("POST", apiPrefix+"/file_actions/copy/a.txt", siteKey, `{"destination":"z.txt"}`)
	expectError(t, r, http.StatusForbidden, "not-authorized/not-authorized")

	// Overwrite replaces a file; the parameters work from the query too.
	r = h.call("POST", apiPrefix+"/file_actions/copy/a.txt?destination=b.txt&overwrite=true", key, nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"completed"`) {
		t.Fatalf("copy with query parameters: %d %s", r.status, r.body)
	}
	if got, _ := h.fileContent(key, "b.txt"); got != "a" {
		t.Fatalf("overwritten b.txt holds %q", got)
	}
}

// TestCopyStaysInItsSite: a site admin's /users and /groups are their own
// site's; a destination naming another site's user or group does not
// exist, and nothing is written there.
func TestCopyStaysInItsSite(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("admin", true)
	_, adminKey := h.apiKeyFor(admin, time.Time{})
	acme, err := h.svc.CreateSite(h.ctx, identity.SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	pw, method := strongPassword, store.AuthPassword
	name := "acmebob"
	other, err := h.svc.CreateUser(h.ctx, identity.SystemActor, acme.ID, identity.UserChange{Username: &name, Password: &pw, AuthenticationMethod: &method})
	if err != nil {
		t.Fatal(err)
	}
	h.putFile(adminKey, "secret.txt", "s")
	for _, dst := range []string{"users/acmebob/secret.txt", "users/acmebob"} {
		r := h.callJSON("POST", apiPrefix+"/file_actions/copy/secret.txt", adminKey, `{"destination":"`+dst+`"}`)
		expectError(t, r, http.StatusNotFound, "not-found/file-not-found")
	}
	r := h.callJSON("POST", apiPrefix+"/file_actions/move/secret.txt", adminKey, `{"destination":"users/acmebob/secret.txt"}`)
	expectError(t, r, http.StatusNotFound, "not-found/file-not-found")
	otherHome := filepath.Join(h.files.Root(), "site-"+itoa(acme.ID), "users", itoa(other.ID))
	if _, err := os.Stat(otherHome); !os.IsNotExist(err) {
		t.Fatalf("the other site's home was touched: %v", err)
	}
	if got, _ := h.fileContent(adminKey, "secret.txt"); got != "s" {
		t.Fatal("a refused move removed its source")
	}
}

// createGroupWith makes a group with u as member (group admin with admin).
func (h *harness) createGroupWith(name string, u store.User, admin bool) store.Group {
	h.t.Helper()
	g, err := h.svc.CreateGroup(h.ctx, identity.SystemActor, h.site.ID, identity.GroupChange{Name: &name})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.AddGroupUser(h.ctx, identity.SystemActor, h.site.ID, g.ID, u.ID, admin); err != nil {
		h.t.Fatal(err)
	}
	return g
}

func strPointer(s string) *string { return &s }
