package vfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Staging keeps the parts of multi-part uploads (the REST API's
// begin_upload, a PUT per part, then the end) until the end assembles
// them, or the upload is abandoned. Parts whose place in the file is
// known are written into the upload's assembly file instead (see
// Assembler); WritePart keeps those that arrive before their place is
// known. It is part of
// the storage backend, not of a user's view: parts belong to an upload,
// which the caller has already tied to a user and a path. The local-disk
// backend keeps one file per part; an object-store backend will map an
// upload onto its own multi-part upload.
type Staging interface {
	// WritePart stores part (from 1) of the upload ref of a site, read
	// from r. More than limit bytes is ErrPartTooLarge and stores
	// nothing. A part written again replaces the earlier one once it is
	// complete; until then, and when writing fails, the earlier one
	// stays. It returns the part's size.
	WritePart(ctx context.Context, siteID int64, ref string, part int, r io.Reader, limit int64) (int64, error)
	// OpenPart opens a stored part for reading, with its size.
	OpenPart(ctx context.Context, siteID int64, ref string, part int) (io.ReadCloser, int64, error)
	// RemoveUpload removes every part of an upload; an upload with no
	// parts is not an error.
	RemoveUpload(ctx context.Context, siteID int64, ref string) error
}

// ErrPartTooLarge: a part longer than the limit its upload URI allows.
var ErrPartTooLarge = errors.New("the part is larger than its upload URI allows")

// ErrInvalidRef: an upload reference that is not one the server makes.
var ErrInvalidRef = errors.New("invalid upload reference")

// stagingFolder holds every site's staged parts, beside the sites'
// folders and so outside every user's view.
const stagingFolder = ".staging"

// checkRef accepts what the REST front end makes (a prefix and hex
// digits) and nothing that could leave the staging folder.
func checkRef(ref string) error {
	if ref == "" || len(ref) > 64 {
		return ErrInvalidRef
	}
	for _, c := range ref {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ErrInvalidRef
		}
	}
	return nil
}

func (s *Storage) uploadDir(siteID int64, ref string) (string, error) {
	if err := checkRef(ref); err != nil {
		return "", err
	}
	return filepath.Join(s.root, stagingFolder, "site-"+strconv.FormatInt(siteID, 10), ref), nil
}

func partName(part int) string { return fmt.Sprintf("part-%05d", part) }

// WritePart writes the part to a temporary file in the upload's folder
// and renames it into place when complete, so a part is never seen half
// written.
func (s *Storage) WritePart(ctx context.Context, siteID int64, ref string, part int, r io.Reader, limit int64) (int64, error) {
	dir, err := s.uploadDir(siteID, ref)
	if err != nil {
		return 0, err
	}
	if part < 1 {
		return 0, fmt.Errorf("part number %d: %w", part, ErrInvalidRef)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("staging folder for upload parts: %w", err)
	}
	var random [8]byte
	if _, err := rand.Read(random[:]); err != nil {
		return 0, err
	}
	tmp := filepath.Join(dir, tempPrefix+hex.EncodeToString(random[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return 0, fmt.Errorf("stage upload part: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = ErrPartTooLarge
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, partName(part)))
	}
	if err != nil {
		os.Remove(tmp)
		return n, err
	}
	return n, nil
}

// OpenPart opens a staged part.
func (s *Storage) OpenPart(ctx context.Context, siteID int64, ref string, part int) (io.ReadCloser, int64, error) {
	dir, err := s.uploadDir(siteID, ref)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(filepath.Join(dir, partName(part)))
	if err != nil {
		return nil, 0, fmt.Errorf("part %d of the upload: %w", part, ErrNotExist)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// RemoveUpload removes the upload's folder.
func (s *Storage) RemoveUpload(ctx context.Context, siteID int64, ref string) error {
	dir, err := s.uploadDir(siteID, ref)
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// RemoveStaleStaging removes the staged parts of uploads not written to
// for olderThan: those of uploads whose record is gone (a server stopped
// between removing the record and the parts). Uploads still recorded
// expire much sooner and are removed with their record. It returns how
// many uploads' parts it removed.
func (s *Storage) RemoveStaleStaging(olderThan time.Duration, now time.Time) (int, error) {
	base := filepath.Join(s.root, stagingFolder)
	sites, err := os.ReadDir(base)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sweep staged upload parts: %w", err)
	}
	removed := 0
	for _, site := range sites {
		if !site.IsDir() {
			continue
		}
		siteDir := filepath.Join(base, site.Name())
		uploads, err := os.ReadDir(siteDir)
		if err != nil {
			continue
		}
		for _, u := range uploads {
			dir := filepath.Join(siteDir, u.Name())
			if u.IsDir() && newestChange(dir).Add(olderThan).Before(now) && os.RemoveAll(dir) == nil {
				removed++
			}
		}
	}
	return removed, nil
}

// newestChange is the latest modification time of a folder and its files.
func newestChange(dir string) time.Time {
	var newest time.Time
	if fi, err := os.Stat(dir); err == nil {
		newest = fi.ModTime()
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	return newest
}
