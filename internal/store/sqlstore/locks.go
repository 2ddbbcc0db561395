package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// TryLock takes the lock in one statement: an insert that, on a name
// already present, takes the row over only when it expired or is the
// caller's own. The database's uniqueness on the name decides between
// concurrent callers, on one node or many.
func (s *Store) TryLock(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if name == "" || holder == "" {
		return false, fmt.Errorf("store: a lock needs a name and a holder")
	}
	if !until.After(now) {
		return false, fmt.Errorf("store: lock %q would expire before it is taken", name)
	}
	res, err := s.exec(ctx, `INSERT INTO sync_locks (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
			acquired_at = CASE WHEN sync_locks.holder = excluded.holder THEN sync_locks.acquired_at ELSE excluded.acquired_at END
		WHERE sync_locks.holder = excluded.holder OR sync_locks.expires_at <= ?`,
		name, holder, s.timeArg(now), s.timeArg(until), s.timeArg(now))
	if err != nil {
		return false, s.mapErr(err, "lock", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: take lock %q: %w", name, err)
	}
	return n == 1, nil
}

// Unlock deletes the lock row when holder holds it.
func (s *Store) Unlock(ctx context.Context, name, holder string) error {
	_, err := s.exec(ctx, `DELETE FROM sync_locks WHERE name = ? AND holder = ?`, name, holder)
	return s.mapErr(err, "lock", "")
}
