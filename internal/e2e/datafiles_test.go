package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDatabaseFilesArePrivate: `gatehouse serve` keeps the SQLite database
// and its -wal and -shm files readable by its own user only, and a
// database another tool left readable by others is narrowed, with a
// warning, by the next command that opens it.
func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gatehouse-data")
	db := filepath.Join(dir, "gatehouse.db")
	s := startServer(t, "--data-dir", dir)
	createAPIKey(t, "--data-dir", dir) // a write while the server runs
	for _, name := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("while serving: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("while serving, %s has mode %v, want -rw-------", filepath.Base(name), fi.Mode().Perm())
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	out := cli(t, "users", "list", "--data-dir", dir)
	if !strings.Contains(out, "open to other users") || !strings.Contains(out, "gatehouse.db") || !strings.Contains(out, "-rw-r--r--") {
		t.Errorf("no warning naming the loose database file and its mode:\n%s", out)
	}
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after the next command: %v, mode %v; want -rw-------", err, fi.Mode().Perm())
	}
	if out := cli(t, "users", "list", "--data-dir", dir); strings.Contains(out, "open to other users") {
		t.Errorf("a warning for a database that is private already:\n%s", out)
	}
}
