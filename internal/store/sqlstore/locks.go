package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TryLock takes the lock; see TryLockFenced.
func (s *Store) TryLock(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	token, err := s.TryLockFenced(ctx, name, holder, now, until)
	return token != 0, err
}

// TryLockFenced takes the lock in one statement: an insert that, on a
// name already present, takes the row over only when it expired, was
// released or is the caller's own. The database's uniqueness on the name
// decides between concurrent callers, on one node or many. The row is
// never deleted (Unlock marks it released), so its generation only grows.
func (s *Store) TryLockFenced(ctx context.Context, name, holder string, now, until time.Time) (int64, error) {
	if name == "" || holder == "" {
		return 0, fmt.Errorf("store: a lock needs a name and a holder")
	}
	if !until.After(now) {
		return 0, fmt.Errorf("store: lock %q would expire before it is taken", name)
	}
	var token int64
	err := s.queryRow(ctx, true, `INSERT INTO sync_locks (name, holder, acquired_at, expires_at, generation) VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
			acquired_at = CASE WHEN sync_locks.holder = excluded.holder THEN sync_locks.acquired_at ELSE excluded.acquired_at END,
			generation = CASE WHEN sync_locks.holder = excluded.holder THEN sync_locks.generation ELSE sync_locks.generation + 1 END
		WHERE sync_locks.holder = excluded.holder OR sync_locks.expires_at <= ?
		RETURNING generation`,
		name, holder, s.timeArg(now), s.timeArg(until), s.timeArg(now)).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // another holder has it
	}
	if err != nil {
		return 0, s.mapErr(err, "lock", "")
	}
	return token, nil
}

// CheckFence reads the lock's generation with the dialect's row lock.
func (s *Store) CheckFence(ctx context.Context, f store.Fence) error {
	if s.txFrom(ctx) == nil {
		return errors.New("store: CheckFence called outside a transaction")
	}
	var gen int64
	err := s.queryRow(ctx, false, "SELECT generation FROM sync_locks WHERE name = ?"+s.d.RowLock, f.Lock).Scan(&gen)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: lock %q is not held", store.ErrFenced, f.Lock)
	case err != nil:
		return s.mapErr(err, "lock", "")
	case gen != f.Token:
		return fmt.Errorf("%w: lock %q is at generation %d, the caller holds %d", store.ErrFenced, f.Lock, gen, f.Token)
	}
	return nil
}

// Unlock marks the lock released when holder holds it: no holder, expired
// long ago, and a new generation, so that the releasing holder's token is
// fenced off too.
func (s *Store) Unlock(ctx context.Context, name, holder string) error {
	if holder == "" {
		return nil // nobody holds a released lock
	}
	_, err := s.exec(ctx, `UPDATE sync_locks SET holder = '', expires_at = ?, generation = generation + 1
		WHERE name = ? AND holder = ?`, s.timeArg(released), name, holder)
	return s.mapErr(err, "lock", "")
}

// released is the expiry of a released lock: before any time a caller
// takes a lock at.
var released = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
