package console

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/ldapsync"
)

// TestJobsOneRunPerProviderUntilServerStops: Sync now runs in the
// background, one run per provider at a time (a second Sync now while one
// runs shows that run), reports its progress, keeps its result for the
// page that shows it, is seen only from its own site, and stops — and is
// waited for — when the server stops, after which no run starts.
func TestJobsOneRunPerProviderUntilServerStops(t *testing.T) {
	j := NewJobs()
	serverCtx, stopServer := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- j.Run(serverCtx) }()

	var runs atomic.Int32
	release := make(chan struct{})
	progressed := make(chan struct{})
	run := func(ctx context.Context, progress func(ldapsync.Progress)) (*ldapsync.Result, error) {
		runs.Add(1)
		progress(ldapsync.Progress{Phase: ldapsync.PhaseReading, Users: 120, Expected: 500})
		close(progressed)
		select {
		case <-release:
			return &ldapsync.Result{Status: "success"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	first, err := j.start(1, 7, time.Now(), run)
	if err != nil {
		t.Fatal(err)
	}
	<-progressed
	again, err := j.start(1, 7, time.Now(), run)
	if err != nil || again != first {
		t.Fatalf("a second Sync now while the first runs: %v, same run %v", err, again == first)
	}
	p, _, finished, _ := first.state()
	if finished || p.Users != 120 || p.Expected != 500 {
		t.Fatalf("while running: progress %+v, finished %v", p, finished)
	}
	if j.job(2, 7) != nil {
		t.Fatal("another site sees the run")
	}
	close(release)
	<-first.done
	_, res, finished, err := j.job(1, 7).state()
	if !finished || err != nil || res == nil || res.Status != "success" {
		t.Fatalf("after the run: %+v %v %v", res, finished, err)
	}
	if runs.Load() != 1 {
		t.Fatalf("%d runs, want 1", runs.Load())
	}

	// A new Sync now after the last one ended starts a new run, which the
	// server's stop cancels and waits for.
	release = make(chan struct{})
	progressed = make(chan struct{})
	second, err := j.start(1, 7, time.Now(), run)
	if err != nil || second == first {
		t.Fatalf("Sync now after the last run ended: %v, new run %v", err, second != first)
	}
	<-progressed
	stopServer()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the server stopped")
	}
	select {
	case <-second.done:
	default:
		t.Fatal("Run returned before the run it cancelled ended")
	}
	if _, _, _, err := second.state(); !errors.Is(err, context.Canceled) {
		t.Fatalf("the run cut off by the stop ended with %v", err)
	}
	if _, err := j.start(1, 8, time.Now(), run); !errors.Is(err, errServerStopping) {
		t.Fatalf("Sync now after the stop: %v", err)
	}
}
