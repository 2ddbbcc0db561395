package vfs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
)

// area is one confined directory tree: a user's home or a group's folder.
// Every operation goes through an os.Root, which refuses any path or
// symlink that resolves outside the directory.
type area struct {
	dir      string
	writable bool
	name     string // where the area appears in the view, for messages
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
	return r.Stat(rel)
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
		out = append(out, fi)
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
}

// keepExisting copies the first keep bytes (all, for KeepExisting) of the
// file being replaced, so a resumed upload continues where it stopped.
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
	_, err = io.CopyN(u.f, src, keep)
	return err
}

func (u *upload) Write(p []byte) (int, error) { return u.f.Write(p) }

func (u *upload) WriteAt(p []byte, off int64) (int, error) { return u.f.WriteAt(p, off) }

func (u *upload) Commit() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return errors.New("upload already finished")
	}
	u.done = true
	defer u.root.Close()
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

func (u *upload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.done = true
	defer u.root.Close()
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
