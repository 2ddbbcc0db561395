package supervise

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// CutOffWait is how long a service waits for the handlers it cut off
// (their connections closed once the grace period ran out) to return: a
// handler that ignores its closed connection must not hold the server for
// ever, but the store should not close under one that is about to end.
const CutOffWait = 5 * time.Second

// HTTP makes srv, serving on ln, a Service. Shutdown is srv.Shutdown; if
// the grace period runs out first, the connections are closed and the
// handlers still running, which http.Server does not wait for, are waited
// for up to CutOffWait. srv.Handler is wrapped to count them.
func HTTP(name string, srv *http.Server, ln net.Listener) Service {
	var running handlers
	next := srv.Handler
	if next == nil {
		next = http.DefaultServeMux
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running.enter()
		defer running.leave()
		next.ServeHTTP(w, r)
	})
	return Service{
		Name: name,
		Serve: func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		Shutdown: func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			if err == nil {
				return nil
			}
			_ = srv.Close()
			wait, cancel := context.WithTimeout(context.WithoutCancel(ctx), CutOffWait)
			defer cancel()
			if n := running.wait(wait); n > 0 {
				return fmt.Errorf("%w; %d requests still running after they were cut off", err, n)
			}
			return err
		},
	}
}

// handlers counts the handlers running. (A sync.WaitGroup cannot: a
// request may start while Shutdown waits.)
type handlers struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (h *handlers) enter() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		h.idle = make(chan struct{})
	}
	h.n++
}

func (h *handlers) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n--
	if h.n == 0 {
		close(h.idle)
	}
}

// wait returns 0 once no handler runs, or how many still do when ctx ends.
func (h *handlers) wait(ctx context.Context) int {
	for {
		h.mu.Lock()
		n, idle := h.n, h.idle
		h.mu.Unlock()
		if n == 0 {
			return 0
		}
		select {
		case <-idle:
		case <-ctx.Done():
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.n
		}
	}
}
