// Package testclock is a clock tests move by hand. Gatehouse takes time
// from an injected clock, so session expiry, lockouts and token lifetimes
// are tested by advancing this one instead of sleeping.
package testclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use; pass its Now method where a clock is injected.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock standing at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
