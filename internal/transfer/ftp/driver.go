package ftp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	goftp "goftp.io/server/v2"

	"github.com/gatehouse/gatehouse/internal/transfer/access"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// driver is the library's file back end: every call works on the view the
// command was admitted with (recheck.go), which enforces confinement.
type driver struct {
	svc   Identity
	files access.Layout
	idle  time.Duration
	log   *slog.Logger
}

var _ goftp.Driver = (*driver)(nil)

func (d *driver) Stat(ctx *goftp.Context, name string) (os.FileInfo, error) {
	fsys, err := d.admit(ctx)
	if err != nil {
		return nil, err
	}
	return fsys.Stat(ctx, name)
}

func (d *driver) ListDir(ctx *goftp.Context, name string, each func(os.FileInfo) error) error {
	fsys, err := d.admit(ctx)
	if err != nil {
		return err
	}
	fi, err := fsys.Stat(ctx, name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		// LIST of a file lists that file, as FTP servers do.
		return each(fi)
	}
	entries, err := fsys.ReadDir(ctx, name)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := each(e); err != nil {
			return err
		}
	}
	return nil
}

func (d *driver) DeleteDir(ctx *goftp.Context, name string) error {
	fsys, err := d.admit(ctx)
	if err != nil {
		return err
	}
	fi, err := fsys.Stat(ctx, name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return vfs.ErrNotDir
	}
	return fsys.Remove(ctx, name)
}

func (d *driver) DeleteFile(ctx *goftp.Context, name string) error {
	fsys, err := d.admit(ctx)
	if err != nil {
		return err
	}
	fi, err := fsys.Stat(ctx, name)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return vfs.ErrIsDir
	}
	return fsys.Remove(ctx, name)
}

func (d *driver) Rename(ctx *goftp.Context, from, to string) error {
	fsys, err := d.admit(ctx)
	if err != nil {
		return err
	}
	return fsys.Rename(ctx, from, to)
}

func (d *driver) MakeDir(ctx *goftp.Context, name string) error {
	fsys, err := d.admit(ctx)
	if err != nil {
		return err
	}
	return fsys.Mkdir(ctx, name)
}

// GetFile opens name for RETR, from offset when REST asked to resume.
func (d *driver) GetFile(ctx *goftp.Context, name string, offset int64) (int64, io.ReadCloser, error) {
	fsys, err := d.admit(ctx)
	if err != nil {
		return 0, nil, err
	}
	f, err := fsys.Open(ctx, name)
	if err != nil {
		return 0, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return 0, nil, err
	}
	if offset < 0 || offset > fi.Size() {
		_ = f.Close()
		return 0, nil, fmt.Errorf("restart offset %d is past the end of the file (%d bytes)", offset, fi.Size())
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		_ = f.Close()
		return 0, nil, err
	}
	return fi.Size() - offset, f, nil
}

// PutFile stores STOR and APPE uploads. offset is REST's argument (-1
// without REST): STOR after REST n continues a file from byte n (lftp's
// "put -c"), APPE appends to the whole file. The upload goes to a
// temporary file that replaces name only once the client has sent
// everything; an upload that fails or sends nothing for the idle timeout
// is discarded, so no half file appears.
func (d *driver) PutFile(ctx *goftp.Context, name string, data io.Reader, offset int64) (int64, error) {
	fsys, err := d.admit(ctx)
	if err != nil {
		return 0, err
	}
	if data == nil || ctx.Sess.DataConn() == nil {
		return 0, errors.New("no data connection: send PASV or EPSV first")
	}
	keep := int64(0)
	switch {
	case offset > 0:
		keep = offset
	case ctx.Cmd == "APPE":
		keep = vfs.KeepExisting
	}
	up, err := fsys.Create(ctx, name, keep)
	if err != nil {
		return 0, err
	}
	n, err := copyWithIdleTimeout(up, data, d.idle)
	// The library leaves an upload's data connection open; closing it also
	// ends a read still waiting on a stalled client.
	_ = ctx.Sess.DataConn().Close()
	if err != nil {
		_ = up.Abort()
		if s, _ := ctx.Sess.Data[dataSession].(*session); s != nil {
			d.log.Info("ftp upload discarded", "user_id", s.access.SignIn().UserID, "path", name, "bytes", n, "error", err)
		}
		return n, err
	}
	if err := up.Commit(); err != nil {
		return n, err
	}
	return n, nil
}

// errIdle ends an upload whose client sent nothing for the idle timeout.
var errIdle = errors.New("no data arrived for too long; the upload was discarded, send it again")

// copyBufferSize is the size of one read from the data connection.
const copyBufferSize = 256 << 10

// copyWithIdleTimeout copies src to dst until src ends, and gives up with
// errIdle when src yields nothing for idle. Reads run in their own
// goroutine, which ends when the caller closes src's connection. Nothing
// read after a timeout reaches dst.
func copyWithIdleTimeout(dst io.Writer, src io.Reader, idle time.Duration) (int64, error) {
	type chunk struct {
		buf []byte
		n   int
		err error
	}
	chunks := make(chan chunk)
	free := make(chan []byte, 2)
	free <- make([]byte, copyBufferSize)
	free <- make([]byte, copyBufferSize)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-quit:
				return
			}
			n, err := src.Read(buf)
			select {
			case chunks <- chunk{buf, n, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	timer := time.NewTimer(idle)
	defer timer.Stop()
	var written int64
	for {
		select {
		case c := <-chunks:
			if c.n > 0 {
				w, werr := dst.Write(c.buf[:c.n])
				written += int64(w)
				if werr != nil {
					return written, werr
				}
				timer.Reset(idle)
			}
			free <- c.buf
			if c.err == io.EOF {
				return written, nil
			}
			if c.err != nil {
				return written, c.err
			}
		case <-timer.C:
			return written, errIdle
		}
	}
}
