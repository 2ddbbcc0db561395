// Package postgres is the store driver for PostgreSQL, the engine for
// several Gatehouse nodes sharing one database.
//
// Transactions run at READ COMMITTED; the invariants that span rows (a
// site keeps one password admin) are protected by LockSite, which locks
// the site's row, so concurrent guards in any process take turns.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Pool sizes: enough to keep the server busy without exhausting its
// max_connections when several nodes share it. More connections do not
// make a node faster: measured on two cores, 8 served more requests per
// second with a shorter tail than 16 or 32, which only add backends
// competing for the same CPUs.
const (
	maxOpenConns = 8
	maxIdleConns = 8
)

// dialect is PostgreSQL's flavour of the shared implementation.
//
// Rows are locked FOR NO KEY UPDATE rather than FOR UPDATE: it serialises
// writers of the row just as well but does not block inserts that merely
// reference it through a foreign key (a new user of a locked site, a new
// session of a user being updated), which FOR UPDATE would, inviting
// deadlocks between a guard and an ordinary insert.
var dialect = sqlstore.Dialect{
	Name:                  "postgres",
	NumberedPlaceholders:  true,
	RowLock:               " FOR NO KEY UPDATE",
	AnalyzeGrowing:        true,
	IsUniqueViolation:     func(err error) bool { return hasCode(err, "23505") },
	IsForeignKeyViolation: func(err error) bool { return hasCode(err, "23503") },
	TimeValue:             func(t time.Time) any { return t },
	Notify:                notifySQL,
}

func hasCode(err error, code string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == code
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), brings its schema up to date and returns the store.
func Open(ctx context.Context, url string) (store.Store, error) {
	return OpenStore(ctx, url)
}

// HasSchema reports whether the database at url holds Gatehouse's
// tables, without changing it: commands other than serve and init refuse
// a database that does not, rather than creating the schema in whatever
// database a mistyped URL names.
func HasSchema(ctx context.Context, url string) (bool, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return false, fmt.Errorf("store: open postgres: %w", err)
	}
	defer db.Close()
	var sites sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('sites')::text`).Scan(&sites); err != nil {
		return false, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return sites.Valid, nil
}

// OpenStore is Open returning the concrete type.
func OpenStore(ctx context.Context, url string) (*sqlstore.Store, error) {
	return OpenStoreAt(ctx, url, 0)
}

// OpenStoreAt is OpenStore with the schema brought only up to migration
// version (0: the newest), for upgrade tests.
func OpenStoreAt(ctx context.Context, url string, version int64) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	// Nodes starting together take turns migrating, under an advisory lock.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := sqlstore.MigrateTo(ctx, db, goose.DialectPostgres, dir, version, goose.WithSessionLocker(locker)); err != nil {
		_ = db.Close()
		return nil, err
	}
	s := sqlstore.New(sqlstore.Options{Dialect: dialect, DB: db,
		Listen: func(ctx context.Context, w store.AccountWatcher) { listen(ctx, url, w) }})
	// An older schema (an upgrade test's) has no username keys to fill.
	if version != 0 {
		return s, nil
	}
	if _, err := s.FillUsernameSkeletons(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}
