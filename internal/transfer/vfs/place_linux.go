//go:build linux

package vfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// renameBetween renames the entry from in the open folder src to to in
// the open folder dst, replacing a file there: one renameat(2), relative
// to both descriptors, so neither path is resolved again.
func renameBetween(src *os.File, from string, dst *os.File, to string) error {
	return withFd(src, func(sfd int) error {
		return withFd(dst, func(dfd int) error {
			if err := unix.Renameat(sfd, from, dfd, to); err != nil {
				return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
			}
			return nil
		})
	})
}
