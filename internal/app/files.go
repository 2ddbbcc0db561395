package app

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/supervise"
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
		a.uploads.svc = multipart.New(multipart.Options{Store: a.Store, Staging: files, Clock: a.clock.Now, Logger: a.Logger})
	})
	return a.uploads.svc, a.uploads.err
}

// uploadSweepInterval is how often expired multi-part uploads are removed
// with their staged parts: a minute, so an abandoned upload's parts go
// soon after its 15 minutes, and its place in the limits is free.
const uploadSweepInterval = time.Minute

// sftpService opens the SFTP listener (when --sftp-listen is not off)
// and returns the service that serves it; nil when SFTP is off.
func (a *App) sftpService() (*supervise.Service, net.Listener, error) {
	if !a.Config.SFTP.Enabled() {
		return nil, nil, nil
	}
	files, err := a.FileStorage()
	if err != nil {
		return nil, nil, err
	}
	srv, err := sftp.New(sftp.Options{Listen: a.Config.SFTP.Listen, HostKeyDir: a.Config.DataDir, SiteID: a.Site.ID,
		Identity: a.Identity, Storage: files, Logger: a.Logger})
	if err != nil {
		return nil, nil, err
	}
	ln, err := srv.Listen()
	if err != nil {
		return nil, nil, err
	}
	a.Logger.Info("listening for SFTP", "addr", ln.Addr().String())
	a.listening.sftp.Store(int64(portOf(ln)))
	// The sessions' context outlives Shutdown's drain, and ends after it.
	sessions, endSessions := context.WithCancel(context.Background())
	return &supervise.Service{
		Name:  "sftp",
		Serve: func() error { return srv.Serve(sessions, ln) },
		Shutdown: func(ctx context.Context) error {
			defer endSessions()
			return srv.Shutdown(ctx)
		},
	}, ln, nil
}
