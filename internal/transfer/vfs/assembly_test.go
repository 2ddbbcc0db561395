package vfs

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPlaceAssembly: parts written at their offsets into an upload's
// assembly file are put in place under a user's path by one rename, with
// the modification time and checksums given; a refused placement (no
// permission, a wrong size, a folder in the way, a reference that could
// leave the staging folder) changes nothing.
func TestPlaceAssembly(t *testing.T) {
	f := newFixture(t)
	alice := f.view(t, f.alice)
	a, err := f.s.OpenAssembly(f.ctx, f.site.ID, "put-a")
	must(t, err)
	// Written out of order, each at its offset.
	if _, err := a.WriteAt([]byte("world"), 6); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteAt([]byte("hello "), 0); err != nil {
		t.Fatal(err)
	}
	must(t, a.Close())
	content := "hello world"
	sum := md5.Sum([]byte(content))
	sums := Checksums{MD5: hex.EncodeToString(sum[:]), CRC32: fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(content)))}
	mtime := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	p := alice.(Placer)

	must(t, alice.Mkdir(f.ctx, "/dir"))
	put(t, alice, "/dir/keep.txt", "old")
	for _, c := range []struct {
		name, ref string
		size      int64
		want      error
	}{
		{"/groups/Readers/x.txt", "put-a", 11, ErrPermission},
		{"/users/root/x.txt", "put-a", 11, ErrPermission},
		{"/dir", "put-a", 11, ErrIsDir},
		{"/missing/x.txt", "put-a", 11, ErrNotExist},
		{"/x.txt", "../put-a", 11, ErrInvalidRef},
		{"/x.txt", "put-none", 11, ErrNotExist},
	} {
		if err := p.PlaceAssembly(f.ctx, c.name, c.ref, c.size, mtime, sums); !errors.Is(err, c.want) {
			t.Fatalf("PlaceAssembly(%s, %s): %v, want %v", c.name, c.ref, err, c.want)
		}
	}
	if err := p.PlaceAssembly(f.ctx, "/dir/keep.txt", "put-a", 12, mtime, sums); err == nil {
		t.Fatal("an assembly file of another size than the parts' total was placed")
	}
	if got := get(t, alice, "/dir/keep.txt"); got != "old" {
		t.Fatalf("a refused placement changed the file: %q", got)
	}
	must(t, p.PlaceAssembly(f.ctx, "/dir/keep.txt", "put-a", 11, mtime, sums))
	if got := get(t, alice, "/dir/keep.txt"); got != content {
		t.Fatalf("placed file reads %q", got)
	}
	fi, err := alice.Stat(f.ctx, "/dir/keep.txt")
	must(t, err)
	if !fi.ModTime().Equal(mtime) {
		t.Fatalf("placed file's time %v, want %v", fi.ModTime(), mtime)
	}
	if f.s.ChecksumProblem() == nil {
		if got := ChecksumsOf(f.ctx, fi); got != sums {
			t.Fatalf("placed file's checksums %+v, want %+v", got, sums)
		}
	}
	// The staging folder keeps nothing of it; a second placement finds
	// nothing.
	if _, err := os.Stat(filepath.Join(f.s.Root(), stagingFolder, fmt.Sprintf("site-%d", f.site.ID), "put-a", assemblyName)); !os.IsNotExist(err) {
		t.Fatalf("the assembly file is still staged: %v", err)
	}
	if err := p.PlaceAssembly(f.ctx, "/y.txt", "put-a", 11, time.Time{}, Checksums{}); !errors.Is(err, ErrNotExist) {
		t.Fatalf("a second placement: %v", err)
	}
	// Unknown checksums leave none recorded, and no time given is now.
	b, err := f.s.OpenAssembly(f.ctx, f.site.ID, "put-b")
	must(t, err)
	b.WriteAt([]byte("x"), 0)
	b.Close()
	must(t, p.PlaceAssembly(f.ctx, "/z.txt", "put-b", 1, time.Time{}, Checksums{}))
	fi, err = alice.Stat(f.ctx, "/z.txt")
	must(t, err)
	if ChecksumsOf(f.ctx, fi).Known() || time.Since(fi.ModTime()) > time.Minute {
		t.Fatalf("placed without checksums or time: %+v %v", ChecksumsOf(f.ctx, fi), fi.ModTime())
	}
}

// TestAssemblySwept: an assembly file goes with its upload, and with the
// sweep of stale staging once nothing wrote to it for the age; one being
// written stays.
func TestAssemblySwept(t *testing.T) {
	f := newFixture(t)
	for _, ref := range []string{"put-old", "put-new", "put-gone"} {
		a, err := f.s.OpenAssembly(f.ctx, f.site.ID, ref)
		must(t, err)
		a.WriteAt([]byte("bytes"), 3)
		a.Close()
	}
	old := time.Now().Add(-48 * time.Hour)
	dir, _ := f.s.uploadDir(f.site.ID, "put-old")
	os.Chtimes(filepath.Join(dir, assemblyName), old, old)
	os.Chtimes(dir, old, old)
	if n, err := f.s.RemoveStaleStaging(24*time.Hour, time.Now()); err != nil || n != 1 {
		t.Fatalf("RemoveStaleStaging: %d %v", n, err)
	}
	exists := func(ref string) bool {
		dir, _ := f.s.uploadDir(f.site.ID, ref)
		_, err := os.Stat(filepath.Join(dir, assemblyName))
		return err == nil
	}
	must(t, f.s.RemoveUpload(f.ctx, f.site.ID, "put-gone"))
	if exists("put-old") || !exists("put-new") || exists("put-gone") {
		t.Fatalf("after the sweeps: old %v, new %v, removed %v", exists("put-old"), exists("put-new"), exists("put-gone"))
	}
	if _, err := f.s.OpenAssembly(f.ctx, f.site.ID, "../users"); !errors.Is(err, ErrInvalidRef) {
		t.Fatalf("an assembly file outside the staging folder: %v", err)
	}
}
