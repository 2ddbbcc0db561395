package vfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RemoveStaleUploads deletes upload temporary files not written to for
// olderThan: the leftovers of a server that stopped mid-upload (a running
// server aborts its own broken uploads), and the temporary folders of
// copies it stopped in the middle of. An upload in progress is written
// to continually, so its temporary file is never stale. Symlinks are not
// followed. It returns how many files it removed.
func (s *Storage) RemoveStaleUploads(olderThan time.Duration, now time.Time) (int, error) {
	removed := 0
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a folder removed or unreadable meanwhile: skip it
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), tempPrefix) {
			return removeStaleCopy(p, olderThan, now, &removed)
		}
		if d.IsDir() || !d.Type().IsRegular() || !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil || now.Sub(fi.ModTime()) < olderThan {
			return nil
		}
		if err := os.Remove(p); err == nil {
			removed++
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("sweep stale uploads under %s: %w", s.root, err)
	}
	return removed, nil
}

// removeStaleCopy removes the temporary folder of a folder copy when
// nothing in it was written for olderThan (a copy in progress writes to it
// continually), and does not descend into it either way.
func removeStaleCopy(dir string, olderThan time.Duration, now time.Time, removed *int) error {
	fresh := false
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && now.Sub(fi.ModTime()) < olderThan {
			fresh = true
			return filepath.SkipAll
		}
		return nil
	})
	if !fresh && os.RemoveAll(dir) == nil {
		*removed++
	}
	return filepath.SkipDir
}
