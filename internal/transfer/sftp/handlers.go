package sftp

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	pkgsftp "github.com/pkg/sftp"

	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// handlers serve pkg/sftp's requests. Each request first checks the
// account (session.check) and works on the view that check answers.
type handlers struct {
	sess *session

	mu      sync.Mutex
	writing map[string][]*uploadHandle // open uploads by path, for setstat before close
}

func (h *handlers) Fileread(r *pkgsftp.Request) (io.ReaderAt, error) {
	fsys, err := h.sess.check()
	if err != nil {
		return nil, sftpError(err)
	}
	if err := h.sess.openFile(); err != nil {
		return nil, sftpError(err)
	}
	f, err := fsys.Open(r.Context(), r.Filepath)
	if err != nil {
		h.sess.closeFile()
		return nil, sftpError(err)
	}
	return &downloadHandle{File: f, sess: h.sess}, nil
}

// downloadHandle is a file open for reading, counted as a transfer until
// closed.
type downloadHandle struct {
	vfs.File
	sess *session
	once sync.Once
}

func (d *downloadHandle) Close() error {
	err := d.File.Close()
	d.once.Do(d.sess.closeFile)
	return err
}

// Filewrite opens an upload. A client that truncates (a plain put) starts
// an empty file; one that does not (OpenSSH's reput, or an append) writes
// over a copy of the existing file, so resume works while the upload still
// lands atomically on close.
func (h *handlers) Filewrite(r *pkgsftp.Request) (io.WriterAt, error) {
	fsys, err := h.sess.check()
	if err != nil {
		return nil, sftpError(err)
	}
	flags := r.Pflags()
	if flags.Excl {
		if _, err := fsys.Stat(r.Context(), r.Filepath); err == nil {
			return nil, sftpError(vfs.ErrExist)
		}
	}
	keep := vfs.KeepExisting
	if flags.Trunc {
		keep = 0
	}
	if err := h.sess.openFile(); err != nil {
		return nil, sftpError(err)
	}
	up, err := fsys.Create(r.Context(), r.Filepath, keep)
	if err != nil {
		h.sess.closeFile()
		return nil, sftpError(err)
	}
	u := &uploadHandle{up: up, h: h, sess: h.sess, path: r.Filepath}
	h.mu.Lock()
	if h.writing == nil {
		h.writing = map[string][]*uploadHandle{}
	}
	h.writing[u.path] = append(h.writing[u.path], u)
	h.mu.Unlock()
	return u, nil
}

// uploadHandle commits its upload when the client closes the handle and
// discards it when the connection breaks first. It counts as a transfer
// until then.
type uploadHandle struct {
	up     vfs.Upload
	h      *handlers
	sess   *session
	path   string
	mu     sync.Mutex
	failed bool
	closed sync.Once
}

func (u *uploadHandle) WriteAt(p []byte, off int64) (int, error) { return u.up.WriteAt(p, off) }

// TransferError is called by pkg/sftp when the session ends with the
// handle still open: the upload is incomplete and must not be committed.
func (u *uploadHandle) TransferError(error) {
	u.mu.Lock()
	u.failed = true
	u.mu.Unlock()
}

func (u *uploadHandle) Close() error {
	defer u.closed.Do(u.sess.closeFile)
	u.h.forget(u)
	u.mu.Lock()
	failed := u.failed
	u.mu.Unlock()
	if failed {
		return u.up.Abort()
	}
	return sftpError(u.up.Commit())
}

func (h *handlers) Filecmd(r *pkgsftp.Request) error {
	fsys, err := h.sess.check()
	if err != nil {
		return sftpError(err)
	}
	ctx := r.Context()
	switch r.Method {
	case "Setstat":
		err = h.setstat(ctx, fsys, r)
	case "Rename":
		// SFTP's rename must not replace an existing file.
		if _, serr := fsys.Stat(ctx, r.Target); serr == nil {
			return sftpError(vfs.ErrExist)
		}
		err = fsys.Rename(ctx, r.Filepath, r.Target)
	case "PosixRename":
		err = fsys.Rename(ctx, r.Filepath, r.Target)
	case "Rmdir":
		var fi fs.FileInfo
		if fi, err = fsys.Stat(ctx, r.Filepath); err == nil && !fi.IsDir() {
			err = vfs.ErrNotDir
		} else if err == nil {
			err = fsys.Remove(ctx, r.Filepath)
		}
	case "Remove":
		var fi fs.FileInfo
		if fi, err = fsys.Stat(ctx, r.Filepath); err == nil && fi.IsDir() {
			err = vfs.ErrIsDir
		} else if err == nil {
			err = fsys.Remove(ctx, r.Filepath)
		}
	case "Mkdir":
		err = fsys.Mkdir(ctx, r.Filepath)
	default: // Link, Symlink: links could point anywhere; not offered.
		return pkgsftp.ErrSSHFxOpUnsupported
	}
	return sftpError(err)
}

// setstat keeps the modification time a client sets (put -p, rsync-like
// clients) and accepts permissions and owners without changing them:
// those are Gatehouse's. A time set on the handle of an upload still open
// (OpenSSH's put -p sends it before closing) is committed with the upload.
func (h *handlers) setstat(ctx context.Context, fsys vfs.FS, r *pkgsftp.Request) error {
	flags := r.AttrFlags()
	if flags.Size {
		return pkgsftp.ErrSSHFxOpUnsupported
	}
	if !flags.Acmodtime {
		_, err := fsys.Stat(ctx, r.Filepath)
		return err
	}
	mtime := time.Unix(int64(r.Attributes().Mtime), 0)
	if err := vfs.CheckModTime(mtime); err != nil {
		return &statusError{code: pkgsftp.ErrSSHFxFailure, err: err}
	}
	h.mu.Lock()
	open := h.writing[r.Filepath]
	h.mu.Unlock()
	if len(open) == 0 {
		return fsys.SetModTime(ctx, r.Filepath, mtime)
	}
	for _, u := range open {
		u.up.SetModTime(mtime)
	}
	return nil
}

// forget drops a closed upload from the open ones.
func (h *handlers) forget(u *uploadHandle) {
	h.mu.Lock()
	defer h.mu.Unlock()
	open := h.writing[u.path]
	for i, o := range open {
		if o == u {
			open = append(open[:i], open[i+1:]...)
			break
		}
	}
	if len(open) == 0 {
		delete(h.writing, u.path)
	} else {
		h.writing[u.path] = open
	}
}

func (h *handlers) Filelist(r *pkgsftp.Request) (pkgsftp.ListerAt, error) {
	fsys, err := h.sess.check()
	if err != nil {
		return nil, sftpError(err)
	}
	switch r.Method {
	case "List":
		infos, err := fsys.ReadDir(r.Context(), r.Filepath)
		if err != nil {
			return nil, sftpError(err)
		}
		return listing(infos), nil
	case "Stat", "Lstat":
		fi, err := fsys.Stat(r.Context(), r.Filepath)
		if err != nil {
			return nil, sftpError(err)
		}
		return listing{fi}, nil
	}
	return nil, pkgsftp.ErrSSHFxOpUnsupported
}

// listing is a ListerAt over a slice.
type listing []os.FileInfo

func (l listing) ListAt(out []os.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[offset:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// sftpError maps storage errors to SFTP status codes, keeping the message
// (which names only the user's path) for clients that show it.
func sftpError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errCutOff):
		return &statusError{code: pkgsftp.ErrSSHFxPermissionDenied, err: err}
	case errors.As(err, new(*statusError)):
		return err
	case errors.Is(err, vfs.ErrNotExist):
		return &statusError{code: pkgsftp.ErrSSHFxNoSuchFile, err: err}
	case errors.Is(err, vfs.ErrPermission), errors.Is(err, vfs.ErrInvalidName), errors.Is(err, vfs.ErrCrossFolder):
		return &statusError{code: pkgsftp.ErrSSHFxPermissionDenied, err: err}
	}
	return &statusError{code: pkgsftp.ErrSSHFxFailure, err: err}
}

// statusError carries an SFTP status code (one of pkg/sftp's ErrSSHFx
// values, found by errors.As through Unwrap) with our message.
type statusError struct {
	code error
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.code }
