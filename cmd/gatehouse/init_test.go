package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// TestOnlyServeAndInitCreate: a command pointed at a data directory with
// no database refuses, says what to check and which command creates one,
// and leaves nothing behind; init creates it (and changes nothing when run
// again); the hint it prints, and the commands after it, then work.
func TestOnlyServeAndInitCreate(t *testing.T) {
	t.Setenv("GATEHOUSE_DATABASE_URL", "")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "wrong dir")
	for _, args := range [][]string{
		{"users", "list"}, {"users", "create", "--username", "bob"}, {"api-keys", "create", "--username", "admin"},
		{"events", "list"}, {"providers", "list"}, {"sites", "list"}, {"admin", "reset-password", "admin"},
	} {
		var out lockedBuffer
		err := runCLI(ctx, &out, append(args, "--data-dir", dir)...)
		if err == nil || !strings.Contains(err.Error(), "no Gatehouse database at "+filepath.Join(dir, "gatehouse.db")) ||
			!strings.Contains(err.Error(), "is --data-dir right?") || !strings.Contains(err.Error(), "gatehouse init --data-dir '"+dir+"'") {
			t.Fatalf("%v on a directory with no database: %v\n%s", args, err, out.String())
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%v created %s: %v", args, dir, err)
		}
	}
	for range 2 {
		var out lockedBuffer
		if err := runCLI(ctx, &out, "init", "--data-dir", dir); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Start the server: gatehouse serve --data-dir '"+dir+"'") {
			t.Fatalf("init printed:\n%s", out.String())
		}
	}
	var out lockedBuffer
	if err := runCLI(ctx, &out, "users", "list", "--data-dir", dir); err != nil {
		t.Fatalf("users list after init: %v\n%s", err, out.String())
	}
	// A database without its master key is refused too: a new key would
	// leave every sealed secret unreadable.
	if err := os.Rename(filepath.Join(dir, "master.key"), filepath.Join(dir, "moved.key")); err != nil {
		t.Fatal(err)
	}
	err := runCLI(ctx, &out, "users", "list", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "no master key at "+filepath.Join(dir, "master.key")) {
		t.Fatalf("users list without the master key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); !os.IsNotExist(err) {
		t.Fatal("a new master key was created")
	}
	if err := runCLI(ctx, &out, "users", "list", "--data-dir", dir, "--master-key-file", filepath.Join(dir, "moved.key")); err != nil {
		t.Fatalf("users list with the master key named: %v", err)
	}
}

// TestOnlyInitCreatesOnPostgres: a command given the URL of a database
// without Gatehouse's tables refuses and creates none; init creates them.
func TestOnlyInitCreatesOnPostgres(t *testing.T) {
	url := pgtest.Database(t)
	ctx := context.Background()
	dir := t.TempDir()
	var out lockedBuffer
	err := runCLI(ctx, &out, "users", "list", "--database-url", url, "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "has no Gatehouse tables") || !strings.Contains(err.Error(), "gatehouse init --database-url") {
		t.Fatalf("users list on an empty database: %v", err)
	}
	if ok, err := postgres.HasSchema(ctx, url); err != nil || ok {
		t.Fatalf("the refused command created the schema: %v %v", ok, err)
	}
	if err := runCLI(ctx, &out, "init", "--database-url", url, "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	if err := runCLI(ctx, &out, "users", "list", "--database-url", url, "--data-dir", dir); err != nil {
		t.Fatalf("users list after init: %v\n%s", err, out.String())
	}
}
