package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestAdmissionQueuesBeyondCapacity(t *testing.T) {
	a := newAdmission(2)
	var running, peak atomic.Int32
	release := make(chan struct{})
	h := a.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
	}))
	done := make(chan struct{})
	for i := 0; i < 6; i++ {
		go func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			done <- struct{}{}
		}()
	}
	// Wait until two run (however slow the machine), then give a third
	// time to start if the gate let it.
	for deadline := time.Now().Add(10 * time.Second); running.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if got := running.Load(); got != 2 {
		t.Fatalf("%d requests running with 2 slots", got)
	}
	close(release)
	for i := 0; i < 6; i++ {
		<-done
	}
	if peak.Load() != 2 {
		t.Fatalf("peak %d, want 2", peak.Load())
	}
}

func TestAdmissionLetsWaitingClientsGo(t *testing.T) {
	a := newAdmission(1)
	block := make(chan struct{})
	ran := atomic.Bool{}
	var busy http.Handler
	started := make(chan struct{})
	busy = a.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { close(started); <-block }))
	go busy.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	<-started // the only slot is taken

	ctx, cancel := context.WithCancel(context.Background())
	waiter := a.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran.Store(true) }))
	finished := make(chan struct{})
	go func() {
		waiter.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(ctx))
		close(finished)
	}()
	cancel()
	select {
	case <-finished:
	case <-time.After(2 * time.Second):
		t.Fatal("a client that gave up stayed queued")
	}
	close(block)
	if ran.Load() {
		t.Fatal("the request of a client that gave up ran")
	}
}
