package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestWriterLeavesCheckpointsToTheCheckpointer checks the writer's DSN
// turns automatic checkpoints off, and that the store closes cleanly with
// its checkpointer running.
func TestWriterLeavesCheckpointsToTheCheckpointer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("PRAGMA wal_autocheckpoint").Scan(&n); err != nil || n != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, %v; want 0", n, err)
	}
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if _, err := db.Exec("INSERT INTO t VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil { // stops the checkpointer after a last checkpoint
		t.Fatal(err)
	}
}
