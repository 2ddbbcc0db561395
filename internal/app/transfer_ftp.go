package app

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/gatehouse/gatehouse/internal/transfer/ftp"
	"github.com/gatehouse/gatehouse/internal/transfer/webdav"
)

// startFTP starts the FTP/FTPS listener (unless --ftp-listen is off) and
// serves it until ctx ends. The certificate is loaded (or generated) and
// the port checked before serving, so either problem stops start-up with a
// clear error.
func (a *App) startFTP(ctx context.Context) error {
	c := a.Config.FTP
	if !c.Enabled() {
		return nil
	}
	files, err := a.FileStorage()
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(c.Listen)
	hosts := []string{"localhost", host}
	if c.PublicHost != "" {
		hosts = append(hosts, c.PublicHost)
	}
	generate := c.CertFile == a.Config.DefaultFTPCertFile()
	cert, err := ftp.LoadOrCreateCertificate(c.CertFile, c.KeyFile, generate, hosts, time.Now())
	if err != nil {
		return err
	}
	srv, err := ftp.New(ftp.Config{Identity: a.Identity, Files: files.View, Listen: c.Listen, PassivePorts: c.PassivePorts,
		PublicHost: c.PublicHost, RequireTLS: c.RequireTLS, Logger: a.Logger,
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if err != nil {
		return err
	}
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	a.Logger.Info("listening for FTP and FTPS (AUTH TLS)", "addr", ln.Addr().String(), "require_tls", c.RequireTLS)
	go func() {
		if err := srv.Serve(ln); err != nil {
			a.Logger.Error("FTP server stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown()
	}()
	return nil
}

// WebDAV returns the handler the web front end mounts at /dav/.
func (a *App) WebDAV() (*webdav.Handler, error) {
	files, err := a.FileStorage()
	if err != nil {
		return nil, err
	}
	clients, err := a.ClientAddr()
	if err != nil {
		return nil, err
	}
	return webdav.New(webdav.Config{Identity: a.Identity, Locks: a.Store, Files: files.View, SiteDomain: a.Config.SiteDomain, Logger: a.Logger,
		IdleTimeout: a.Config.HTTP.BodyIdleTimeout, ClientAddr: clients})
}
