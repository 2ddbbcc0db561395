package vfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tree lists every file and folder under dir in the view with its content,
// as "path=content" and "path/" lines, sorted.
func tree(t *testing.T, v FS, dir string) string {
	t.Helper()
	var out []string
	var walk func(string)
	walk = func(d string) {
		infos, err := v.ReadDir(context.Background(), d)
		if err != nil {
			t.Fatalf("list %s: %v", d, err)
		}
		for _, fi := range infos {
			p := strings.TrimSuffix(d, "/") + "/" + fi.Name()
			if fi.IsDir() {
				out = append(out, p+"/")
				walk(p)
			} else {
				out = append(out, p+"="+get(t, v, p))
			}
		}
	}
	walk(dir)
	return strings.Join(out, " ")
}

// onDisk lists the names in an area's directory on disk, hidden ones
// included, so a test sees what a listing would not.
func onDisk(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return strings.Join(out, " ")
}

func TestCopyFilesAndFolders(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	ctx := f.ctx
	for _, d := range []string{"/src", "/src/sub", "/src/sub/deeper", "/src/empty"} {
		if err := v.Mkdir(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	put(t, v, "/src/a.txt", "alpha")
	put(t, v, "/src/sub/b.txt", "beta")
	put(t, v, "/src/sub/deeper/c.txt", "gamma")
	want := tree(t, v, "/src")

	if err := v.Copy(ctx, "/src/a.txt", "/a-copy.txt", CopyOptions{}); err != nil {
		t.Fatalf("copy a file: %v", err)
	}
	if got := get(t, v, "/a-copy.txt"); got != "alpha" {
		t.Fatalf("copied file holds %q", got)
	}
	if err := v.Copy(ctx, "/src", "/dst", CopyOptions{}); err != nil {
		t.Fatalf("copy a folder: %v", err)
	}
	if got := tree(t, v, "/dst"); got != strings.ReplaceAll(want, "/src/", "/dst/") {
		t.Fatalf("copied tree\n%s\nwant\n%s", got, want)
	}
	if got := tree(t, v, "/src"); got != want {
		t.Fatalf("the source changed: %s", got)
	}
	if err := v.Copy(ctx, "/src", "/shape", CopyOptions{StructureOnly: true}); err != nil {
		t.Fatalf("copy the structure: %v", err)
	}
	if got := tree(t, v, "/shape"); got != "/shape/empty/ /shape/sub/ /shape/sub/deeper/" {
		t.Fatalf("structure copy: %s", got)
	}
	if err := v.Copy(ctx, "/src/a.txt", "/x", CopyOptions{StructureOnly: true}); !errors.Is(err, ErrNotDir) {
		t.Fatalf("structure copy of a file: %v", err)
	}
	if disk := onDisk(t, f.s.userDir(f.site.ID, f.alice.ID)); strings.Contains(disk, tempPrefix) {
		t.Fatalf("a temporary name was left: %s", disk)
	}
}

func TestCopyRefusals(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	ctx := f.ctx
	if err := v.Mkdir(ctx, "/dir"); err != nil {
		t.Fatal(err)
	}
	put(t, v, "/dir/in.txt", "inside")
	put(t, v, "/a.txt", "a")
	put(t, v, "/b.txt", "b")
	if err := v.Mkdir(ctx, "/other"); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("n", MaxNameBytes+1)
	for _, c := range []struct {
		from, to string
		o        CopyOptions
		want     error
		says     string
	}{
		{"/a.txt", "/b.txt", CopyOptions{}, ErrExist, "/b.txt already exists"},
		{"/a.txt", "/dir", CopyOptions{Replace: true}, ErrExist, "is a folder, which is never replaced"},
		{"/dir", "/other", CopyOptions{Replace: true}, ErrExist, "never replaced or merged"},
		{"/dir", "/b.txt", CopyOptions{Replace: true}, ErrExist, "which a folder never replaces"},
		{"/a.txt", "/a.txt", CopyOptions{Replace: true}, ErrSamePath, "the same"},
		{"/dir", "/dir/deeper/copy", CopyOptions{}, ErrIntoItself, "into itself"},
		{"/dir", "/dir/copy", CopyOptions{}, ErrIntoItself, "into itself"},
		{"/a.txt", "/missing/a.txt", CopyOptions{}, ErrNoParent, "the folder /missing does not exist"},
		{"/a.txt", "/b.txt/a.txt", CopyOptions{}, ErrParentNotDir, "/b.txt is a file"},
		{"/nothing.txt", "/c.txt", CopyOptions{}, ErrNotExist, "/nothing.txt does not exist"},
		{"/a.txt", "/../escape.txt", CopyOptions{}, ErrInvalidName, "leads out"},
		{"/../../etc/passwd", "/stolen", CopyOptions{}, ErrInvalidName, "leads out"},
		{"/a.txt", "/" + long, CopyOptions{}, ErrInvalidName, "longer than"},
		{"/", "/home-copy", CopyOptions{}, ErrPermission, "part of the layout"},
		{"/groups", "/g", CopyOptions{}, ErrPermission, "part of the layout"},
		{"/a.txt", "/groups", CopyOptions{}, ErrPermission, "part of the layout"},
		{"/a.txt", "/groups/Writers", CopyOptions{}, ErrPermission, "part of the layout"},
		{"/a.txt", "/groups/Readers/a.txt", CopyOptions{}, ErrPermission, "read-only for you"},
		{"/a.txt", "/users/root/a.txt", CopyOptions{}, ErrPermission, "only site admins"},
		{"/a.txt", "/groups/Nobody/a.txt", CopyOptions{}, ErrNotExist, ""},
	} {
		err := v.Copy(ctx, c.from, c.to, c.o)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("copy %s to %s: %v, want %v saying %q", c.from, c.to, err, c.want, c.says)
		}
	}
	if errors.Is(v.Copy(ctx, "/nothing.txt", "/c.txt", CopyOptions{}), ErrNoParent) {
		t.Error("a missing source reads as a missing destination folder")
	}
	if got := get(t, v, "/b.txt"); got != "b" {
		t.Fatalf("a refused copy changed the destination: %q", got)
	}
	if got := tree(t, v, "/other"); got != "" {
		t.Fatalf("a refused copy wrote into a folder: %s", got)
	}
	if err := v.Copy(ctx, "/a.txt", "/b.txt", CopyOptions{Replace: true}); err != nil {
		t.Fatalf("replace a file: %v", err)
	}
	if got := get(t, v, "/b.txt"); got != "a" {
		t.Fatalf("replaced file holds %q", got)
	}
}

// TestCopyIsWholeOrNothing: a folder copy that fails part way, or whose
// request ends, leaves nothing under the destination's name and no
// temporary folder.
func TestCopyIsWholeOrNothing(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	ctx := f.ctx
	home := f.s.userDir(f.site.ID, f.alice.ID)
	if err := v.Mkdir(ctx, "/src"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		put(t, v, "/src/"+n+".txt", n)
	}
	// Something no channel makes: a link, placed behind Gatehouse's back.
	if err := os.Symlink("a.txt", filepath.Join(home, "src", "z-link")); err != nil {
		t.Fatal(err)
	}
	err := v.Copy(ctx, "/src", "/dst", CopyOptions{})
	if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), "nothing was copied") {
		t.Fatalf("copy with a link inside: %v", err)
	}
	if _, err := v.Stat(ctx, "/dst"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("a failed copy left /dst: %v", err)
	}
	if disk := onDisk(t, home); strings.Contains(disk, tempPrefix) || strings.Contains(disk, "dst") {
		t.Fatalf("a failed copy left %s", disk)
	}
	if err := os.Remove(filepath.Join(home, "src", "z-link")); err != nil {
		t.Fatal(err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = v.Copy(cancelled, "/src", "/dst", CopyOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing was copied") {
		t.Fatalf("cancelled copy: %v", err)
	}
	if disk := onDisk(t, home); strings.Contains(disk, tempPrefix) || strings.Contains(disk, "dst") {
		t.Fatalf("a cancelled copy left %s", disk)
	}
	err = v.Copy(cancelled, "/src/a.txt", "/a.txt", CopyOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled file copy: %v", err)
	}
	if disk := onDisk(t, home); strings.Contains(disk, tempPrefix) || strings.Contains(disk, "dst") || disk != "src src/a.txt src/b.txt src/c.txt" {
		t.Fatalf("a cancelled file copy left %s", disk)
	}
}

func TestCopyAndMoveBetweenAreas(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	ctx := f.ctx
	if err := v.Mkdir(ctx, "/report"); err != nil {
		t.Fatal(err)
	}
	put(t, v, "/report/r.txt", "numbers")
	// Into a group folder she administers, and back out of one she reads.
	if err := v.Copy(ctx, "/report", "/groups/Writers/report", CopyOptions{}); err != nil {
		t.Fatalf("copy into a writable group folder: %v", err)
	}
	admin := f.view(t, f.admin)
	put(t, admin, "/groups/Readers/notice.txt", "read me")
	if err := v.Copy(ctx, "/groups/Readers/notice.txt", "/notice.txt", CopyOptions{}); err != nil {
		t.Fatalf("copy out of a read-only group folder: %v", err)
	}
	if got := get(t, v, "/notice.txt"); got != "read me" {
		t.Fatalf("copied %q", got)
	}
	if err := v.Move(ctx, "/groups/Readers/notice.txt", "/moved.txt", false); !errors.Is(err, ErrPermission) {
		t.Fatalf("move out of a read-only group folder: %v", err)
	}
	if got := get(t, admin, "/groups/Readers/notice.txt"); got != "read me" {
		t.Fatal("a refused move removed its source")
	}
	if err := v.Move(ctx, "/report", "/groups/Writers/report", false); !errors.Is(err, ErrExist) {
		t.Fatalf("move onto an existing folder: %v", err)
	}
	if err := v.Move(ctx, "/report", "/groups/Writers/report2", false); err != nil {
		t.Fatalf("move between areas: %v", err)
	}
	if _, err := v.Stat(ctx, "/report"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("the moved folder is still in the home: %v", err)
	}
	if got := tree(t, v, "/groups/Writers/report2"); got != "/groups/Writers/report2/r.txt=numbers" {
		t.Fatalf("moved tree: %s", got)
	}
	// A site admin reaches every home and group folder.
	if err := admin.Copy(ctx, "/users/alice/notice.txt", "/groups/Readers/from-alice.txt", CopyOptions{}); err != nil {
		t.Fatalf("admin copy between a home and a group: %v", err)
	}
	if err := admin.Move(ctx, "/groups/Writers/report2/r.txt", "/users/alice/r.txt", false); err != nil {
		t.Fatalf("admin move: %v", err)
	}
	if got := get(t, v, "/r.txt"); got != "numbers" {
		t.Fatalf("alice sees %q", got)
	}
	// A whole home may be copied; the same folder under two names is one
	// area.
	if err := admin.Copy(ctx, "/users/alice", "/alice-backup", CopyOptions{}); err != nil {
		t.Fatalf("admin copies a whole home: %v", err)
	}
	if got := tree(t, admin, "/alice-backup"); got != "/alice-backup/notice.txt=read me /alice-backup/r.txt=numbers" {
		t.Fatalf("copied home: %s", got)
	}
	if err := admin.Copy(ctx, "/users/root", "/x", CopyOptions{}); !errors.Is(err, ErrIntoItself) {
		t.Fatalf("admin copies their own home into itself: %v", err)
	}
	if err := admin.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	if err := admin.Copy(ctx, "/users/root/d", "/d/inner", CopyOptions{}); !errors.Is(err, ErrIntoItself) {
		t.Fatalf("copy into itself under another name: %v", err)
	}
}

func TestMoveWithinArea(t *testing.T) {
	f := newFixture(t)
	v := f.view(t, f.alice)
	ctx := f.ctx
	put(t, v, "/a.txt", "a")
	put(t, v, "/b.txt", "b")
	if err := v.Move(ctx, "/a.txt", "/b.txt", false); !errors.Is(err, ErrExist) {
		t.Fatalf("move onto a file without replace: %v", err)
	}
	if err := v.Move(ctx, "/a.txt", "/a.txt", true); !errors.Is(err, ErrSamePath) {
		t.Fatalf("move onto itself: %v", err)
	}
	if err := v.Move(ctx, "/a.txt", "/b.txt", true); err != nil {
		t.Fatalf("move replacing a file: %v", err)
	}
	if got := tree(t, v, "/"); got != "/b.txt=a /groups/ /groups/Readers/ /groups/Writers/" {
		t.Fatalf("after the move: %s", got)
	}
}

func TestRemoveStaleCopies(t *testing.T) {
	f := newFixture(t)
	home := f.s.userDir(f.site.ID, f.alice.ID)
	v := f.view(t, f.alice)
	put(t, v, "/keep.txt", "kept")
	stale := filepath.Join(home, tempPrefix+"stale")
	fresh := filepath.Join(home, tempPrefix+"fresh")
	for _, d := range []string{stale, fresh} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "sub", "part"), []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{stale, filepath.Join(stale, "sub"), filepath.Join(stale, "sub", "part"), fresh, filepath.Join(fresh, "sub")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	n, err := f.s.RemoveStaleUploads(24*time.Hour, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("removed %d: %v", n, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("the stale copy is still there")
	}
	if _, err := os.Stat(filepath.Join(fresh, "sub", "part")); err != nil {
		t.Fatal("a copy still being written was removed")
	}
}
