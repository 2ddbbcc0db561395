package app

import (
	"context"
	"path/filepath"
	"sync"

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
	})
	return a.files.storage, a.files.err
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
