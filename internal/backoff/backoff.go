// Package backoff is how Gatehouse stops asking a failing identity
// provider again on every anonymous request: the SAML metadata URL, an
// OpenID provider's discovery document and its signing keys. Anyone can
// open a sign-in link, so without it every request would cost a download,
// events and alerts, and make Gatehouse hammer the provider.
//
// It holds three small parts that the SAML and OpenID Connect sign-ins
// share: a Schedule that spaces out the tries of a failing source, the
// WaitingError a skipped try answers with, and a Gate that lets one try
// per source run at a time (the others wait for its result) and remembers
// failures in memory. SAML keeps its failure count in the store instead,
// next to the cached metadata, so that every node agrees.
package backoff

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Schedule spaces out the tries of a failing source: First after the
// first failure, doubling with each further failure, never more than Max.
type Schedule struct {
	First, Max time.Duration
}

// Default waits a minute after the first failure, then 2, 4, 8 … minutes,
// at most an hour: a provider that comes back is used again soon, one that
// stays down is asked at most hourly. It is a function, not a variable, so
// that no code can change the schedule of every gate in the process.
func Default() Schedule { return Schedule{First: time.Minute, Max: time.Hour} }

// After is how long to wait after failures consecutive failures (0 for
// none).
func (s Schedule) After(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := s.First
	for i := 1; i < failures && d < s.Max; i++ {
		d *= 2
	}
	return min(d, s.Max)
}

// ErrWaiting matches every WaitingError with errors.Is.
var ErrWaiting = errors.New("backoff: not tried again yet")

// WaitingError is a try that was not made: the source failed recently, or
// another request's try of it just failed. It unwraps to that failure, so
// callers read its kind as they would read the failure itself.
type WaitingError struct {
	Until    time.Time // the next try is made after this time
	Failures int       // consecutive failures so far
	Last     error     // the last failure
}

func (e *WaitingError) Error() string {
	msg := fmt.Sprintf("not tried again before %s after %d failure(s)", e.Until.UTC().Format(time.RFC3339), e.Failures)
	if e.Last != nil {
		msg += "; the last: " + e.Last.Error()
	}
	return msg
}

// Unwrap returns the last failure.
func (e *WaitingError) Unwrap() error { return e.Last }

// Is makes errors.Is(err, ErrWaiting) true.
func (e *WaitingError) Is(target error) bool { return target == ErrWaiting }

// Gate runs at most one try per key at a time and, after a try fails,
// answers the key's next calls with a WaitingError until the Schedule
// allows another. The zero value uses Default. It is safe for concurrent
// use.
type Gate struct {
	// Schedule spaces out the tries; zero means Default.
	Schedule Schedule

	mu      sync.Mutex
	entries map[string]*gateEntry
}

type gateEntry struct {
	failures int
	until    time.Time
	last     error
	flight   *flight // the try running now, or nil
}

// flight is one try that several callers wait for.
type flight struct {
	done chan struct{}
	err  error
}

// Do runs try for key unless key failed recently (a WaitingError) or a try
// of key is running (Do then waits for it; if it fails, the wait ends in a
// WaitingError, so that only the caller whose try ran reports the
// failure). now is the caller's clock.
func (g *Gate) Do(key string, now time.Time, try func() error) error {
	g.mu.Lock()
	if g.entries == nil {
		g.entries = map[string]*gateEntry{}
	}
	e := g.entries[key]
	if e == nil {
		e = &gateEntry{}
		g.entries[key] = e
	}
	if f := e.flight; f != nil {
		g.mu.Unlock()
		<-f.done
		if f.err == nil {
			return nil
		}
		g.mu.Lock()
		w := &WaitingError{Until: e.until, Failures: e.failures, Last: f.err}
		g.mu.Unlock()
		return w
	}
	if e.failures > 0 && now.Before(e.until) {
		w := &WaitingError{Until: e.until, Failures: e.failures, Last: e.last}
		g.mu.Unlock()
		return w
	}
	f := &flight{done: make(chan struct{})}
	e.flight = f
	g.mu.Unlock()

	f.err = try()

	g.mu.Lock()
	e.flight = nil
	if f.err != nil {
		e.failures++
		e.last = f.err
		e.until = now.Add(g.schedule().After(e.failures))
	} else {
		delete(g.entries, key)
	}
	g.mu.Unlock()
	close(f.done)
	return f.err
}

// Forget drops what the gate remembers of key's failures, so the next
// call tries at once: an admin just checked the source by hand.
func (g *Gate) Forget(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.entries[key]; e != nil && e.flight == nil {
		delete(g.entries, key)
	}
}

func (g *Gate) schedule() Schedule {
	if g.Schedule == (Schedule{}) {
		return Default()
	}
	return g.Schedule
}
