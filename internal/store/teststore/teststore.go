// Package teststore opens real stores for the tests of the packages above
// the store: SQLite in the test's temporary directory, and a fresh
// database on the PostgreSQL server pgtest runs (a test binary using it
// calls pgtest.Main from its TestMain). Each store closes when the test
// ends.
//
// Open is the store of a test that runs on either engine: SQLite, unless
// the run sets GATEHOUSE_TEST_STORE=postgres (make test does, for a few
// packages, a second time). So the tests above the store are written
// once and prove their behaviour on both engines.
package teststore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
)

// SQLite opens an empty SQLite store.
func SQLite(tb testing.TB) store.Store {
	tb.Helper()
	s, err := sqlite.Open(filepath.Join(tb.TempDir(), "gatehouse.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Postgres opens an empty PostgreSQL store.
func Postgres(tb testing.TB) store.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), pgtest.Database(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// EngineEnv names the environment variable that picks Open's engine:
// "postgres", or "sqlite" (the default when unset).
const EngineEnv = "GATEHOUSE_TEST_STORE"

// Open opens an empty store on the engine EngineEnv names. A value other
// than "", "sqlite" or "postgres" fails the test: a typo must not run
// the suite on the wrong engine unnoticed.
func Open(tb testing.TB) store.Store {
	tb.Helper()
	switch v := os.Getenv(EngineEnv); v {
	case "", "sqlite":
		return SQLite(tb)
	case "postgres":
		return Postgres(tb)
	default:
		tb.Fatalf("%s=%q: want sqlite or postgres", EngineEnv, v)
		return nil
	}
}

// Drivers runs a test once on each store driver.
func Drivers(t *testing.T, run func(t *testing.T, open func(testing.TB) store.Store)) {
	t.Run("sqlite", func(t *testing.T) { run(t, SQLite) })
	t.Run("postgres", func(t *testing.T) { run(t, Postgres) })
}
