package config

import (
	"fmt"
	"net"
	"strings"
)

// SFTPConfig is the SFTP (SSH) listener's settings. Its host keys are
// generated once into the data directory.
type SFTPConfig struct {
	// Listen is the SSH address; "off" (or empty) serves no SFTP.
	Listen string
}

// Enabled reports whether serve starts the SFTP listener.
func (s SFTPConfig) Enabled() bool { return s.Listen != "" && s.Listen != "off" }

func init() {
	settings = append(settings,
		setting{"sftp-listen", "address of the SFTP server; off serves no SFTP", "127.0.0.1:2022",
			func(c *Config) *string { return &c.SFTP.Listen }, true},
	)
}

// completeSFTP checks the SFTP settings.
func (c *Config) completeSFTP() error {
	c.SFTP.Listen = strings.TrimSpace(c.SFTP.Listen)
	if c.SFTP.Enabled() {
		if _, _, err := net.SplitHostPort(c.SFTP.Listen); err != nil {
			return fmt.Errorf("config: --sftp-listen %q: want host:port, e.g. 127.0.0.1:2022, or off", c.SFTP.Listen)
		}
	}
	return nil
}
