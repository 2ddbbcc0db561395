package config

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/clientaddr"
)

// HTTPConfig is the settings of the HTTP listeners beyond their addresses'
// defaults: where Prometheus metrics are served, how long a request body
// may go silent, and which proxies say where requests come from.
type HTTPConfig struct {
	// MetricsListen is the address of the separate listener that serves
	// /metrics; "off" (or empty) serves no metrics. It is loopback by
	// default: the metrics need no credentials, so they stay off the
	// listener every site's users reach.
	MetricsListen string
	// BodyIdleTimeout cuts off a request body (a REST or WebDAV upload,
	// or any other body) that sends nothing for this long; an upload cut
	// off is discarded. Whole requests have no time limit: a large upload
	// may take as long as it keeps sending.
	BodyIdleTimeout time.Duration
	bodyIdleRaw     string
	// TrustedProxies are the reverse proxies and load balancers whose
	// X-Forwarded-For is believed (addresses and CIDR prefixes). Empty,
	// every request's address is its TCP peer's.
	TrustedProxies []string
	trustedRaw     string
}

// MetricsEnabled reports whether serve opens the metrics listener.
func (h HTTPConfig) MetricsEnabled() bool { return h.MetricsListen != "" && h.MetricsListen != "off" }

// minBodyIdleTimeout keeps a typo ("2" for "2m") from cutting off every
// client on a slow link.
const minBodyIdleTimeout = 100 * time.Millisecond

func init() {
	settings = append(settings,
		setting{"metrics-listen", "address of the Prometheus /metrics listener (no credentials: keep it private); off serves no metrics", "127.0.0.1:9464",
			func(c *Config) *string { return &c.HTTP.MetricsListen }, true},
		setting{"trusted-proxies", "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For gives the client's address", "",
			func(c *Config) *string { return &c.HTTP.trustedRaw }, true},
		setting{"http-body-idle-timeout", "how long an HTTP request body (REST or WebDAV upload, or any other) may send nothing before it is cut off and the upload discarded", "2m",
			func(c *Config) *string { return &c.HTTP.bodyIdleRaw }, true},
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
	raw := strings.TrimSpace(h.bodyIdleRaw)
	if raw == "" {
		raw = "2m"
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < minBodyIdleTimeout {
		return fmt.Errorf("config: --http-body-idle-timeout %q: want a duration of at least 100ms, e.g. 2m or 30s", h.bodyIdleRaw)
	}
	h.BodyIdleTimeout = d
	h.TrustedProxies = nil
	for _, p := range strings.Split(h.trustedRaw, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := clientaddr.New([]string{p}); err != nil {
			return fmt.Errorf("config: --trusted-proxies: %w", err)
		}
		h.TrustedProxies = append(h.TrustedProxies, p)
	}
	return nil
}
