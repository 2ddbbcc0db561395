package supervise

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testclock"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// steps records what happened, in order, from many goroutines.
type steps struct {
	mu   sync.Mutex
	list []string
}

func (s *steps) add(step string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, step)
}

func (s *steps) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// fakeService serves until Shutdown, which takes drain to finish.
func fakeService(name string, rec *steps, drain time.Duration) Service {
	stopped := make(chan struct{})
	return Service{
		Name:  name,
		Serve: func() error { <-stopped; return nil },
		Shutdown: func(ctx context.Context) error {
			rec.add(name + " stops accepting")
			defer close(stopped)
			select {
			case <-time.After(drain):
				rec.add(name + " drained")
				return nil
			case <-ctx.Done():
				rec.add(name + " cut off")
				return ctx.Err()
			}
		},
	}
}

// TestStopsInOrder: on ctx's end the services drain first, then the
// workers stop (one finishing its work after its context ended), then
// Flush runs, and only then does Run return.
func TestStopsInOrder(t *testing.T) {
	rec := &steps{}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	g := &Group{
		Services: []Service{fakeService("http", rec, 50*time.Millisecond), fakeService("sftp", rec, 0)},
		Workers: []Worker{{Name: "sync", Run: func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			rec.add("sync told to stop")
			time.Sleep(50 * time.Millisecond) // finishing what it applies
			rec.add("sync finished")
			return nil
		}}, {Name: "nothing to do", Run: func(context.Context) error { return nil }}},
		Stopping: func(reason string) { rec.add("not ready: " + reason) },
		Flush:    func(context.Context) { rec.add("flush") },
		Logger:   quiet,
	}
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	rec.add("Run returned")
	got := rec.get()
	at := func(step string) int {
		i := slices.Index(got, step)
		if i < 0 {
			t.Fatalf("no %q in %q", step, got)
		}
		return i
	}
	order := []string{"not ready: shutting down", "http stops accepting", "http drained", "sync told to stop", "sync finished", "flush", "Run returned"}
	for i := 1; i < len(order); i++ {
		if at(order[i-1]) > at(order[i]) {
			t.Fatalf("%q came before %q: %q", order[i], order[i-1], got)
		}
	}
	if at("sftp drained") > at("sync told to stop") {
		t.Fatalf("a worker stopped before every service drained: %q", got)
	}
}

// TestFailingWorkerStopsTheGroup: a worker's error stops everything, in
// order, and is what Run returns, naming the worker.
func TestFailingWorkerStopsTheGroup(t *testing.T) {
	rec := &steps{}
	boom := errors.New("the directory schedule broke")
	var reason string
	g := &Group{
		Services: []Service{fakeService("http", rec, 0)},
		Workers: []Worker{
			{Name: "ldap schedule", Run: func(context.Context) error { return boom }},
			{Name: "sweeper", Run: func(ctx context.Context) error { <-ctx.Done(); rec.add("sweeper stopped"); return nil }},
		},
		Stopping: func(r string) { reason = r },
		Logger:   quiet,
	}
	err := g.Run(context.Background())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "ldap schedule: ") {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(reason, "ldap schedule: the directory schedule broke") {
		t.Fatalf("readiness was told %q", reason)
	}
	if got := rec.get(); !slices.Equal(got, []string{"http stops accepting", "http drained", "sweeper stopped"}) {
		t.Fatalf("steps %q", got)
	}
}

// TestFailingServiceStopsTheGroup: a service whose Serve returns, with an
// error or without one, stops the group with that failure.
func TestFailingServiceStopsTheGroup(t *testing.T) {
	for _, serveErr := range []error{errors.New("accept: too many open files"), nil} {
		rec := &steps{}
		dead := Service{Name: "sftp", Serve: func() error { return serveErr },
			Shutdown: func(context.Context) error { rec.add("sftp shutdown"); return nil }}
		g := &Group{Services: []Service{dead, fakeService("http", rec, 0)}, Logger: quiet}
		err := g.Run(context.Background())
		want := serveErr
		if want == nil {
			want = ErrStoppedEarly
		}
		if !errors.Is(err, want) || !strings.HasPrefix(err.Error(), "sftp: ") {
			t.Fatalf("Run: %v, want %v", err, want)
		}
		if got := rec.get(); !slices.Contains(got, "http drained") || !slices.Contains(got, "sftp shutdown") {
			t.Fatalf("steps %q", got)
		}
	}
}

// TestGraceRunsOut: a service that does not drain in time is cut off and
// Run says so.
func TestGraceRunsOut(t *testing.T) {
	rec := &steps{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &Group{Services: []Service{fakeService("ftp", rec, time.Hour)}, Grace: 20 * time.Millisecond, Logger: quiet}
	err := g.Run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "shutdown: ftp") {
		t.Fatalf("Run: %v", err)
	}
	if got := rec.get(); !slices.Contains(got, "ftp cut off") {
		t.Fatalf("steps %q", got)
	}
}

// TestEveryOnTheClock: a periodic worker passes at once, then once per
// interval of the injected clock, and stops with its context.
func TestEveryOnTheClock(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := testclock.New(start)
	passes := make(chan time.Time, 10)
	run := Every(clock, 10*time.Minute, true, func(_ context.Context, now time.Time) { passes <- now })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	if got := <-passes; !got.Equal(start) {
		t.Fatalf("first pass at %v", got)
	}
	for i := 1; i <= 3; i++ {
		waitForTimer(t, clock)
		clock.Advance(10 * time.Minute)
		if got := <-passes; !got.Equal(start.Add(time.Duration(i) * 10 * time.Minute)) {
			t.Fatalf("pass %d at %v", i, got)
		}
	}
	waitForTimer(t, clock)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	select {
	case p := <-passes:
		t.Fatalf("a pass at %v after the end", p)
	default:
	}
}

func waitForTimer(t *testing.T, clock *testclock.Clock) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for clock.Waiting() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker never waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHTTPWaitsForCutOffHandlers: a request still running when the grace
// period ends has its connection closed, and Shutdown returns only once
// its handler has returned.
func TestHTTPWaitsForCutOffHandlers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, finished := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // the connection is closed
		time.Sleep(100 * time.Millisecond)
		close(finished)
	})}
	s := HTTP("http", srv, ln)
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Shutdown returned while a handler still ran")
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
