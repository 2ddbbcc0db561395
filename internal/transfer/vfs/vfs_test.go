package vfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
)

// fixture is a storage over a real SQLite store with one site, a plain
// user, a site admin and a group the plain user reads and another they
// administer.
type fixture struct {
	ctx                   context.Context
	st                    store.Store
	s                     *Storage
	site                  store.Site
	alice, admin          store.User
	readGroup, writeGroup store.Group
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st := teststore.SQLite(t)
	f := &fixture{ctx: ctx, st: st}
	f.site = store.DefaultSiteSettings()
	f.site.Name, f.site.IsDefault = "test", true
	if err := st.CreateSite(ctx, &f.site); err != nil {
		t.Fatal(err)
	}
	f.alice = store.User{SiteID: f.site.ID, Username: "alice", AuthenticationMethod: "password"}
	f.admin = store.User{SiteID: f.site.ID, Username: "root", AuthenticationMethod: "password", SiteAdmin: true}
	for _, u := range []*store.User{&f.alice, &f.admin} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	f.readGroup = store.Group{SiteID: f.site.ID, Name: "Readers"}
	f.writeGroup = store.Group{SiteID: f.site.ID, Name: "Writers"}
	for _, g := range []*store.Group{&f.readGroup, &f.writeGroup} {
		if err := st.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddGroupUser(ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: f.readGroup.ID, UserID: f.alice.ID}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddGroupUser(ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: f.writeGroup.ID, UserID: f.alice.ID, Admin: true}); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.s, err = New(filepath.Join(t.TempDir(), "files"), st); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) view(t *testing.T, u store.User) FS {
	t.Helper()
	v, err := f.s.For(f.ctx, f.site, u)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func put(t *testing.T, v FS, name, content string) {
	t.Helper()
	up, err := v.Create(context.Background(), name, 0)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := io.WriteString(up, content); err != nil {
		t.Fatal(err)
	}
	if err := up.Commit(); err != nil {
		t.Fatalf("commit %s: %v", name, err)
	}
}

func get(t *testing.T, v FS, name string) string {
	t.Helper()
	f, err := v.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// must fails the test on a setup step's error, where it happened rather
// than as a confusing failure further on.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func names(infos []fs.FileInfo) string {
	var n []string
	for _, fi := range infos {
		n = append(n, fi.Name())
	}
	return strings.Join(n, ",")
}

func TestHomeRoundTrip(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	ctx := f.ctx
	if err := v.Mkdir(ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	put(t, v, "/docs/a.txt", "hello")
	put(t, v, "b.txt", "world")
	if got := get(t, v, "docs/a.txt"); got != "hello" {
		t.Fatalf("read back %q", got)
	}
	list, err := v.ReadDir(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(list); got != "b.txt,docs,groups" {
		t.Fatalf("root lists %q", got)
	}
	if err := v.Rename(ctx, "/b.txt", "/docs/c.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Stat(ctx, "/b.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("renamed file still there: %v", err)
	}
	if err := v.Remove(ctx, "/docs"); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("removing a full folder: %v", err)
	}
	if err := v.RemoveAll(ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	if err := v.RemoveAll(ctx, "/docs"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("removing a missing folder: %v", err)
	}
	if _, err := v.Open(ctx, "/"); !errors.Is(err, ErrIsDir) {
		t.Fatalf("opening the root: %v", err)
	}
}

func TestTraversalIsRefused(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	outside := filepath.Join(filepath.Dir(f.s.Root()), "secret.txt")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../secret.txt", "/../../secret.txt", "a/../../b", "..", "docs/..", `..\secret.txt`, "a\x00b", "bad\nname"} {
		if _, err := v.Open(f.ctx, name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("open %q: want ErrInvalidName, got %v", name, err)
		}
		if _, err := v.Create(f.ctx, name, 0); !errors.Is(err, ErrInvalidName) {
			t.Errorf("create %q: want ErrInvalidName, got %v", name, err)
		}
	}
	// Encoded dots are a literal name, confined like any other.
	put(t, v, "%2e%2e", "literal")
	if err := v.Mkdir(f.ctx, "%2e%2e%2f"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, v, "/%2e%2e"); got != "literal" {
		t.Fatalf("got %q", got)
	}
	home := f.s.userDir(f.site.ID, f.alice.ID)
	if _, err := os.Stat(filepath.Join(home, "%2e%2e")); err != nil {
		t.Fatalf("encoded name not stored literally in the home: %v", err)
	}
	// An absolute path is relative to the user's root, never the server's.
	if _, err := v.Open(f.ctx, "/etc/passwd"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("absolute path: %v", err)
	}
}

func TestSymlinkEscapeIsRefused(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	put(t, v, "seed", "x") // creates the home
	home := f.s.userDir(f.site.ID, f.alice.ID)
	outsideDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(outsideDir, "secret.txt"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outsideDir, filepath.Join(home, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outsideDir, "secret.txt"), filepath.Join(home, "file-link")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(f.ctx, "/link/secret.txt"); !errors.Is(err, ErrPermission) {
		t.Errorf("reading through a planted dir link: %v", err)
	}
	if _, err := v.Open(f.ctx, "/file-link"); !errors.Is(err, ErrPermission) {
		t.Errorf("reading a planted file link: %v", err)
	}
	if _, err := v.ReadDir(f.ctx, "/link"); !errors.Is(err, ErrPermission) {
		t.Errorf("listing a planted link: %v", err)
	}
	if _, err := v.Create(f.ctx, "/link/new.txt", 0); !errors.Is(err, ErrPermission) {
		t.Errorf("writing through a planted link: %v", err)
	}
	if err := v.Mkdir(f.ctx, "/link/sub"); !errors.Is(err, ErrPermission) {
		t.Errorf("mkdir through a planted link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outsideDir, "new.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a file was written outside the root")
	}
}

func TestOverlongNames(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	if _, err := v.Create(f.ctx, strings.Repeat("a", MaxNameBytes+1), 0); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("long name: %v", err)
	}
	put(t, v, strings.Repeat("a", MaxNameBytes), "ok")
	long := strings.Repeat("abcdefgh/", MaxPathBytes/9+1)
	if err := v.Mkdir(f.ctx, long); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("long path: %v", err)
	}
	if _, err := v.Create(f.ctx, tempPrefix+"x", 0); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("reserved name: %v", err)
	}
}

func TestUploadIsAtomic(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	put(t, v, "f.bin", "old content")
	up, err := v.Create(f.ctx, "f.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write([]byte("half of the new")); err != nil {
		t.Fatal(err)
	}
	if got := get(t, v, "f.bin"); got != "old content" {
		t.Fatalf("reader saw an unfinished upload: %q", got)
	}
	list, _ := v.ReadDir(f.ctx, "/")
	if got := names(list); got != "f.bin,groups" {
		t.Fatalf("temporary file visible: %q", got)
	}
	if err := up.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, v, "f.bin"); got != "old content" {
		t.Fatalf("aborted upload changed the file: %q", got)
	}
	up2, err := v.Create(f.ctx, "new.bin", 0)
	must(t, err)
	_, err = up2.Write([]byte("partial"))
	must(t, err)
	must(t, up2.Abort())
	if _, err := v.Stat(f.ctx, "new.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("aborted new upload left a file: %v", err)
	}
	entries, _ := os.ReadDir(f.s.userDir(f.site.ID, f.alice.ID))
	if len(entries) != 1 {
		t.Fatalf("leftovers on disk: %v", entries)
	}
}

func TestResumeKeepsExistingBytes(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	put(t, v, "r.txt", "0123456789")
	up, err := v.Create(f.ctx, "r.txt", 4)
	if err != nil {
		t.Fatal(err)
	}
	_, err = up.Write([]byte("abcd"))
	must(t, err)
	must(t, up.Commit())
	if got := get(t, v, "r.txt"); got != "0123abcd" {
		t.Fatalf("resume at 4: %q", got)
	}
	up, err = v.Create(f.ctx, "r.txt", KeepExisting)
	must(t, err)
	_, err = up.WriteAt([]byte("XY"), 8)
	must(t, err)
	must(t, up.Commit())
	if got := get(t, v, "r.txt"); got != "0123abcdXY" {
		t.Fatalf("resume keeping all: %q", got)
	}
	if _, err := v.Create(f.ctx, "r.txt", 100); !errors.Is(err, ErrInvalidOffset) {
		t.Fatalf("offset past the end: %v", err)
	}
	up, err = v.Create(f.ctx, "fresh.txt", KeepExisting)
	if err != nil {
		t.Fatal(err)
	}
	_, err = up.Write([]byte("new"))
	must(t, err)
	must(t, up.Commit())
	if got := get(t, v, "fresh.txt"); got != "new" {
		t.Fatalf("keep on a new file: %q", got)
	}
}

func TestGroupFolderPermissions(t *testing.T) {
	f := newFixture(t)
	alice := f.view(t, f.alice)
	admin := f.view(t, f.admin)
	put(t, admin, "/groups/Readers/manual.pdf", "read me")
	if got := get(t, alice, "/groups/readers/manual.pdf"); got != "read me" {
		t.Fatalf("member read: %q", got)
	}
	if _, err := alice.Create(f.ctx, "/groups/Readers/x", 0); !errors.Is(err, ErrPermission) {
		t.Fatalf("plain member wrote to the group folder: %v", err)
	}
	if err := alice.Remove(f.ctx, "/groups/Readers/manual.pdf"); !errors.Is(err, ErrPermission) {
		t.Fatalf("plain member deleted from the group folder: %v", err)
	}
	put(t, alice, "/groups/Writers/report.txt", "mine")
	list, err := alice.ReadDir(f.ctx, "/groups")
	if err != nil || names(list) != "Readers,Writers" {
		t.Fatalf("groups list %q %v", names(list), err)
	}
	if err := alice.Rename(f.ctx, "/groups/Writers/report.txt", "/report.txt"); !errors.Is(err, ErrCrossFolder) {
		t.Fatalf("cross-folder move: %v", err)
	}
	if err := alice.RemoveAll(f.ctx, "/groups/Writers"); !errors.Is(err, ErrPermission) {
		t.Fatalf("removed the group folder itself: %v", err)
	}
	if _, err := alice.ReadDir(f.ctx, "/groups/Other"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("foreign group: %v", err)
	}
}

func TestAdminReach(t *testing.T) {
	f := newFixture(t)
	alice := f.view(t, f.alice)
	admin := f.view(t, f.admin)
	put(t, alice, "private.txt", "alice's")
	if got := get(t, admin, "/users/alice/private.txt"); got != "alice's" {
		t.Fatalf("admin read: %q", got)
	}
	put(t, admin, "/users/ALICE/from-admin.txt", "hi")
	if got := get(t, alice, "/from-admin.txt"); got != "hi" {
		t.Fatalf("admin wrote: %q", got)
	}
	list, err := admin.ReadDir(f.ctx, "/users")
	if err != nil || names(list) != "alice,root" {
		t.Fatalf("users list %q %v", names(list), err)
	}
	if _, err := alice.ReadDir(f.ctx, "/users"); !errors.Is(err, ErrPermission) {
		t.Fatalf("plain user listed users: %v", err)
	}
	if _, err := alice.Open(f.ctx, "/users/root/x"); !errors.Is(err, ErrPermission) {
		t.Fatalf("plain user reached another home: %v", err)
	}
	if err := admin.Remove(f.ctx, "/users/alice"); !errors.Is(err, ErrPermission) {
		t.Fatalf("admin removed a home itself: %v", err)
	}
	if err := alice.Mkdir(f.ctx, "/groups"); !errors.Is(err, ErrExist) {
		t.Fatalf("mkdir of a layout folder: %v", err)
	}
	if _, err := admin.Stat(f.ctx, "/users/nobody"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("missing user: %v", err)
	}
}

func TestErrorsDoNotNameServerPaths(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	_, err := v.Open(f.ctx, "/missing/file")
	if err == nil || bytes.Contains([]byte(err.Error()), []byte(f.s.Root())) {
		t.Fatalf("error %v", err)
	}
}

// TestRenameNamesTheCause: every refused move says what is wrong with
// which path, and matches the error a front end maps to its reply.
func TestRenameNamesTheCause(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	admin := f.view(t, f.admin)
	for _, d := range []string{"/dir", "/full", "/empty"} {
		if err := v.Mkdir(f.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/a.txt", "/full/x.txt"} {
		put(t, v, p, "x")
	}
	put(t, admin, "/groups/Readers/r.txt", "r")
	for _, tc := range []struct {
		fs       FS
		from, to string
		want     error
		says     string
	}{
		{v, "/missing.txt", "/b.txt", ErrNotExist, "/missing.txt does not exist"},
		{v, "/a.txt", "/nowhere/b.txt", ErrNotExist, "the folder /nowhere does not exist"},
		{v, "/a.txt", "/a.txt/b.txt", ErrNotDir, "/a.txt is a file, not a folder"},
		{v, "/a.txt", "/dir", ErrExist, "/dir already exists and is a folder"},
		{v, "/dir", "/a.txt", ErrExist, "/a.txt already exists and is a file"},
		{v, "/dir", "/full", ErrExist, "/full already exists and is a folder"},
		{v, "/dir", "/dir/sub", ErrIntoItself, "into itself"},
		{v, "/a.txt", "/groups/Readers/a.txt", ErrPermission, "/groups/Readers is read-only"},
		{v, "/groups/Readers/r.txt", "/r.txt", ErrPermission, "/groups/Readers is read-only"},
		{v, "/a.txt", "/groups/Writers/a.txt", ErrCrossFolder, "your home folder and /groups/Writers are different folders"},
		{admin, "/groups/Readers/r.txt", "/groups/Writers/r.txt", ErrCrossFolder, "/groups/Readers and /groups/Writers are different folders"},
		{v, "/a.txt", "/groups", ErrPermission, "part of the layout"},
	} {
		err := tc.fs.Rename(f.ctx, tc.from, tc.to)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("move %s to %s: want %v saying %q, got %v", tc.from, tc.to, tc.want, tc.says, err)
		}
	}
	// What a rename may do still works: a file over a file, a folder to a
	// new name, a move into a subfolder.
	put(t, v, "/b.txt", "old")
	for _, mv := range [][2]string{{"/a.txt", "/b.txt"}, {"/dir", "/renamed"}, {"/b.txt", "/empty/b.txt"}} {
		if err := v.Rename(f.ctx, mv[0], mv[1]); err != nil {
			t.Errorf("move %s to %s: %v", mv[0], mv[1], err)
		}
	}
}
