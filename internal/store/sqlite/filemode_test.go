package sqlite_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// TestFilesArePrivate opens a fresh database under the most permissive
// umask, writes through it, and checks that the database and the -wal and
// -shm files SQLite makes beside it are readable by the server's user
// only: the mode must not depend on the umask or on the data directory.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gatehouse.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	writeSomething(t, st)
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, name, 0o600)
	}
}

// TestLooseFilesAreTightened: a database left readable by others (by an
// older version, a restore, a copy) is narrowed to 0600 at open, -wal and
// -shm included, and SecureFiles reports what it narrowed so that the
// server can warn.
func TestLooseFilesAreTightened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSomething(t, st)
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(name, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loosened, err := sqlite.SecureFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(loosened) != 3 {
		t.Fatalf("SecureFiles reported %+v, want the database, -wal and -shm", loosened)
	}
	for _, l := range loosened {
		if l.Mode != 0o644 {
			t.Errorf("%s reported with mode %v, want the 0644 it had", l.Path, l.Mode)
		}
		wantMode(t, l.Path, 0o600)
	}
	if again, err := sqlite.SecureFiles(path); err != nil || len(again) != 0 {
		t.Fatalf("a second SecureFiles reported %+v, %v; want nothing", again, err)
	}
	writeSomething(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Open alone narrows too, for every caller that is not the server.
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	writeSomething(t, st)
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, name, 0o600)
	}
}

// writes counts writeSomething's sites, so that each has its own subdomain.
var writes int

func writeSomething(t *testing.T, st store.Store) {
	t.Helper()
	writes++
	site := store.Site{Name: "Files", Subdomain: fmt.Sprintf("site%d", writes)}
	if err := st.CreateSite(context.Background(), &site); err != nil {
		t.Fatal(err)
	}
}

func wantMode(t *testing.T, name string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(name), err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", filepath.Base(name), got, want)
	}
}
