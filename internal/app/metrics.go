package app

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/ops"
	"github.com/gatehouse/gatehouse/internal/supervise"
)

// metricsService opens the Prometheus listener (unless --metrics-listen
// is off) and returns the service that serves /metrics on it; nil when
// metrics are off. It is separate from the
// main listener, which every site's host reaches, because the metrics
// need no credentials. Opening happens before serving, so a taken port
// stops start-up with a clear error.
func (a *App) metricsService(o *ops.Ops) (*supervise.Service, net.Listener, error) {
	addr := a.Config.HTTP.MetricsListen
	if !a.Config.HTTP.MetricsEnabled() {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen for metrics on %s: %w (pick another address with --metrics-listen, or turn metrics off with --metrics-listen off)", addr, err)
	}
	srv := &http.Server{
		Handler:           o.MetricsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	a.Logger.Info("serving metrics", "addr", ln.Addr().String(), "path", "/metrics")
	svc := supervise.HTTP("metrics", srv, ln)
	return &svc, ln, nil
}
