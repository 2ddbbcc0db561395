package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/supervise"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// openApp opens an app on SQLite in a new data directory, with every
// listener on a free loopback port unless args say otherwise.
func openApp(t *testing.T, args ...string) *App {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	config.AddFlags(fs, true)
	base := []string{"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--metrics-listen", "off",
		"--sftp-listen", "off", "--ftp-listen", "off"}
	if err := fs.Parse(append(base, args...)); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(fs, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// startServing builds what Serve runs on a new HTTP listener; adjust may
// change the group before it runs. It returns what was built, the
// group's error (once Run returns) and how to stop it.
func startServing(t *testing.T, a *App, adjust func(*served)) (*served, <-chan error, context.CancelFunc) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.serving(ln)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	s.group.Grace = 5 * time.Second
	if adjust != nil {
		adjust(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		done <- s.group.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(20 * time.Second):
			t.Error("serving did not stop")
		}
	})
	return s, done, cancel
}

func waitFor(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("serving did not stop")
		return nil
	}
}

// readyz answers the HTTP listener's /readyz: its code and body.
func readyz(t *testing.T, s *served) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.listeners["http"].Addr().String() + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// TestFailingWorkerStopsServe: a background worker that fails stops the
// whole server, whose error names it, and the listeners close. Before,
// the background work ran in loose goroutines whose failures nobody saw.
func TestFailingWorkerStopsServe(t *testing.T) {
	a := openApp(t)
	broken := errors.New("the disk is on fire")
	s, done, _ := startServing(t, a, func(s *served) {
		s.group.Workers = append(s.group.Workers, supervise.Worker{Name: "doomed", Run: func(ctx context.Context) error {
			select {
			case <-time.After(100 * time.Millisecond):
				return broken
			case <-ctx.Done():
				return nil
			}
		}})
	})
	err := waitFor(t, done)
	if !errors.Is(err, broken) || !strings.Contains(err.Error(), "doomed") {
		t.Fatalf("serving stopped with %v, want the worker's error, named", err)
	}
	if c, err := net.DialTimeout("tcp", s.listeners["http"].Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("the HTTP listener still accepts after the server stopped")
	}
}

// TestShutdownWaitsForLDAPSync: a sync still applying when shutdown
// begins finishes writing to the store before serving returns, so the
// store the caller closes next has the whole sync. Before, Serve returned
// while the schedule ran on, and the store closed under it.
func TestShutdownWaitsForLDAPSync(t *testing.T) {
	a := openApp(t)
	applying := make(chan struct{})
	var mu sync.Mutex
	var steps []string
	step := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, s)
	}
	var applyErr error
	_, done, cancel := startServing(t, a, func(s *served) {
		for i, w := range s.group.Workers {
			if w.Name != "LDAP sync schedule" {
				continue
			}
			s.group.Workers[i].Run = func(ctx context.Context) error {
				close(applying)
				<-ctx.Done()
				// Still applying what the directory sent when told to stop.
				time.Sleep(200 * time.Millisecond)
				u := store.User{SiteID: a.Site.ID, Username: "synced", AuthenticationMethod: store.AuthSSO}
				applyErr = a.Store.CreateUser(context.WithoutCancel(ctx), &u)
				step("sync applied")
				return nil
			}
			return
		}
		t.Fatal("no LDAP sync worker")
	})
	<-applying
	cancel()
	if err := waitFor(t, done); err != nil {
		t.Fatalf("serving: %v", err)
	}
	step("serving returned")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if applyErr != nil {
		t.Fatalf("the sync's write failed: %v", applyErr)
	}
	mu.Lock()
	got := strings.Join(steps, ", ")
	mu.Unlock()
	if got != "sync applied, serving returned" {
		t.Fatalf("steps: %s", got)
	}
	st, err := sqlite.Open(a.Config.SQLitePath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetUserByUsername(context.Background(), a.Site.ID, "synced"); err != nil {
		t.Fatalf("the synced user is not in the store: %v", err)
	}
}

// TestSweepersRunOnTheClock: the session and stale-upload sweepers wait
// on the app's clock and sweep as of its time, so moving a test clock
// runs them. Before, they used tickers and time.Now.
func TestSweepersRunOnTheClock(t *testing.T) {
	a := openApp(t)
	start := time.Now()
	clock := testclock.New(start)
	a.clock = clock
	ctx := context.Background()
	u := store.User{SiteID: a.Site.ID, Username: "alice", AuthenticationMethod: store.AuthPassword}
	if err := a.Store.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := a.Store.CreateSession(ctx, &store.Session{SiteID: a.Site.ID, UserID: u.ID, TokenHash: hash, Channel: "web",
		ExpiresAt: start.Add(5 * time.Minute), CreatedAt: start}); err != nil {
		t.Fatal(err)
	}
	files, err := a.FileStorage()
	if err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(files.Root(), ".gatehouse-upload-left-by-a-crash")
	if err := os.WriteFile(leftover, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	startServing(t, a, nil)
	// The sweepers wait on the clock: the session and expired-upload sweeps' first passes,
	// and the upload sweep's second (its first, at start, found the file
	// fresh).
	waitUntil(t, "the sweepers wait on the clock", func() bool { return clock.Waiting() == 3 })
	if _, err := a.Store.GetSessionByHash(ctx, hash, start); err != nil {
		t.Fatalf("the session was swept before its time: %v", err)
	}
	if _, err := os.Stat(leftover); err != nil {
		t.Fatalf("a fresh upload file was swept: %v", err)
	}

	clock.Advance(sessionSweepInterval)
	waitUntil(t, "the expired session is swept", func() bool {
		_, err := a.Store.GetSessionByHash(ctx, hash, start)
		return errors.Is(err, store.ErrNotFound)
	})
	clock.Advance(staleUploadAge + time.Hour)
	waitUntil(t, "the stale upload file is swept", func() bool {
		_, err := os.Stat(leftover)
		return errors.Is(err, os.ErrNotExist)
	})
}

// TestReadyzWhenSFTPListenerDies: when the SFTP listener dies, /readyz
// answers 503 naming it, and the server stops with that error (a
// supervisor restarts it). Before, the error was only logged, /readyz
// stayed 200 and SFTP stayed down.
func TestReadyzWhenSFTPListenerDies(t *testing.T) {
	a := openApp(t, "--sftp-listen", "127.0.0.1:0")
	var code int
	var body string
	s, done, _ := startServing(t, a, func(s *served) {
		stopping := s.group.Stopping
		s.group.Stopping = func(reason string) {
			stopping(reason)
			// The HTTP listener still serves while the others stop.
			code, body = readyz(t, s)
		}
	})
	waitUntil(t, "the server is ready", func() bool { c, _ := readyz(t, s); return c == http.StatusOK })
	s.listeners["sftp"].Close()
	err := waitFor(t, done)
	if err == nil || !strings.Contains(err.Error(), "sftp") {
		t.Fatalf("serving stopped with %v, want the SFTP listener's error", err)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "sftp") {
		t.Fatalf("/readyz once the SFTP listener died: %d %q, want 503 naming it", code, body)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
