package app

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/gatehouse/gatehouse/internal/supervise"
	"github.com/gatehouse/gatehouse/internal/transfer/ftp"
	"github.com/gatehouse/gatehouse/internal/transfer/webdav"
	"github.com/gatehouse/gatehouse/internal/webapp"
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
	a.listening.ftp.Store(int64(portOf(ln)))
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

// transferChannels is what How to connect learns of the SFTP and FTP
// listeners: their ports once open (0 before, or when off). The web front
// end adds the host and WebDAV.
func (a *App) transferChannels() webapp.Channels {
	return webapp.Channels{SFTPPort: int(a.listening.sftp.Load()), FTPPort: int(a.listening.ftp.Load()),
		FTPRequireTLS: a.Config.FTP.RequireTLS}
}

// portOf is the port a listener opened (0 when it is not TCP).
func portOf(ln net.Listener) int {
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		return tcp.Port
	}
	return 0
}
