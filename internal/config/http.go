package config

import (
	"fmt"
	"net"
	"strings"
)

// HTTPConfig is the settings of the HTTP listeners beyond the main
// listener's address: where Prometheus metrics are served.
type HTTPConfig struct {
	// MetricsListen is the address of the separate listener that serves
	// /metrics; "off" (or empty) serves no metrics. It is loopback by
	// default: the metrics need no credentials, so they stay off the
	// listener every site's users reach.
	MetricsListen string
}

// MetricsEnabled reports whether serve opens the metrics listener.
func (h HTTPConfig) MetricsEnabled() bool { return h.MetricsListen != "" && h.MetricsListen != "off" }

func init() {
	settings = append(settings,
		setting{"metrics-listen", "address of the Prometheus /metrics listener (no credentials: keep it private); off serves no metrics", "127.0.0.1:9464",
			func(c *Config) *string { return &c.HTTP.MetricsListen }, true},
	)
}

// completeHTTP checks the HTTP settings.
func (c *Config) completeHTTP() error {
	h := &c.HTTP
	h.MetricsListen = strings.TrimSpace(h.MetricsListen)
	if h.MetricsEnabled() {
		if _, _, err := net.SplitHostPort(h.MetricsListen); err != nil {
			return fmt.Errorf("config: --metrics-listen %q: want host:port, e.g. 127.0.0.1:9464, or off", h.MetricsListen)
		}
	}
	return nil
}
