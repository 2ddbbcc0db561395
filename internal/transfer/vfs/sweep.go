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
// server aborts its own broken uploads). An upload in progress is written
// to continually, so its temporary file is never stale. Symlinks are not
// followed. It returns how many files it removed.
func (s *Storage) RemoveStaleUploads(olderThan time.Duration, now time.Time) (int, error) {
	removed := 0
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a folder removed or unreadable meanwhile: skip it
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
