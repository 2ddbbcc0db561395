// Package ops serves what operators and orchestrators poll: liveness
// (/healthz) and readiness (/readyz: the store answers and the server is
// not saturated) on the main listener, where load balancers look, and
// Prometheus metrics (/metrics) on a listener of their own, plus the
// middleware that counts every HTTP request.
package ops

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Pinger is what readiness asks: the store.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Ops holds the metrics registry and the readiness check.
type Ops struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ready    Pinger
	checks   []check
}

// check is one more condition of readiness besides the store: not ready
// while it returns a reason.
type check func() string

// New returns Ops with Go runtime and process collectors registered.
func New(ready Pinger) *Ops {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	o := &Ops{
		registry: reg,
		ready:    ready,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total",
			Help: "HTTP requests answered, by method and status code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method"}),
	}
	reg.MustRegister(o.requests, o.duration)
	return o
}

// Registry lets other packages register their own metrics.
func (o *Ops) Registry() *prometheus.Registry { return o.registry }

// MountHealth adds /healthz and /readyz to mux.
func (o *Ops) MountHealth(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", o.readyz)
}

// MetricsHandler serves /metrics, and nothing else. The metrics need no
// credentials and tell anyone how busy the server is, so they are served
// on their own listener (loopback by default), never on the one every
// site's users reach.
func (o *Ops) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{}))
	return mux
}

// NotReadyWhen makes /readyz answer 503 with reason while busy reports
// true, so that a load balancer sends new work to another node.
func (o *Ops) NotReadyWhen(reason string, busy func() bool) {
	o.NotReadyBecause(func() string {
		if busy() {
			return reason
		}
		return ""
	})
}

// NotReadyBecause makes /readyz answer 503 with what reason returns while
// it returns something (why the server is stopping, say).
func (o *Ops) NotReadyBecause(reason func() string) {
	o.checks = append(o.checks, reason)
}

func (o *Ops) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := o.ready.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("store unreachable\n"))
		return
	}
	for _, c := range o.checks {
		if reason := c(); reason != "" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(reason + "\n"))
			return
		}
	}
	w.Write([]byte("ready\n"))
}

// Instrument counts and times every request that passes through next.
func (o *Ops) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		default:
			method = "other" // keep label values bounded
		}
		o.requests.WithLabelValues(method, strconv.Itoa(sw.code)).Inc()
		o.duration.WithLabelValues(method).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
