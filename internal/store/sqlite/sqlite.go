// Package sqlite is the embedded store driver: one database file, pure Go
// (modernc.org/sqlite), nothing to install.
//
// SQLite allows one writer at a time. Rather than let concurrent requests
// collide and fail with SQLITE_BUSY, the driver keeps two pools: a writer
// pool of exactly one connection, through which every write and every
// transaction goes (transactions begin IMMEDIATE, so they hold the write
// lock from their first statement), and a pool of read-only connections
// that serve plain reads in parallel, which WAL mode allows.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a connection waits for a lock held by another
// process (a backup, the sqlite3 shell) before giving up.
const busyTimeout = 10 * time.Second

// dialect is SQLite's flavour of the shared implementation. It has no row
// lock: the single writer already serialises every transaction, so
// LockSite only has to check that the site exists.
var dialect = sqlstore.Dialect{
	Name:            "sqlite",
	CacheStatements: true,
	IsUniqueViolation: func(err error) bool {
		return hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsForeignKeyViolation: func(err error) bool { return hasCode(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) },
	TimeValue:             func(t time.Time) any { return t.Format(sqlstore.SQLiteTimeLayout) },
}

func hasCode(err error, codes ...int) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code() == c {
			return true
		}
	}
	return false
}

// Open opens (creating if needed) the database file at path, brings its
// schema up to date and returns the store.
func Open(path string) (store.Store, error) {
	return OpenStore(context.Background(), path)
}

// OpenStore is Open with a context for the migrations, returning the
// concrete type for callers that need more than store.Store.
func OpenStore(ctx context.Context, path string) (*sqlstore.Store, error) {
	return OpenStoreAt(ctx, path, 0)
}

// OpenStoreAt is OpenStore with the schema brought only up to migration
// version (0: the newest), for upgrade tests.
func OpenStoreAt(ctx context.Context, path string, version int64) (*sqlstore.Store, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("store: sqlite needs a database file path (an in-memory database cannot be shared by the read and write pools)")
	}
	// Before SQLite makes any file: it gives the -wal and -shm files the
	// database file's mode. The server calls SecureFiles first to warn
	// about what it narrowed; here every other caller is covered too.
	if _, err := SecureFiles(path); err != nil {
		return nil, err
	}
	writer, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	migrationsDir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		_ = writer.Close()
		return nil, err
	}
	if err := sqlstore.MigrateTo(ctx, writer, goose.DialectSQLite3, migrationsDir, version); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("%w (database %s)", err, path)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	reader, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)

	cp, err := startCheckpointer(path)
	if err != nil {
		_ = writer.Close()
		_ = reader.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	s := sqlstore.New(sqlstore.Options{
		Dialect: dialect,
		DB:      writer,
		ReadDB:  reader,
		OnClose: cp.stop,
		Listen:  func(ctx context.Context, w store.AccountWatcher) { watchOtherProcesses(ctx, writer, w) },
	})
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	// An older schema (an upgrade test's) has no username keys to fill.
	if version != 0 {
		return s, nil
	}
	if _, err := s.FillUsernameSkeletons(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("%w (database %s)", err, path)
	}
	return s, nil
}

// dsn is the modernc connection string for path: WAL, a busy timeout,
// foreign keys enforced, NORMAL sync (safe in WAL mode), and for the writer
// transactions that take the write lock when they begin.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
		// Checkpoints run in the background instead (see checkpoint.go).
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}
