package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// FTPConfig is the FTP and explicit FTPS (AUTH TLS) listener's settings.
type FTPConfig struct {
	// Listen is the control connection's address; "off" (or empty) serves
	// no FTP.
	Listen string
	// PassivePorts is the range of data ports offered to PASV/EPSV, as
	// "LOW-HIGH"; empty lets the system pick any free port. A firewall in
	// front of the server needs a fixed range.
	PassivePorts string
	// PublicHost is the address announced in PASV replies when clients
	// reach the server through NAT; empty announces the control
	// connection's local address.
	PublicHost string
	// CertFile and KeyFile are the TLS certificate and key (PEM) for
	// AUTH TLS. Empty: a self-signed certificate generated once into
	// DataDir/ftp-tls.{crt,key}.
	CertFile, KeyFile string
	// RequireTLS refuses every command but AUTH TLS (and FEAT, QUIT) until
	// the control connection is encrypted, so passwords and API keys never
	// cross the network in clear text.
	RequireTLS    bool
	requireTLSRaw string
}

// Enabled reports whether serve starts the FTP listener.
func (f FTPConfig) Enabled() bool { return f.Listen != "" && f.Listen != "off" }

func init() {
	settings = append(settings,
		setting{"ftp-listen", "address of the FTP/FTPS server (explicit FTPS with AUTH TLS); off serves no FTP", "127.0.0.1:2021",
			func(c *Config) *string { return &c.FTP.Listen }, true},
		setting{"ftp-passive-ports", "passive data port range for FTP, e.g. 50000-50100; empty picks any free port", "",
			func(c *Config) *string { return &c.FTP.PassivePorts }, true},
		setting{"ftp-public-host", "IP address announced in FTP passive replies (behind NAT); empty announces the listening address", "",
			func(c *Config) *string { return &c.FTP.PublicHost }, true},
		setting{"ftp-tls-cert", "PEM certificate for FTPS; default a self-signed one generated into DATA-DIR/ftp-tls.crt", "",
			func(c *Config) *string { return &c.FTP.CertFile }, true},
		setting{"ftp-tls-key", "PEM private key of --ftp-tls-cert; default DATA-DIR/ftp-tls.key", "",
			func(c *Config) *string { return &c.FTP.KeyFile }, true},
		setting{"ftp-require-tls", "true refuses FTP sign-in until the client has switched to TLS (AUTH TLS)", "false",
			func(c *Config) *string { return &c.FTP.requireTLSRaw }, true},
	)
}

// completeFTP checks the FTP settings and fills the certificate defaults.
func (c *Config) completeFTP() error {
	f := &c.FTP
	f.Listen = strings.TrimSpace(f.Listen)
	if f.Enabled() {
		if _, _, err := net.SplitHostPort(f.Listen); err != nil {
			return fmt.Errorf("config: --ftp-listen %q: want host:port, e.g. 127.0.0.1:2021, or off", f.Listen)
		}
	}
	if f.PassivePorts != "" {
		if _, _, err := ParsePortRange(f.PassivePorts); err != nil {
			return fmt.Errorf("config: --ftp-passive-ports %q: %w", f.PassivePorts, err)
		}
	}
	if f.PublicHost != "" && net.ParseIP(f.PublicHost) == nil {
		return fmt.Errorf("config: --ftp-public-host %q: want an IP address, as PASV replies carry one", f.PublicHost)
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return fmt.Errorf("config: --ftp-tls-cert and --ftp-tls-key go together: set both, or neither for a generated certificate")
	}
	if f.CertFile == "" {
		f.CertFile = c.DefaultFTPCertFile()
		f.KeyFile = filepath.Join(c.DataDir, "ftp-tls.key")
	}
	switch strings.ToLower(strings.TrimSpace(f.requireTLSRaw)) {
	case "", "false", "no", "0":
		f.RequireTLS = false
	case "true", "yes", "1":
		f.RequireTLS = true
	default:
		return fmt.Errorf("config: --ftp-require-tls %q: want true or false", f.requireTLSRaw)
	}
	return nil
}

// DefaultFTPCertFile is where the generated FTPS certificate lives.
func (c Config) DefaultFTPCertFile() string { return filepath.Join(c.DataDir, "ftp-tls.crt") }

// ParsePortRange parses "LOW-HIGH" (1024 <= LOW <= HIGH <= 65535).
func ParsePortRange(s string) (low, high int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("want LOW-HIGH, e.g. 50000-50100")
	}
	low, err1 := strconv.Atoi(strings.TrimSpace(a))
	high, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || low < 1024 || high > 65535 || low > high {
		return 0, 0, fmt.Errorf("want LOW-HIGH with 1024 <= LOW <= HIGH <= 65535, e.g. 50000-50100")
	}
	return low, high, nil
}
