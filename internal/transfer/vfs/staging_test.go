package vfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStaging: parts are written whole or not at all, replaced when
// written again, kept outside every user's view, removed with their
// upload, and a reference that could leave the staging folder is
// refused.
func TestStaging(t *testing.T) {
	f := newFixture(t)
	s := f.s
	read := func(ref string, part int) (string, error) {
		r, size, err := s.OpenPart(f.ctx, f.site.ID, ref, part)
		if err != nil {
			return "", err
		}
		defer r.Close()
		b, _ := io.ReadAll(r)
		if int64(len(b)) != size {
			t.Fatalf("OpenPart said %d bytes, read %d", size, len(b))
		}
		return string(b), nil
	}
	if n, err := s.WritePart(f.ctx, f.site.ID, "put-1", 2, strings.NewReader("second"), 10); err != nil || n != 6 {
		t.Fatalf("WritePart: %d %v", n, err)
	}
	if _, err := s.WritePart(f.ctx, f.site.ID, "put-1", 2, strings.NewReader("far too long"), 10); !errors.Is(err, ErrPartTooLarge) {
		t.Fatalf("a part over its limit: %v", err)
	}
	if got, err := read("put-1", 2); err != nil || got != "second" {
		t.Fatalf("a refused rewrite changed the part: %q %v", got, err)
	}
	if _, err := s.WritePart(f.ctx, f.site.ID, "put-1", 2, io.MultiReader(strings.NewReader("bro"), failing{}), 10); err == nil {
		t.Fatal("a broken part was stored")
	}
	if got, _ := read("put-1", 2); got != "second" {
		t.Fatalf("a broken rewrite changed the part: %q", got)
	}
	s.WritePart(f.ctx, f.site.ID, "put-1", 2, strings.NewReader("2nd"), 10)
	if got, _ := read("put-1", 2); got != "2nd" {
		t.Fatalf("a rewritten part reads %q", got)
	}
	if _, err := read("put-1", 1); !errors.Is(err, ErrNotExist) {
		t.Fatalf("a part never written: %v", err)
	}
	// Nothing of it shows in anyone's view, an admin's included.
	admin := f.view(t, f.admin)
	for _, dir := range []string{"/", "/users", "/users/alice"} {
		infos, _ := admin.ReadDir(f.ctx, dir)
		for _, fi := range infos {
			if strings.Contains(fi.Name(), "staging") || strings.HasPrefix(fi.Name(), "part-") {
				t.Fatalf("%s lists %s", dir, fi.Name())
			}
		}
	}
	for _, ref := range []string{"", "../users", "a/b", "put-1/../../x", strings.Repeat("a", 65), "."} {
		if _, err := s.WritePart(f.ctx, f.site.ID, ref, 1, strings.NewReader("x"), 10); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("ref %q: %v", ref, err)
		}
	}
	// Stale parts (no record removed them) go after their age; fresh
	// ones stay.
	s.WritePart(f.ctx, f.site.ID, "put-2", 1, strings.NewReader("fresh"), 10)
	old := time.Now().Add(-48 * time.Hour)
	dir, _ := s.uploadDir(f.site.ID, "put-1")
	os.Chtimes(filepath.Join(dir, partName(2)), old, old)
	os.Chtimes(dir, old, old)
	if n, err := s.RemoveStaleStaging(24*time.Hour, time.Now()); err != nil || n != 1 {
		t.Fatalf("RemoveStaleStaging: %d %v", n, err)
	}
	if _, err := read("put-2", 1); err != nil {
		t.Fatalf("a fresh upload's part was swept: %v", err)
	}
	if err := s.RemoveUpload(f.ctx, f.site.ID, "put-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := read("put-2", 1); err == nil {
		t.Fatal("a removed upload's part remains")
	}
	if err := s.RemoveUpload(f.ctx, f.site.ID, "put-none"); err != nil {
		t.Fatalf("removing an upload with no parts: %v", err)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
