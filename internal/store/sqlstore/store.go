// Package sqlstore is the one database/sql implementation of store.Store
// that both SQL drivers share. A Dialect carries what differs between the
// engines (placeholder style, error codes, row locks, time encoding); the
// sqlite and postgres packages open the databases, run their migrations and
// hand the pools to New.
//
// Transactions travel in the context: Tx puts its *sql.Tx into the context
// the callback receives, every method uses that transaction when present
// and the pool otherwise, and a nested Tx joins the outer one.
//
// Times are kept in UTC at microsecond precision (PostgreSQL's), and a
// record passed to a Create method is normalised in place, so it equals
// what a later read returns. Create methods keep a CreatedAt or UpdatedAt
// the caller set and fill only zero ones with the current time; Update
// methods set UpdatedAt to now unless fn changed it. Both let a caller with
// an injected clock decide the times. The zero time is stored as NULL.
//
// Usernames, emails, user names and group names are matched through
// lower-cased copies in *_key columns, computed in Go, so that case
// folding is the same (and Unicode-aware) on every engine.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Options is what New needs.
// Options, as everywhere, is what a constructor takes; Config is kept for
// what an admin writes (internal/config) and a connector's provider
// description built from stored settings.
type Options struct {
	Dialect Dialect
	// DB carries writes and every transaction.
	DB *sql.DB
	// ReadDB carries reads made outside a transaction; nil means DB. SQLite
	// uses a separate pool of read connections next to its single writer.
	ReadDB *sql.DB
	// OnClose, when set, runs first in Close: a driver stops its own
	// background work there (SQLite's checkpointer).
	OnClose func() error
	// Listen, when set, hears the account changes other processes make
	// on the database and tells w, with whether it hears every one
	// (see store.AccountWatcher), until ctx ends. The first
	// WatchAccounts starts it; Close stops it. Without it the feed tells
	// only of this process's own writes.
	Listen func(ctx context.Context, w store.AccountWatcher)
}

// Store implements store.Store over database/sql.
type Store struct {
	d       Dialect
	db      *sql.DB
	readDB  *sql.DB
	onClose func() error
	feed    feed

	rebound    sync.Map // query text with ? -> dialect text
	writeStmts sync.Map // dialect text -> *sql.Stmt on db
	readStmts  sync.Map // dialect text -> *sql.Stmt on readDB
	// cachedStatements counts the statements in both caches.
	cachedStatements atomic.Int64

	growth *growth // inserts per table, for AnalyzeGrowing
}

var _ store.Store = (*Store)(nil)

// New returns a Store over the pools in c. The Store owns them: Close
// closes them.
func New(c Options) *Store {
	s := &Store{d: c.Dialect, db: c.DB, readDB: c.ReadDB, onClose: c.OnClose, feed: feed{listen: c.Listen},
		growth: newGrowth()}
	if s.readDB == nil {
		s.readDB = s.db
	}
	return s
}

// Dialect returns the dialect the store was made with.
func (s *Store) Dialect() Dialect { return s.d }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.d.Name, err)
	}
	return nil
}

// Close closes the cached statements and the pools.
func (s *Store) Close() error {
	s.feed.close()
	s.growth.wait()
	var closeErr error
	if s.onClose != nil {
		closeErr = s.onClose()
	}
	for _, m := range []*sync.Map{&s.writeStmts, &s.readStmts} {
		m.Range(func(_, v any) bool {
			_ = v.(*sql.Stmt).Close()
			return true
		})
	}
	err := errors.Join(closeErr, s.db.Close())
	if s.readDB != s.db {
		err = errors.Join(err, s.readDB.Close())
	}
	return err
}

// txState is the transaction a context carries.
type txState struct {
	owner *Store
	tx    *sql.Tx
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// unpooled are the queries this transaction had to prepare itself
	// because the pool had not prepared them yet; Tx prepares them on the
	// pool after the commit, so the next transaction reuses them.
	unpooled []string
	// changes are the account changes the transaction made, told to the
	// feed once it commits (feed.go).
	changes []store.AccountChange
	// grown counts the rows inserted per table, for AnalyzeGrowing once
	// the transaction commits.
	grown map[string]int
}

type txKey struct{}

// txFrom returns the transaction of this store that ctx carries, if any. A
// transaction of another Store in the same context is ignored: it is a
// different database.
func (s *Store) txFrom(ctx context.Context) *txState {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.owner == s {
		return st
	}
	return nil
}

// InTx reports whether ctx carries a transaction of this store.
func (s *Store) InTx(ctx context.Context) bool { return s.txFrom(ctx) != nil }

// Tx runs fn in one transaction; a Tx inside fn joins it.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin transaction: %w", err)
	}
	st := &txState{owner: s, tx: tx}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	for _, c := range st.changes {
		s.feed.AccountChanged(c)
	}
	for _, q := range st.unpooled {
		// Best effort: a failure here only means preparing again next time.
		_, _ = s.prepared(context.WithoutCancel(ctx), &s.writeStmts, s.db, q)
	}
	for table, n := range st.grown {
		s.inserted(table, n)
	}
	return nil
}

// LockSite makes concurrent transactions that lock the same site wait for
// this one: it reads the site row with the dialect's row lock, held until
// the transaction ends. It must be called inside Tx, and is ErrNotFound
// when the site does not exist.
func (s *Store) LockSite(ctx context.Context, siteID int64) error {
	if s.txFrom(ctx) == nil {
		return errors.New("store: LockSite called outside a transaction")
	}
	var id int64
	err := s.queryRow(ctx, false, "SELECT id FROM sites WHERE id = ?"+s.d.RowLock, siteID).Scan(&id)
	if err != nil {
		return s.mapErr(err, "site", "")
	}
	return nil
}

// bind rewrites a query written with ? into the dialect's placeholders.
func (s *Store) bind(q string) string {
	if !s.d.NumberedPlaceholders {
		return q
	}
	if v, ok := s.rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	s.rebound.Store(q, out)
	return out
}

// maxPreparedStatements bounds each statement cache. Queries are built
// from fixed fragments, so the real number is far smaller; the bound keeps
// query shapes composed from input (SCIM filters) from growing it forever.
const maxPreparedStatements = 2000

// prepared returns a statement for q on db, preparing it once; past the
// cache's bound it runs q unprepared.
func (s *Store) prepared(ctx context.Context, cache *sync.Map, db *sql.DB, q string) (runner, error) {
	if v, ok := cache.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	if s.cachedStatements.Load() >= maxPreparedStatements {
		return direct{db, q}, nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if v, loaded := cache.LoadOrStore(q, st); loaded {
		_ = st.Close()
		return v.(*sql.Stmt), nil
	}
	s.cachedStatements.Add(1)
	return st, nil
}

// txStmt returns q prepared on the transaction's connection, once per
// transaction. When the pool already has q prepared the transaction reuses
// that statement (database/sql keeps it per connection); otherwise it
// prepares on its own connection, never asking the pool for another one,
// which a single-connection pool would never hand out while the
// transaction holds it.
func (s *Store) txStmt(ctx context.Context, t *txState, q string) (*sql.Stmt, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if base, ok := s.writeStmts.Load(q); ok {
		st = t.tx.StmtContext(ctx, base.(*sql.Stmt))
	} else {
		var err error
		if st, err = t.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
		t.unpooled = append(t.unpooled, q)
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt)
	}
	t.stmts[q] = st
	return st, nil
}

// runner is what both *sql.Stmt and a pool-or-transaction pair offer.
type runner interface {
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

// conn is anything that runs query text directly: *sql.DB or *sql.Tx.
type conn interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// direct runs one query text on a conn without preparing it.
type direct struct {
	c conn
	q string
}

func (d direct) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return d.c.QueryContext(ctx, d.q, args...)
}
func (d direct) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return d.c.QueryRowContext(ctx, d.q, args...)
}
func (d direct) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return d.c.ExecContext(ctx, d.q, args...)
}

// runnerFor picks where q runs: the context's transaction, else the write
// pool for writes and the read pool for reads.
func (s *Store) runnerFor(ctx context.Context, write bool, q string) (runner, error) {
	q = s.bind(q)
	t := s.txFrom(ctx)
	if !s.d.CacheStatements {
		switch {
		case t != nil:
			return direct{t.tx, q}, nil
		case write:
			return direct{s.db, q}, nil
		default:
			return direct{s.readDB, q}, nil
		}
	}
	switch {
	case t != nil:
		return s.txStmt(ctx, t, q)
	case write:
		return s.prepared(ctx, &s.writeStmts, s.db, q)
	default:
		return s.prepared(ctx, &s.readStmts, s.readDB, q)
	}
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r, err := s.runnerFor(ctx, false, q)
	if err != nil {
		return nil, err
	}
	return r.QueryContext(ctx, args...)
}

// queryRow runs a query returning one row; write says it changes data
// (INSERT … RETURNING) and so must go to the writer.
func (s *Store) queryRow(ctx context.Context, write bool, q string, args ...any) rowScanner {
	r, err := s.runnerFor(ctx, write, q)
	if err != nil {
		return errRow{err}
	}
	return r.QueryRowContext(ctx, args...)
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r, err := s.runnerFor(ctx, true, q)
	if err != nil {
		return nil, err
	}
	return r.ExecContext(ctx, args...)
}

// rowScanner is *sql.Row or a failure to run the query at all.
type rowScanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }

// mapErr turns driver errors into the store's: no rows is ErrNotFound, a
// unique violation ErrConflict, a dangling reference ErrNotFound. what
// names the record, conflict the rule a unique violation broke.
func (s *Store) mapErr(err error, what, conflict string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	case s.d.IsUniqueViolation != nil && s.d.IsUniqueViolation(err):
		if conflict == "" {
			conflict = what + " already exists"
		}
		return fmt.Errorf("%w: %s", store.ErrConflict, conflict)
	case s.d.IsForeignKeyViolation != nil && s.d.IsForeignKeyViolation(err):
		return fmt.Errorf("%w: %s refers to a record that does not exist", store.ErrNotFound, what)
	default:
		return fmt.Errorf("store: %s: %w", what, err)
	}
}
