package vfs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"
)

// area is one confined directory tree: a user's home or a group's folder.
// Every operation goes through an os.Root, which refuses any path or
// symlink that resolves outside the directory.
type area struct {
	dir      string
	writable bool
	name     string // where the area appears in the view, for messages
	sums     bool   // the storage keeps checksums of files (see checksums.go)
}

// label names the area in messages: "your home folder" for the user's own,
// its path in the view otherwise.
func (a *area) label() string {
	if a.name == "/" {
		return "your home folder"
	}
	return a.name
}

// openRoot opens the area, creating its directory on first use.
func (a *area) openRoot() (*os.Root, error) {
	r, err := os.OpenRoot(a.dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(a.dir, 0o750); err != nil {
			return nil, fmt.Errorf("create folder for %s: %w", a.name, err)
		}
		r, err = os.OpenRoot(a.dir)
	}
	return r, err
}

func (a *area) stat(rel string) (fs.FileInfo, error) {
	r, err := a.openRoot()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fi, err := r.Stat(rel)
	if err != nil {
		return nil, err
	}
	return a.described(path.Dir(rel), fi), nil
}

func (a *area) readDir(rel string) ([]fs.FileInfo, error) {
	r, err := a.openRoot()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	d, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed while listing
		}
		out = append(out, a.described(rel, fi))
	}
	return out, nil
}

func (a *area) open(rel string) (File, error) {
	r, err := a.openRoot()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, ErrIsDir
	}
	return f, nil
}

func (a *area) mkdir(rel string) error {
	r, err := a.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Mkdir(rel, 0o750)
}

func (a *area) remove(rel string) error {
	r, err := a.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Remove(rel)
}

func (a *area) removeAll(rel string) error {
	r, err := a.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := r.Lstat(rel); err != nil {
		return err
	}
	return r.RemoveAll(rel)
}

func (a *area) rename(from, to string) error {
	r, err := a.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := r.Lstat(from); err != nil {
		return err
	}
	return r.Rename(from, to)
}

// create starts an upload to rel: a temporary file in the same folder, so
// Commit is one rename within the file system.
func (a *area) create(rel []string, keep int64) (Upload, error) {
	final := strings.Join(rel, "/")
	parent := strings.Join(rel[:len(rel)-1], "/")
	if parent == "" {
		parent = "."
	}
	r, err := a.openRoot()
	if err != nil {
		return nil, err
	}
	if fi, err := r.Stat(final); err == nil && fi.IsDir() {
		r.Close()
		return nil, ErrIsDir
	}
	var random [12]byte
	if _, err := rand.Read(random[:]); err != nil {
		r.Close()
		return nil, err
	}
	tmp := parent + "/" + tempPrefix + hex.EncodeToString(random[:])
	f, err := r.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		r.Close()
		return nil, err
	}
	u := &upload{root: r, f: f, tmp: tmp, final: final}
	if a.sums {
		u.sums = newSummer(f)
	}
	if keep != 0 {
		if err := u.keepExisting(keep); err != nil {
			u.Abort()
			return nil, err
		}
	}
	return u, nil
}

// upload is a file being written under a temporary name.
type upload struct {
	mu    sync.Mutex
	root  *os.Root
	f     *os.File
	tmp   string
	final string
	done  bool
	pos   int64     // where Write continues
	sums  *summer   // nil when the storage keeps no checksums
	mtime time.Time // the modification time to commit with; zero for the last write's
}

// keepExisting copies the first keep bytes (all, for KeepExisting) of the
// file being replaced, so a resumed upload continues where it stopped.
// The copy goes through Write, so the checksums cover the whole file.
func (u *upload) keepExisting(keep int64) error {
	src, err := u.root.Open(u.final)
	if errors.Is(err, fs.ErrNotExist) && keep == KeepExisting {
		return nil
	}
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if keep == KeepExisting {
		keep = fi.Size()
	}
	if keep < 0 || keep > fi.Size() {
		return ErrInvalidOffset
	}
	_, err = io.CopyN(u, src, keep)
	return err
}

func (u *upload) Write(p []byte) (int, error) {
	n, err := u.WriteAt(p, u.pos)
	u.pos += int64(n)
	return n, err
}

func (u *upload) WriteAt(p []byte, off int64) (int, error) {
	n, err := u.f.WriteAt(p, off)
	if u.sums != nil {
		u.sums.wrote(off, p[:n])
	}
	return n, err
}

func (u *upload) SetModTime(t time.Time) {
	u.mu.Lock()
	u.mtime = t
	u.mu.Unlock()
}

// Commit sets the modification time asked for, records the checksums with
// the size and time they describe, and only then renames the file into
// place: it appears complete, with its time and checksums, or not at all.
func (u *upload) Commit() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return errors.New("upload already finished")
	}
	u.done = true
	defer u.root.Close()
	if err := u.finish(); err != nil {
		if u.sums != nil {
			u.sums.stop()
		}
		u.f.Close()
		u.root.Remove(u.tmp)
		return fmt.Errorf("finish upload of %s: %w", u.final, err)
	}
	if err := u.f.Close(); err != nil {
		u.root.Remove(u.tmp)
		return fmt.Errorf("finish upload of %s: %w", u.final, err)
	}
	if err := u.root.Rename(u.tmp, u.final); err != nil {
		u.root.Remove(u.tmp)
		return translate("finish upload of", "/"+u.final, err)
	}
	return nil
}

// finish gives the temporary file its modification time and checksum
// record. A record that cannot be written leaves the checksums unknown,
// which is no reason to lose the upload.
func (u *upload) finish() error {
	if !u.mtime.IsZero() {
		if err := CheckModTime(u.mtime); err != nil {
			return err
		}
		if err := u.root.Chtimes(u.tmp, time.Time{}, u.mtime); err != nil {
			return fmt.Errorf("set its modification time: %w", err)
		}
	}
	if u.sums == nil {
		return nil
	}
	fi, err := u.f.Stat()
	if err != nil {
		return err
	}
	if sums, ok := u.sums.finish(fi.Size()); ok {
		_ = writeRecord(u.f, checksumRecord{size: fi.Size(), mtime: fi.ModTime(), sums: sums})
	}
	return nil
}

func (u *upload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.done = true
	defer u.root.Close()
	if u.sums != nil {
		u.sums.stop()
	}
	u.f.Close()
	if err := u.root.Remove(u.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("discard partial upload of %s: %w", u.final, err)
	}
	return nil
}

// translate maps an operating-system error to the package's errors, naming
// the user's path and never the server's.
func translate(op, display string, err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch {
	case errors.Is(err, ErrIsDir), errors.Is(err, syscall.EISDIR):
		sentinel = ErrIsDir
	case errors.Is(err, ErrInvalidOffset):
		sentinel = ErrInvalidOffset
	case errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST) && op == "delete":
		sentinel = ErrNotEmpty
	case errors.Is(err, fs.ErrNotExist):
		sentinel = ErrNotExist
	case errors.Is(err, fs.ErrExist):
		sentinel = ErrExist
	case errors.Is(err, syscall.ENOTDIR):
		sentinel = ErrNotDir
	case errors.Is(err, fs.ErrPermission):
		sentinel = ErrPermission
	case errors.Is(err, syscall.ENAMETOOLONG):
		sentinel = ErrInvalidName
	case errors.Is(err, syscall.ELOOP), strings.Contains(err.Error(), "escapes from parent"):
		return fmt.Errorf("%s %s: the path leads outside your folder: %w", op, display, ErrPermission)
	default:
		return fmt.Errorf("%s %s: storage error: %w", op, display, err)
	}
	return fmt.Errorf("%s %s: %w", op, display, sentinel)
}
