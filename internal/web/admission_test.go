package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
)

func TestAdmissionQueuesBeyondCapacity(t *testing.T) {
	a := newAdmission(2, nil)
	var running, peak atomic.Int32
	release := make(chan struct{})
	h := wrapSignedIn(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	// Wait until every request has either started or queued (however slow
	// the machine): from then on none can start until one ends.
	waitFor(t, "six requests running or queued", func() bool { return int(running.Load())+waitingIn(a.signedIn) == 6 })
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
	a := newAdmission(1, nil)
	block := make(chan struct{})
	ran := atomic.Bool{}
	var busy http.Handler
	started := make(chan struct{})
	busy = wrapSignedIn(a, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { close(started); <-block }))
	go busy.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	<-started // the only slot is taken

	ctx, cancel := context.WithCancel(context.Background())
	waiter := wrapSignedIn(a, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran.Store(true) }))
	finished := make(chan struct{})
	go func() {
		waiter.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(ctx))
		close(finished)
	}()
	// Give up only once queued: cancelling before the request reaches the
	// queue would prove nothing about a client that gives up while waiting.
	waitFor(t, "the second request waiting for the slot", func() bool { return waitingIn(a.signedIn) == 1 })
	cancel()
	select {
	case <-finished:
	case <-time.After(2 * time.Second):
		t.Fatal("a client that gave up stayed queued")
	}
	// It ran (ServeHTTP returned after its handler would have), or it
	// left its arrival behind in the queue, which would keep the node
	// saturated for ever.
	if ran.Load() {
		t.Fatal("the request of a client that gave up ran")
	}
	if n := waitingIn(a.signedIn); n != 0 {
		t.Fatalf("%d requests still waiting after the only waiter gave up", n)
	}
	close(block)
}

// wrapSignedIn admits every request through the signed-in queue.
func wrapSignedIn(a *admission, h http.Handler) http.Handler {
	return a.wrap(h, func(*http.Request) bool { return false }, func(http.ResponseWriter, *http.Request, error) {})
}

// TestAdmissionAnonymousQueueIsSeparateAndShort: requests without
// credentials fill only their own slots, wait at most anonymousWait and
// are then told to retry, while a signed-in request runs at once; a
// signed-in queue that stops moving reports itself saturated.
func TestAdmissionAnonymousQueueIsSeparateAndShort(t *testing.T) {
	a := newAdmission(2, nil)
	block := make(chan struct{})
	var refused atomic.Int32
	isAnon := func(r *http.Request) bool { return r.Header.Get("X-Anon") != "" }
	h := a.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Block") != "" {
			<-block
		}
	}), isAnon, func(w http.ResponseWriter, r *http.Request, err error) {
		refused.Add(1)
		w.WriteHeader(identityStatus(err))
	})
	send := func(anon, blockIt bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/", nil)
		if anon {
			req.Header.Set("X-Anon", "1")
		}
		if blockIt {
			req.Header.Set("X-Block", "1")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	slots := cap(a.anonymous.slots)
	for i := 0; i < slots; i++ {
		go send(true, true)
	}
	waitFor(t, "every anonymous slot held", func() bool { return len(a.anonymous.slots) == slots })
	start := time.Now()
	if rec := send(false, false); rec.Code != http.StatusOK || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("a signed-in request behind a full anonymous queue: %d after %s", rec.Code, time.Since(start))
	}
	start = time.Now()
	rec := send(true, false)
	if waited := time.Since(start); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		waited < anonymousWait || waited > anonymousWait+time.Second {
		t.Fatalf("an anonymous request behind a full anonymous queue: %d %v after %s", rec.Code, rec.Header(), waited)
	}
	if n := refused.Load(); n != 1 {
		t.Fatalf("%d requests refused, want the one anonymous request beyond the queue", n)
	}
	close(block)

	// Saturation: both signed-in slots held, one request waiting.
	hold := make(chan struct{})
	for i := 0; i < 2; i++ {
		go func() {
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Block", "1")
			block2 := hold
			wrapSignedIn(a, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block2 })).ServeHTTP(httptest.NewRecorder(), req)
		}()
	}
	waitFor(t, "both signed-in slots held", func() bool { return len(a.signedIn.slots) == 2 })
	if a.Saturated() {
		t.Fatal("saturated with every slot busy but nobody waiting")
	}
	go wrapSignedIn(a, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	// Asked once the request waits (not before it queued, which any
	// answer would pass): waiting alone is not saturation.
	waitFor(t, "a request waiting for a signed-in slot", func() bool { return waitingIn(a.signedIn) == 1 })
	if a.Saturated() {
		t.Fatal("saturated before anyone waited long")
	}
	waitFor(t, "saturated with a request waiting longer than saturatedAfter", a.Saturated)
	close(hold)
	waitFor(t, "no longer saturated after the queue moved", func() bool { return !a.Saturated() })
	if n := waitingIn(a.signedIn); n != 0 {
		t.Fatalf("%d requests still waiting after the queue moved", n)
	}
}

func identityStatus(err error) int { return identity.AsError(err).Status }

// TestReadinessFollowsTheQueue: the front end hands /readyz a check that
// turns busy while a signed-in request has waited over saturatedAfter for
// a slot, here behind a SCIM request that holds the only one.
func TestReadinessFollowsTheQueue(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	var busy func() bool
	held := make(chan struct{}, 2)
	// newServer and handler are New, keeping the server for its queue.
	cfg := Options{Service: h.svc, BaseURL: "http://localhost", MaxInFlight: 1,
		NotReadyWhen: func(reason string, f func() bool) { busy = f },
		SCIM:         http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { held <- struct{}{}; <-release })}
	s, err := newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler := s.handler(cfg)
	if busy == nil {
		t.Fatal("no readiness check was handed over")
	}
	scimRequest := func() {
		req := httptest.NewRequest("GET", "http://localhost/api/scim/v2/Users", nil)
		req.Header.Set("Authorization", "Bearer token")
		handler.ServeHTTP(httptest.NewRecorder(), req)
	}
	go scimRequest() // holds the slot
	<-held
	go scimRequest() // waits
	waitFor(t, "a request waiting for the slot", func() bool { return waitingIn(s.admission.signedIn) == 1 })
	if busy() {
		t.Fatal("busy before anyone waited a second")
	}
	waitFor(t, "busy with a request waiting over a second", busy)
	close(release)
	waitFor(t, "no longer busy after the queue moved", func() bool { return !busy() })
}

// waitFor polls cond until it holds, failing the test after ten seconds:
// it waits for an event however slow the machine, where a fixed sleep
// would either waste time or be too short.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}

// waitingIn is how many requests wait for a slot of q.
func waitingIn(q *queue) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting.Len()
}
