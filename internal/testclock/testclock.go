// Package testclock is a clock tests move by hand. Gatehouse takes time
// from an injected clock, so session expiry, lockouts and token lifetimes
// are tested by advancing this one instead of sleeping, and the server's
// periodic work (package supervise) waits on it, so a test moves a sweep
// forward by an hour in no time.
package testclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use; pass its Now method where a clock is
// injected, or the Clock itself where waiting on it is (supervise.Clock).
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
}

// timer is one After waiting for the clock to reach at.
type timer struct {
	at time.Time
	c  chan time.Time
}

// New returns a clock standing at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing every After that comes due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	waiting := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			waiting = append(waiting, t)
			continue
		}
		t.c <- c.now // buffered, and sent to once
	}
	clear(c.timers[len(waiting):])
	c.timers = waiting
}

// After returns a channel that receives the clock's time once Advance has
// moved it d or more past now (at once when d <= 0), like time.After.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, timer{at: c.now.Add(d), c: ch})
	return ch
}

// Waiting reports how many After channels have not fired yet, so a test
// can advance the clock once the code under test waits on it.
func (c *Clock) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
