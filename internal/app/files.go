package app

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
	"github.com/gatehouse/gatehouse/internal/transfer/sftp"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// lazyFiles is the one file storage every transfer front end shares,
// created on first use.
type lazyFiles struct {
	once    sync.Once
	storage *vfs.Storage
	err     error
}

// FileStorage returns the local-disk storage under DATA-DIR/files that the
// SFTP, FTP, WebDAV and REST front ends all work on.
func (a *App) FileStorage() (*vfs.Storage, error) {
	a.files.once.Do(func() {
		a.files.storage, a.files.err = vfs.New(filepath.Join(a.Config.DataDir, "files"), a.Store)
		if a.files.err == nil && a.files.storage.ChecksumProblem() != nil {
			a.Logger.Warn("files get no md5/crc32 checksums, so rclone waits for them after every upload and cannot compare them",
				"reason", a.files.storage.ChecksumProblem().Error())
		}
	})
	return a.files.storage, a.files.err
}

// lazyUploads is the REST API's multi-part uploads, over the store and
// the file storage's staging area, made on first use.
type lazyUploads struct {
	once sync.Once
	svc  *multipart.Service
	err  error
}

// Uploads returns the service that keeps the REST API's multi-part
// uploads.
func (a *App) Uploads() (*multipart.Service, error) {
	a.uploads.once.Do(func() {
		files, err := a.FileStorage()
		if err != nil {
			a.uploads.err = err
			return
		}
		a.uploads.svc = multipart.New(multipart.Options{Store: a.Store, Staging: files, Logger: a.Logger})
	})
	return a.uploads.svc, a.uploads.err
}

// uploadSweepInterval is how often expired multi-part uploads are removed
// with their staged parts: a minute, so an abandoned upload's parts go
// soon after its 15 minutes, and its place in the limits is free.
const uploadSweepInterval = time.Minute

// sweepExpiredUploads removes expired multi-part uploads until ctx ends.
// Every node may sweep: removing what another removed is harmless.
func (a *App) sweepExpiredUploads(ctx context.Context) {
	uploads, err := a.Uploads()
	if err != nil {
		return
	}
	t := time.NewTicker(uploadSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := uploads.Sweep(ctx); err != nil {
			a.Logger.Warn("removing expired uploads failed", "err", err)
		} else if n > 0 {
			a.Logger.Info("removed expired uploads", "count", n)
		}
	}
}

// staleUploadAge is how long an upload's temporary file may go unwritten
// before the sweep removes it as the leftover of a stopped server.
const staleUploadAge = 24 * time.Hour

// sweepStaleUploads removes stale upload temporary files at start and then
// hourly, until ctx ends.
func (a *App) sweepStaleUploads(ctx context.Context) {
	files, err := a.FileStorage()
	if err != nil {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := files.RemoveStaleUploads(staleUploadAge, time.Now()); err != nil {
			a.Logger.Warn("removing stale uploads failed", "err", err)
		} else if n > 0 {
			a.Logger.Info("removed stale upload files", "count", n)
		}
		// Parts of uploads whose record is gone (a server stopped between
		// the two); recorded uploads are swept with their record.
		if n, err := files.RemoveStaleStaging(staleUploadAge, time.Now()); err != nil {
			a.Logger.Warn("removing stale upload parts failed", "err", err)
		} else if n > 0 {
			a.Logger.Info("removed stale upload parts", "uploads", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startSFTP opens the SFTP listener (when --sftp-listen is not off) and
// serves it until ctx ends. Opening happens here, before serving, so a
// taken port stops start-up with a clear error.
func (a *App) startSFTP(ctx context.Context) error {
	if !a.Config.SFTP.Enabled() {
		return nil
	}
	files, err := a.FileStorage()
	if err != nil {
		return err
	}
	srv, err := sftp.New(sftp.Config{Listen: a.Config.SFTP.Listen, HostKeyDir: a.Config.DataDir, SiteID: a.Site.ID,
		Identity: a.Identity, Storage: files, Logger: a.Logger})
	if err != nil {
		return err
	}
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	a.Logger.Info("listening for SFTP", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ctx, ln); err != nil {
			a.Logger.Error("SFTP server stopped", "error", err)
		}
	}()
	return nil
}
