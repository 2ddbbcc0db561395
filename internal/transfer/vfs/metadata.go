package vfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// The modification times a client may set. Wider ones are refused rather
// than left to file systems, which clamp them silently (ext4 keeps
// 1901-2446).
var (
	minModTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxModTime = time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrInvalidTime: a modification time outside what CheckModTime accepts.
var ErrInvalidTime = fmt.Errorf("a modification time must be between %d and %d: %w", minModTime.Year(), maxModTime.Year(), fs.ErrInvalid)

// CheckModTime answers ErrInvalidTime for a time SetModTime would refuse,
// so a front end can refuse it before an upload starts.
func CheckModTime(t time.Time) error {
	if t.Before(minModTime) || !t.Before(maxModTime) {
		return ErrInvalidTime
	}
	return nil
}

// openMeta opens rel to read or change its metadata. O_NONBLOCK keeps a
// FIFO that something other than Gatehouse put in the storage from
// holding the request; anything but a file or folder is refused.
func openMeta(r *os.Root, rel string) (*os.File, fs.FileInfo, error) {
	if fi, err := r.Lstat(rel); err != nil {
		return nil, nil, err
	} else if !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, nil, fmt.Errorf("not a file or folder: %w", ErrPermission)
	}
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		err = fmt.Errorf("not a file or folder: %w", ErrPermission)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// setModTime sets the modification time of the file or folder at rel and
// keeps a file's checksum record true: a valid record is rewritten for the
// new time; a stale one (the file changed behind Gatehouse's back) is
// removed first, or setting the time it names would make it look valid
// again.
func (a *area) setModTime(rel string, t time.Time) error {
	r, err := a.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	f, before, err := openMeta(r, rel)
	if err != nil {
		return err
	}
	defer f.Close()
	if before.IsDir() {
		return r.Chtimes(rel, time.Time{}, t)
	}
	rec, found := readRecord(f)
	valid := found && rec.describes(before)
	if found && !valid {
		if err := removeRecord(f); err != nil {
			return fmt.Errorf("remove stale checksums: %w", err)
		}
	}
	if err := r.Chtimes(rel, time.Time{}, t); err != nil {
		return err
	}
	if !valid {
		return nil
	}
	// Rewrite the record only if the time went to the file that was
	// checked (the name could have been replaced meanwhile); otherwise it
	// goes stale, which leaves the checksums unknown, not wrong.
	after, err := f.Stat()
	if err != nil || after.Size() != before.Size() || !after.ModTime().Equal(t) {
		return nil
	}
	rec.mtime = after.ModTime()
	if err := writeRecord(f, rec); err != nil {
		_ = removeRecord(f)
	}
	return nil
}

// SetModTime sets the modification time of a file or folder the user may
// write, as clients preserve their local times (REST provided_mtime, SFTP
// setstat, FTP MFMT, WebDAV X-OC-Mtime). The tops of the user's home and
// writable group folders count as writable; the layout's own folders do
// not.
func (v *view) SetModTime(ctx context.Context, name string, t time.Time) error {
	if err := CheckModTime(t); err != nil {
		return err
	}
	p, err := v.resolve(ctx, name)
	if err != nil {
		return fmt.Errorf("set modification time: %w", err)
	}
	if p.virtual == "/" {
		p.area, p.rel = v.home(), nil
	}
	switch {
	case p.area == nil:
		return fmt.Errorf("set modification time of %s: this folder is part of the layout and cannot be changed: %w", p.display, ErrPermission)
	case !p.area.writable:
		return fmt.Errorf("set modification time of %s: %s is read-only for you; a group admin can write to it: %w", p.display, p.area.name, ErrPermission)
	}
	if err := p.area.setModTime(p.relPath(), t); err != nil {
		if errors.Is(err, ErrPermission) {
			return fmt.Errorf("set modification time of %s: %w", p.display, err)
		}
		return translate("set modification time of", p.display, err)
	}
	return nil
}
