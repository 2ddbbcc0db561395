package webdav

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/gatehouse/gatehouse/internal/transfer/usercontent"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// davFS adapts one user's vfs view to webdav.FileSystem. The webdav
// package cleans paths before they arrive ("/a/../b" is "/b"), and vfs
// refuses whatever still leads out of the user's root.
type davFS struct {
	fs   vfs.FS
	seen *refusals // the request's permission refusals, for its reply
	// putMtime is the modification time a PUT asked for (X-OC-Mtime, see
	// times.go); zero for none.
	putMtime time.Time
}

var _ webdav.FileSystem = davFS{}

func (d davFS) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	return d.refused(d.fs.Mkdir(ctx, name))
}

func (d davFS) RemoveAll(ctx context.Context, name string) error {
	return d.refused(d.fs.RemoveAll(ctx, name))
}

func (d davFS) Rename(ctx context.Context, from, to string) error {
	return d.refused(d.fs.Rename(ctx, from, to))
}

func (d davFS) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	fi, err := d.fs.Stat(ctx, name)
	if err != nil {
		return nil, d.refused(err)
	}
	return typed(fi), nil
}

// OpenFile opens folders for listing, files for reading, and starts an
// upload for any write: the webdav package writes only whole files (PUT,
// COPY), which vfs puts in place atomically when they end well.
func (d davFS) OpenFile(ctx context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 {
		up, err := d.fs.Create(ctx, name, 0)
		if err != nil {
			return nil, d.refused(err)
		}
		if !d.putMtime.IsZero() {
			up.SetModTime(d.putMtime)
		}
		return &uploadFile{up: up, name: baseName(name), started: time.Now()}, nil
	}
	fi, err := d.fs.Stat(ctx, name)
	if err != nil {
		return nil, d.refused(err)
	}
	var f webdav.File
	if fi.IsDir() {
		f = &dirFile{ctx: ctx, fs: d.fs, name: name, info: fi}
	} else {
		vf, err := d.fs.Open(ctx, name)
		if err != nil {
			return nil, d.refused(err)
		}
		f = readFile{File: vf, ctx: ctx, info: fi}
	}
	if flag&os.O_RDWR != 0 {
		// Only PROPPATCH opens for writing without creating.
		f = propFile{File: f, ctx: ctx, fs: d.fs, name: name, seen: d.seen}
	}
	return f, nil
}

// refused notes a permission refusal for the reply and converts err.
func (d davFS) refused(err error) error {
	d.seen.note(err)
	return osError(err)
}

// osError turns vfs errors into the os errors the webdav package tests
// with os.IsNotExist and os.IsExist, which do not unwrap.
func osError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return &os.PathError{Op: "open", Path: "", Err: os.ErrNotExist}
	case errors.Is(err, fs.ErrExist):
		return &os.PathError{Op: "create", Path: "", Err: os.ErrExist}
	case errors.Is(err, fs.ErrPermission):
		return &os.PathError{Op: "access", Path: "", Err: os.ErrPermission}
	}
	return err
}

func baseName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}

// typedInfo gives a file's description the type GET serves it as
// (usercontent.ContentType), which PROPFIND reports as getcontenttype;
// without it the webdav package opens every listed file to guess.
type typedInfo struct{ fs.FileInfo }

func (i typedInfo) ContentType(context.Context) (string, error) {
	return usercontent.ContentType(i.Name()), nil
}

func typed(fi fs.FileInfo) fs.FileInfo {
	if fi.IsDir() {
		return fi
	}
	return typedInfo{fi}
}

// readFile is an open download.
func (f readFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, err
	}
	return typed(fi), nil
}

func (readFile) Readdir(int) ([]fs.FileInfo, error) { return nil, vfs.ErrNotDir }
func (readFile) Write([]byte) (int, error)          { return 0, os.ErrPermission }

// dirFile is an open folder.
type dirFile struct {
	ctx     context.Context
	fs      vfs.FS
	name    string
	info    fs.FileInfo
	entries []fs.FileInfo
	read    bool
}

func (f *dirFile) Close() error                   { return nil }
func (f *dirFile) Read([]byte) (int, error)       { return 0, vfs.ErrIsDir }
func (f *dirFile) Seek(int64, int) (int64, error) { return 0, nil }
func (f *dirFile) Write([]byte) (int, error)      { return 0, vfs.ErrIsDir }
func (f *dirFile) Stat() (fs.FileInfo, error)     { return f.info, nil }
func (f *dirFile) Readdir(count int) ([]fs.FileInfo, error) {
	if !f.read {
		entries, err := f.fs.ReadDir(f.ctx, f.name)
		if err != nil {
			return nil, osError(err)
		}
		for i, fi := range entries {
			entries[i] = typed(fi)
		}
		f.entries, f.read = entries, true
	}
	if count <= 0 {
		out := f.entries
		f.entries = nil
		return out, nil
	}
	if len(f.entries) == 0 {
		return nil, io.EOF
	}
	n := min(count, len(f.entries))
	out := f.entries[:n]
	f.entries = f.entries[n:]
	return out, nil
}

// uploadBufferSize is the size of one copy from the request body.
const uploadBufferSize = 1 << 20

// uploadBuffers are reused between uploads: a fresh megabyte for every
// small PUT would cost more in allocation and GC than the copy itself.
var uploadBuffers = sync.Pool{New: func() any { b := make([]byte, uploadBufferSize); return &b }}

// uploadFile is a PUT or COPY in progress. It is committed on Close only
// when every byte arrived: the webdav package closes the file even when
// copying the request body failed (a client that hung up or stalled past
// the read deadline), and such an upload is discarded instead.
type uploadFile struct {
	up      vfs.Upload
	name    string
	started time.Time
	size    int64
	failed  error
	closed  bool
}

func (f *uploadFile) Write(p []byte) (int, error) {
	n, err := f.up.Write(p)
	f.size += int64(n)
	if err != nil && f.failed == nil {
		f.failed = err
	}
	return n, err
}

// ReadFrom is what io.Copy uses: it copies with a large buffer and sees
// the body's read error, which the webdav package would otherwise keep to
// itself until after Close.
func (f *uploadFile) ReadFrom(r io.Reader) (int64, error) {
	bp := uploadBuffers.Get().(*[]byte)
	defer uploadBuffers.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			w, werr := f.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			f.failed = err
			return total, err
		}
	}
}

func (f *uploadFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.failed != nil {
		_ = f.up.Abort()
		return f.failed
	}
	return f.up.Commit()
}

func (f *uploadFile) Read([]byte) (int, error)           { return 0, os.ErrPermission }
func (f *uploadFile) Seek(int64, int) (int64, error)     { return 0, os.ErrPermission }
func (f *uploadFile) Readdir(int) ([]fs.FileInfo, error) { return nil, vfs.ErrNotDir }
func (f *uploadFile) Stat() (fs.FileInfo, error)         { return uploadInfo{f}, nil }

// uploadInfo describes the upload as written so far (for the ETag of the
// PUT reply).
type uploadInfo struct{ f *uploadFile }

func (i uploadInfo) Name() string       { return i.f.name }
func (i uploadInfo) Size() int64        { return i.f.size }
func (i uploadInfo) Mode() fs.FileMode  { return 0o644 }
func (i uploadInfo) ModTime() time.Time { return i.f.started }
func (i uploadInfo) IsDir() bool        { return false }
func (i uploadInfo) Sys() any           { return nil }
