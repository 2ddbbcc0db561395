package vfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// AssemblyFile is the one file a multi-part upload's parts are written
// into, each at its offset, in the upload's staging folder: parts whose
// place in the file is known when they begin are written there directly,
// so the end puts this file in place instead of copying every part.
type AssemblyFile interface {
	io.ReaderAt
	io.WriterAt
	// Truncate sets the file's size (the end cuts it to the parts' total).
	Truncate(size int64) error
	Close() error
}

// Assembler is a staging area that assembles an upload's parts in one
// file; the local-disk backend is one.
type Assembler interface {
	// OpenAssembly opens (creating it empty the first time) the assembly
	// file of the upload ref of a site, for writing parts at their
	// offsets and reading them back to hash them.
	OpenAssembly(ctx context.Context, siteID int64, ref string) (AssemblyFile, error)
}

// Placer is implemented by a user's view whose storage can put an
// upload's assembly file in place under a path of the view without
// copying it.
type Placer interface {
	// PlaceAssembly moves the assembly file of the upload ref (of the
	// view's site), which must be size bytes long, to name: the same
	// permission checks as Create and one rename, so the file appears
	// whole, with its modification time (zero: now) and checksums (zero:
	// unknown), or not at all. The upload must be one the caller tied to
	// this user.
	PlaceAssembly(ctx context.Context, name, ref string, size int64, modTime time.Time, sums Checksums) error
}

// assemblyName is the assembly file's name in an upload's staging folder,
// beside the parts staged on their own.
const assemblyName = "assembly"

// OpenAssembly opens the upload's assembly file, creating it if needed.
func (s *Storage) OpenAssembly(ctx context.Context, siteID int64, ref string) (AssemblyFile, error) {
	dir, err := s.uploadDir(siteID, ref)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("staging folder for upload parts: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, assemblyName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open the upload's assembly file: %w", err)
	}
	return f, nil
}

// PlaceAssembly puts the upload's assembly file in place under name.
func (v *view) PlaceAssembly(ctx context.Context, name, ref string, size int64, modTime time.Time, sums Checksums) error {
	p, err := v.writablePlace(ctx, "upload", name)
	if err != nil {
		return err
	}
	if !modTime.IsZero() {
		if err := CheckModTime(modTime); err != nil {
			return fmt.Errorf("upload %s: %w", p.display, err)
		}
	}
	dir, err := v.s.uploadDir(v.siteID, ref)
	if err != nil {
		return err
	}
	return translate("upload", p.display, p.area.place(p.rel, dir, size, modTime, sums))
}

// place moves the file assemblyName of the staging folder dir to rel in
// the area. The checksum record and the modification time are set on
// the staged file first (a rename keeps both, as it keeps the inode), and
// the rename goes from the staging folder's descriptor to the
// destination folder's descriptor opened through the area's root, so a
// symbolic link in the user's path cannot lead it outside the area.
func (a *area) place(rel []string, dir string, size int64, modTime time.Time, sums Checksums) error {
	final := strings.Join(rel, "/")
	parent := strings.Join(rel[:len(rel)-1], "/")
	if parent == "" {
		parent = "."
	}
	r, err := a.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	if fi, err := r.Lstat(final); err == nil && fi.IsDir() {
		return ErrIsDir
	}
	dst, err := r.Open(parent)
	if err != nil {
		return err
	}
	defer dst.Close()
	if fi, err := dst.Stat(); err != nil || !fi.IsDir() {
		return ErrNotDir
	}
	src, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("the upload's assembly file: %w", ErrNotExist)
	}
	defer src.Close()
	staged := filepath.Join(dir, assemblyName)
	f, err := os.OpenFile(staged, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("the upload's assembly file: %w", ErrNotExist)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Size() != size {
		return fmt.Errorf("the upload's assembly file has %d bytes, not %d", fi.Size(), size)
	}
	if !modTime.IsZero() {
		if err := os.Chtimes(staged, time.Time{}, modTime); err != nil {
			return fmt.Errorf("set its modification time: %w", err)
		}
	}
	// A record that cannot be written leaves the checksums unknown,
	// which is no reason to lose the upload.
	_ = removeRecord(f)
	if a.sums && sums.Known() {
		if fi, err := f.Stat(); err == nil {
			_ = writeRecord(f, checksumRecord{size: fi.Size(), mtime: fi.ModTime(), sums: sums})
		}
	}
	if err := renameBetween(src, assemblyName, dst, rel[len(rel)-1]); err != nil {
		// Left staged: its time says it is in use, for the sweep of
		// stale staging.
		now := time.Now()
		_ = os.Chtimes(staged, now, now)
		return err
	}
	return nil
}

// errPlaceUnsupported: the platform cannot rename between two open
// folders; the caller copies instead.
var errPlaceUnsupported = errors.New("placing a staged file is not supported on this platform")

// IsPlaceUnsupported reports whether PlaceAssembly failed only because
// the platform cannot do it, so the caller should copy instead.
func IsPlaceUnsupported(err error) bool { return errors.Is(err, errPlaceUnsupported) }
