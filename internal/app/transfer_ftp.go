package app

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/gatehouse/gatehouse/internal/supervise"
	"github.com/gatehouse/gatehouse/internal/transfer/ftp"
	"github.com/gatehouse/gatehouse/internal/transfer/webdav"
)

// ftpService opens the FTP/FTPS listener (unless --ftp-listen is off) and
// returns the service that serves it; nil when FTP is off. The
// certificate is loaded (or generated) and the port opened before
// serving, so either problem stops start-up with a clear error.
func (a *App) ftpService() (*supervise.Service, net.Listener, error) {
	c := a.Config.FTP
	if !c.Enabled() {
		return nil, nil, nil
	}
	files, err := a.FileStorage()
	if err != nil {
		return nil, nil, err
	}
	host, _, _ := net.SplitHostPort(c.Listen)
	hosts := []string{"localhost", host}
	if c.PublicHost != "" {
		hosts = append(hosts, c.PublicHost)
	}
	generate := c.CertFile == a.Config.DefaultFTPCertFile()
	cert, err := ftp.LoadOrCreateCertificate(c.CertFile, c.KeyFile, generate, hosts, time.Now())
	if err != nil {
		return nil, nil, err
	}
	srv, err := ftp.New(ftp.Options{Identity: a.Identity, Files: files.View, Listen: c.Listen, PassivePorts: c.PassivePorts,
		PublicHost: c.PublicHost, RequireTLS: c.RequireTLS, Logger: a.Logger,
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if err != nil {
		return nil, nil, err
	}
	ln, err := srv.Listen()
	if err != nil {
		return nil, nil, err
	}
	a.Logger.Info("listening for FTP and FTPS (AUTH TLS)", "addr", ln.Addr().String(), "require_tls", c.RequireTLS)
	return &supervise.Service{Name: "ftp", Serve: func() error { return srv.Serve(ln) }, Shutdown: srv.Shutdown}, ln, nil
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
	return webdav.New(webdav.Options{Identity: a.Identity, Locks: a.Store, Files: files.View, SiteDomain: a.Config.SiteDomain, Logger: a.Logger,
		IdleTimeout: a.Config.HTTP.BodyIdleTimeout, ClientAddr: clients})
}
