package supervise

import (
	"context"
	"time"
)

// Clock is what periodic work reads the time from and waits on: the
// system's in the server (SystemClock), a testclock.Clock in tests, which
// move a sweep on by an hour without waiting for it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Every returns a worker's Run that calls pass with the clock's time,
// once at the start when now is set, and then every interval, until ctx
// ends. A pass handles its own errors (logging them, typically): the next
// pass tries again, and one failed pass must not stop the server.
func Every(clock Clock, interval time.Duration, now bool, pass func(ctx context.Context, now time.Time)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if now {
			pass(ctx, clock.Now())
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case t := <-clock.After(interval):
				if ctx.Err() != nil {
					return nil
				}
				pass(ctx, t)
			}
		}
	}
}
