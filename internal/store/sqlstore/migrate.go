package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// Migrate brings the schema of db up to the newest migration in fsys. It
// uses a goose Provider, not goose's global state, so that several stores
// in one process migrate independently; opts may add a lock that makes
// several processes take turns.
func Migrate(ctx context.Context, db *sql.DB, dialect goose.Dialect, fsys fs.FS, opts ...goose.ProviderOption) error {
	return MigrateTo(ctx, db, dialect, fsys, 0, opts...)
}

// MigrateTo is Migrate up to version only (0: the newest), for tests that
// write what an older release wrote and then upgrade it.
func MigrateTo(ctx context.Context, db *sql.DB, dialect goose.Dialect, fsys fs.FS, version int64, opts ...goose.ProviderOption) error {
	opts = append([]goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	}, opts...)
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if version > 0 {
		_, err = p.UpTo(ctx, version)
	} else {
		_, err = p.Up(ctx)
	}
	if err != nil {
		return fmt.Errorf("store: migrate up: %w", err)
	}
	return nil
}
