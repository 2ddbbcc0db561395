package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

const fileUploadColumns = `ref, site_id, user_id, api_key_id, session_id, path, declared_size, ending, expires_at, created_at`

// CreateFileUpload stores a begun upload. An upload needs a ref, a path
// and an expiry.
func (s *Store) CreateFileUpload(ctx context.Context, u *store.FileUpload) error {
	if u.Ref == "" || u.Path == "" || u.ExpiresAt.IsZero() {
		return fmt.Errorf("store: a file upload needs a ref, a path and an expiry")
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	u.CreatedAt, u.ExpiresAt = normalTime(u.CreatedAt), normalTime(u.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO file_uploads (`+fileUploadColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Ref, u.SiteID, u.UserID, s.arg(field{"api_key_id", optionalID{&u.APIKeyID}}), s.arg(field{"session_id", optionalID{&u.SessionID}}),
		u.Path, u.DeclaredSize, u.Ending, s.timeArg(u.ExpiresAt), s.timeArg(u.CreatedAt))
	return s.mapErr(err, "file upload", "a file upload with this ref exists")
}

func scanFileUpload(r rowScanner) (store.FileUpload, error) {
	var u store.FileUpload
	err := r.Scan(&u.Ref, &u.SiteID, &u.UserID, idDest{&u.APIKeyID}, idDest{&u.SessionID}, &u.Path, &u.DeclaredSize, &u.Ending,
		timeDest{&u.ExpiresAt}, timeDest{&u.CreatedAt})
	return u, err
}

// GetFileUpload returns an upload of the site by ref.
func (s *Store) GetFileUpload(ctx context.Context, siteID int64, ref string) (store.FileUpload, error) {
	u, err := scanFileUpload(s.queryRow(ctx, false, `SELECT `+fileUploadColumns+` FROM file_uploads WHERE ref = ? AND site_id = ?`, ref, siteID))
	if err != nil {
		return store.FileUpload{}, s.mapErr(err, "file upload", "")
	}
	return u, nil
}

// CountFileUploads counts live uploads in one read.
func (s *Store) CountFileUploads(ctx context.Context, siteID, userID int64, now time.Time) (store.FileUploadCounts, error) {
	var c store.FileUploadCounts
	var userCount, siteCount int64
	var total int64
	err := s.queryRow(ctx, false, `SELECT
			COALESCE(SUM(CASE WHEN site_id = ? AND user_id = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN site_id = ? THEN 1 ELSE 0 END), 0),
			COUNT(*),
			MIN(CASE WHEN site_id = ? AND user_id = ? THEN expires_at END),
			MIN(CASE WHEN site_id = ? THEN expires_at END)
		FROM file_uploads WHERE expires_at > ?`,
		siteID, userID, siteID, siteID, userID, siteID, s.timeArg(now)).
		Scan(&userCount, &siteCount, &total, timeDest{&c.UserExpires}, timeDest{&c.SiteExpires})
	if err != nil {
		return c, s.mapErr(err, "file uploads", "")
	}
	c.User, c.Site, c.Total = int(userCount), int(siteCount), int(total)
	return c, nil
}

// SetFileUploadExpiry sets an upload's expiry.
func (s *Store) SetFileUploadExpiry(ctx context.Context, siteID int64, ref string, expiresAt time.Time) error {
	res, err := s.exec(ctx, `UPDATE file_uploads SET expires_at = ? WHERE ref = ? AND site_id = ?`, s.timeArg(expiresAt), ref, siteID)
	return s.oneRow(res, err, "file upload")
}

// SetFileUploadEnding flips the Ending flag in one conditional update, so
// that exactly one of concurrent callers changes it.
func (s *Store) SetFileUploadEnding(ctx context.Context, siteID int64, ref string, ending bool, expiresAt time.Time) (bool, error) {
	res, err := s.exec(ctx, `UPDATE file_uploads SET ending = ?, expires_at = ? WHERE ref = ? AND site_id = ? AND ending = ?`,
		ending, s.timeArg(expiresAt), ref, siteID, !ending)
	if err != nil {
		return false, s.mapErr(err, "file upload", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: file upload: %w", err)
	}
	if n == 1 {
		return true, nil
	}
	if _, err := s.GetFileUpload(ctx, siteID, ref); err != nil {
		return false, err
	}
	return false, nil
}

// PutFileUploadPart records a part, replacing an earlier record of it
// and forgetting the hash states from it on; a pending part is recorded
// only where the part has no record yet.
func (s *Store) PutFileUploadPart(ctx context.Context, siteID int64, p *store.FileUploadPart) error {
	pending := p.Size < 0
	if p.Part < 1 || (p.ETag == "") != pending {
		return fmt.Errorf("store: a file upload part needs a number from 1, and an etag unless it is pending")
	}
	if p.ReceivedAt.IsZero() {
		p.ReceivedAt = time.Now()
	}
	p.ReceivedAt = normalTime(p.ReceivedAt)
	return s.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.GetFileUpload(ctx, siteID, p.Ref); err != nil {
			return err
		}
		onConflict := `DO UPDATE SET size = excluded.size, etag = excluded.etag, received_at = excluded.received_at, hash_state = NULL`
		if pending {
			onConflict = `DO NOTHING`
		}
		if !pending {
			if _, err := s.exec(ctx, `UPDATE file_upload_parts SET hash_state = NULL WHERE ref = ? AND part > ?`, p.Ref, p.Part); err != nil {
				return s.mapErr(err, "file upload parts", "")
			}
		}
		_, err := s.exec(ctx, `INSERT INTO file_upload_parts (ref, part, size, etag, received_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (ref, part) `+onConflict, p.Ref, p.Part, p.Size, p.ETag, s.timeArg(p.ReceivedAt))
		return s.mapErr(err, "file upload part", "")
	})
}

// LockFileUpload reads an upload and locks its row until the
// transaction ends (SQLite's transactions are serialised already).
func (s *Store) LockFileUpload(ctx context.Context, siteID int64, ref string) (store.FileUpload, error) {
	if s.txFrom(ctx) == nil {
		return store.FileUpload{}, errors.New("store: LockFileUpload called outside a transaction")
	}
	u, err := scanFileUpload(s.queryRow(ctx, false, `SELECT `+fileUploadColumns+` FROM file_uploads WHERE ref = ? AND site_id = ?`+s.d.RowLock, ref, siteID))
	if err != nil {
		return store.FileUpload{}, s.mapErr(err, "file upload", "")
	}
	return u, nil
}

// StartFileUploadPart records a pending part at its placement, replacing
// any earlier version, and forgets the hash states from it on.
func (s *Store) StartFileUploadPart(ctx context.Context, siteID int64, p *store.FileUploadPart) error {
	if p.Part < 1 || p.Placement == nil {
		return fmt.Errorf("store: a starting file upload part needs a number from 1 and a placement")
	}
	if p.ReceivedAt.IsZero() {
		p.ReceivedAt = time.Now()
	}
	p.ReceivedAt = normalTime(p.ReceivedAt)
	p.Size, p.ETag, p.HashState = -1, "", nil
	return s.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.GetFileUpload(ctx, siteID, p.Ref); err != nil {
			return err
		}
		if _, err := s.exec(ctx, `UPDATE file_upload_parts SET hash_state = NULL WHERE ref = ? AND part > ?`, p.Ref, p.Part); err != nil {
			return s.mapErr(err, "file upload parts", "")
		}
		_, err := s.exec(ctx, `INSERT INTO file_upload_parts (ref, part, size, etag, received_at, length, byte_offset, hash_state)
			VALUES (?, ?, -1, '', ?, ?, ?, NULL)
			ON CONFLICT (ref, part) DO UPDATE SET size = -1, etag = '', received_at = excluded.received_at,
				length = excluded.length, byte_offset = excluded.byte_offset, hash_state = NULL`,
			p.Ref, p.Part, s.timeArg(p.ReceivedAt), p.Placement.Length, p.Placement.Offset)
		return s.mapErr(err, "file upload part", "")
	})
}

// SetFileUploadPartHash records a part's hash state in one conditional
// update: the part must still be the version etag, and the part before
// it must still hold the state base.
func (s *Store) SetFileUploadPartHash(ctx context.Context, siteID int64, ref string, part int, etag string, base, state []byte) (bool, error) {
	if etag == "" || len(state) == 0 {
		return false, fmt.Errorf("store: a file upload part's hash state needs the part's etag and a state")
	}
	q := `UPDATE file_upload_parts SET hash_state = ? WHERE ref = ? AND part = ? AND etag = ?
		AND ref IN (SELECT ref FROM file_uploads WHERE ref = ? AND site_id = ?)`
	args := []any{state, ref, part, etag, ref, siteID}
	if part > 1 {
		if len(base) == 0 {
			return false, nil
		}
		q += ` AND (SELECT b.hash_state FROM file_upload_parts b WHERE b.ref = ? AND b.part = ?) = ?`
		args = append(args, ref, part-1, base)
	}
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return false, s.mapErr(err, "file upload part", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: file upload part: %w", err)
	}
	return n == 1, nil
}

// ListFileUploadParts returns an upload's parts by number.
func (s *Store) ListFileUploadParts(ctx context.Context, siteID int64, ref string) ([]store.FileUploadPart, error) {
	rows, err := s.query(ctx, `SELECT p.ref, p.part, p.size, p.etag, p.received_at, p.length, p.byte_offset, p.hash_state FROM file_upload_parts p
		JOIN file_uploads u ON u.ref = p.ref WHERE p.ref = ? AND u.site_id = ? ORDER BY p.part`, ref, siteID)
	if err != nil {
		return nil, s.mapErr(err, "file upload parts", "")
	}
	defer rows.Close()
	parts := []store.FileUploadPart{}
	for rows.Next() {
		var p store.FileUploadPart
		var n int64
		var length, offset sql.NullInt64
		var state []byte
		if err := rows.Scan(&p.Ref, &n, &p.Size, &p.ETag, timeDest{&p.ReceivedAt}, &length, &offset, &state); err != nil {
			return nil, s.mapErr(err, "file upload parts", "")
		}
		p.Part = int(n)
		if length.Valid && offset.Valid {
			p.Placement = &store.PartPlacement{Length: length.Int64, Offset: offset.Int64}
		}
		if len(state) > 0 {
			p.HashState = state
		}
		parts = append(parts, p)
	}
	return parts, s.mapErr(rows.Err(), "file upload parts", "")
}

// DeleteFileUpload removes an upload; its parts go with it.
func (s *Store) DeleteFileUpload(ctx context.Context, siteID int64, ref string) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `DELETE FROM file_upload_parts WHERE ref IN (SELECT ref FROM file_uploads WHERE ref = ? AND site_id = ?)`, ref, siteID); err != nil {
			return s.mapErr(err, "file upload parts", "")
		}
		return deleteOne(ctx, s, "file_uploads", "file upload", "ref = ? AND site_id = ?", ref, siteID)
	})
}

// ListExpiredFileUploads lists expired uploads of every site.
func (s *Store) ListExpiredFileUploads(ctx context.Context, now time.Time, limit int) ([]store.FileUpload, error) {
	if limit <= 0 || limit > maxLimit {
		limit = maxLimit
	}
	rows, err := s.query(ctx, `SELECT `+fileUploadColumns+` FROM file_uploads WHERE expires_at <= ? ORDER BY expires_at, ref LIMIT ?`,
		s.timeArg(now), limit)
	if err != nil {
		return nil, s.mapErr(err, "file uploads", "")
	}
	defer rows.Close()
	out := []store.FileUpload{}
	for rows.Next() {
		u, err := scanFileUpload(rows)
		if err != nil {
			return nil, s.mapErr(err, "file uploads", "")
		}
		out = append(out, u)
	}
	return out, s.mapErr(rows.Err(), "file uploads", "")
}

// GetSession returns a live session of the site by id.
func (s *Store) GetSession(ctx context.Context, siteID, id int64, now time.Time) (store.Session, error) {
	return get(ctx, s, sessions, "se.id = ? AND se.site_id = ? AND se.expires_at > ?", id, siteID, s.timeArg(now))
}
