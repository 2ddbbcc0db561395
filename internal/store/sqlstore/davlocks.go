package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

const davLockColumns = `token, site_id, user_id, root, zero_depth, owner_xml, timeout_seconds, expires_at, created_at`

// CreateDAVLock stores a lock. A lock needs a token and a root.
func (s *Store) CreateDAVLock(ctx context.Context, l *store.DAVLock) error {
	if l.Token == "" || l.Root == "" {
		return fmt.Errorf("store: a WebDAV lock needs a token and a root")
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = time.Now()
	}
	l.CreatedAt, l.ExpiresAt = normalTime(l.CreatedAt), normalTime(l.ExpiresAt)
	timeout := int64(-1)
	if l.Timeout >= 0 {
		timeout = int64(l.Timeout / time.Second)
		l.Timeout = time.Duration(timeout) * time.Second
	}
	_, err := s.exec(ctx, `INSERT INTO dav_locks (`+davLockColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.Token, l.SiteID, s.arg(field{"user_id", optionalID{&l.UserID}}), l.Root, l.ZeroDepth, l.OwnerXML, timeout, s.timeArg(l.ExpiresAt), s.timeArg(l.CreatedAt))
	return s.mapErr(err, "WebDAV lock", "a WebDAV lock with this token exists")
}

func scanDAVLock(r rowScanner) (store.DAVLock, error) {
	var l store.DAVLock
	var timeout int64
	err := r.Scan(&l.Token, &l.SiteID, idDest{&l.UserID}, &l.Root, &l.ZeroDepth, &l.OwnerXML, &timeout, timeDest{&l.ExpiresAt}, timeDest{&l.CreatedAt})
	if timeout < 0 {
		l.Timeout = -1
	} else {
		l.Timeout = time.Duration(timeout) * time.Second
	}
	return l, err
}

// GetDAVLock returns a lock of the site by token.
func (s *Store) GetDAVLock(ctx context.Context, siteID int64, token string) (store.DAVLock, error) {
	l, err := scanDAVLock(s.queryRow(ctx, false, `SELECT `+davLockColumns+` FROM dav_locks WHERE token = ? AND site_id = ?`, token, siteID))
	if err != nil {
		return store.DAVLock{}, s.mapErr(err, "WebDAV lock", "")
	}
	return l, nil
}

// ListDAVLocks returns the site's live locks, by root.
func (s *Store) ListDAVLocks(ctx context.Context, siteID int64, now time.Time) ([]store.DAVLock, error) {
	rows, err := s.query(ctx, `SELECT `+davLockColumns+` FROM dav_locks
		WHERE site_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY root, token`, siteID, s.timeArg(now))
	if err != nil {
		return nil, s.mapErr(err, "WebDAV locks", "")
	}
	defer rows.Close()
	locks := []store.DAVLock{}
	for rows.Next() {
		l, err := scanDAVLock(rows)
		if err != nil {
			return nil, s.mapErr(err, "WebDAV locks", "")
		}
		locks = append(locks, l)
	}
	return locks, s.mapErr(rows.Err(), "WebDAV locks", "")
}

// RefreshDAVLock sets a lock's expiry.
func (s *Store) RefreshDAVLock(ctx context.Context, siteID int64, token string, expiresAt time.Time) error {
	res, err := s.exec(ctx, `UPDATE dav_locks SET expires_at = ? WHERE token = ? AND site_id = ?`, s.timeArg(expiresAt), token, siteID)
	return s.oneRow(res, err, "WebDAV lock")
}

// DeleteDAVLock removes a lock.
func (s *Store) DeleteDAVLock(ctx context.Context, siteID int64, token string) error {
	res, err := s.exec(ctx, `DELETE FROM dav_locks WHERE token = ? AND site_id = ?`, token, siteID)
	return s.oneRow(res, err, "WebDAV lock")
}

// DeleteExpiredDAVLocks sweeps every site's expired locks.
func (s *Store) DeleteExpiredDAVLocks(ctx context.Context, now time.Time) (int, error) {
	return deleteWhere(ctx, s, "dav_locks", "WebDAV lock", "expires_at IS NOT NULL AND expires_at <= ?", s.timeArg(now))
}

// oneRow turns an UPDATE or DELETE that touched no row into ErrNotFound.
func (s *Store) oneRow(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return s.mapErr(err, what, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	return nil
}
