package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/ops"
)

// startMetrics opens the Prometheus listener (unless --metrics-listen is
// off) and serves /metrics on it until ctx ends. It is separate from the
// main listener, which every site's host reaches, because the metrics
// need no credentials. Opening happens before serving, so a taken port
// stops start-up with a clear error.
func (a *App) startMetrics(ctx context.Context, o *ops.Ops) error {
	addr := a.Config.HTTP.MetricsListen
	if !a.Config.HTTP.MetricsEnabled() {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w (pick another address with --metrics-listen, or turn metrics off with --metrics-listen off)", addr, err)
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
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("metrics server stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return nil
}
