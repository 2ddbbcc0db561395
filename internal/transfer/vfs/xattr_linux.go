//go:build linux

package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// checksumAttr is the extended attribute in which local disk keeps a
// file's checksum record. It is written on the upload's temporary file
// before the rename that puts the file in place, so a file never appears
// without it, and a rename (same inode) keeps it.
const checksumAttr = "user.gatehouse.checksums"

// recordMaxBytes bounds a record; a longer attribute is not one of ours.
const recordMaxBytes = 128

// withFd runs fn on f's descriptor without switching f to blocking mode
// (as Fd would).
func withFd(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// readRecord reads the checksum record of the open file f; false when
// there is none (or the file system keeps no user attributes).
func readRecord(f *os.File) (checksumRecord, bool) {
	var buf [recordMaxBytes]byte
	n := 0
	err := withFd(f, func(fd int) (err error) {
		n, err = unix.Fgetxattr(fd, checksumAttr, buf[:])
		return err
	})
	if err != nil {
		return checksumRecord{}, false
	}
	return parseRecord(buf[:n])
}

func writeRecord(f *os.File, r checksumRecord) error {
	return withFd(f, func(fd int) error { return unix.Fsetxattr(fd, checksumAttr, r.encode(), 0) })
}

// entryRecord reads the record of the file name (one name, not followed if
// it is a symbolic link) in the open folder dir, with the size and
// modification time the file has now; false when it is not a file or has
// no record. It works on bare descriptors, as listings read one record per
// file. O_NONBLOCK keeps a FIFO put there by something other than
// Gatehouse from holding the request.
func entryRecord(dir *os.File, name string) (rec checksumRecord, size int64, mtime time.Time, ok bool) {
	_ = withFd(dir, func(dfd int) error {
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			return err
		}
		var buf [recordMaxBytes]byte
		n, err := unix.Fgetxattr(fd, checksumAttr, buf[:])
		if err != nil {
			return err
		}
		rec, ok = parseRecord(buf[:n])
		size, mtime = st.Size, time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
		return nil
	})
	return rec, size, mtime, ok
}

// removeRecord removes f's record, if any.
func removeRecord(f *os.File) error {
	err := withFd(f, func(fd int) error { return unix.Fremovexattr(fd, checksumAttr) })
	if errors.Is(err, unix.ENODATA) {
		return nil
	}
	return err
}

// changeTime is the inode's change time, which every change to the file
// moves (content, times, attributes, rename).
func changeTime(fi fs.FileInfo) (time.Time, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(st.Ctim.Sec, st.Ctim.Nsec), true
}

// probeChecksums checks that the file system under dir keeps user extended
// attributes, by setting one on a temporary file (named like an upload's,
// so the stale-upload sweep removes it should the server stop here).
func probeChecksums(dir string) error {
	f, err := os.CreateTemp(dir, tempPrefix+"probe-")
	if err != nil {
		return fmt.Errorf("create a file in %s: %w", dir, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	err = writeRecord(f, checksumRecord{sums: Checksums{MD5: "d41d8cd98f00b204e9800998ecf8427e", CRC32: "00000000"}})
	if err == nil {
		_, ok := readRecord(f)
		if !ok {
			err = errors.New("an attribute that was set could not be read back")
		}
	}
	if err != nil {
		return fmt.Errorf("the file system under %s does not keep user extended attributes (%w); "+
			"put the data directory on ext4, XFS, Btrfs or tmpfs (Linux 6.6 or newer), or mount it with user_xattr",
			filepath.Clean(dir), err)
	}
	return nil
}
