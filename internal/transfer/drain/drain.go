// Package drain is what the FTP and SFTP servers share to shut down
// gracefully: a Latch that knows when shutdown began and closes once the
// last connection has ended, and Wait, which gives the connections still
// transferring until the grace period ends and then cuts them off.
//
// Each server keeps its own set of connections (what a connection is, and
// which may be closed at once, differs: an FTP control connection waiting
// for a command, an SFTP connection with no file open); the Latch is kept
// under that set's lock, so "no new connection after shutdown began" and
// "closed when the set is empty" are decided together.
package drain

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// CutOffWait bounds how long Wait waits for the connections it cut off to
// end; they end as soon as their closed sockets are noticed.
const CutOffWait = 5 * time.Second

// Latch is closed once shutdown has begun and no connection is left. Its
// methods are called with the lock of the caller's connection set held.
type Latch struct {
	ch chan struct{} // made when shutdown begins
}

// Begin marks the start of shutdown, with open connections still open,
// and returns the channel that is closed once none is.
func (l *Latch) Begin(open int) <-chan struct{} {
	if l.ch == nil {
		l.ch = make(chan struct{})
		if open == 0 {
			close(l.ch)
		}
	}
	return l.ch
}

// Begun reports whether shutdown has begun: no connection is taken after.
func (l *Latch) Begun() bool { return l.ch != nil }

// Left tells the latch how many connections are left after one ended.
func (l *Latch) Left(open int) {
	if l.ch == nil || open > 0 {
		return
	}
	select {
	case <-l.ch:
	default:
		close(l.ch)
	}
}

// Wait waits until drained is closed or ctx ends; then cutOff closes what
// is still open and says how many, and Wait gives them CutOffWait to end.
// It returns ctx's error when connections had to be cut off.
func Wait(ctx context.Context, drained <-chan struct{}, cutOff func() int, log *slog.Logger, server string) error {
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
	}
	n := cutOff()
	log.Warn(server+": cut off transfers still running at shutdown", "connections", n)
	wait := time.NewTimer(CutOffWait)
	defer wait.Stop()
	select {
	case <-drained:
		return ctx.Err()
	case <-wait.C:
		return fmt.Errorf("%w; %d connections still open after they were cut off", ctx.Err(), n)
	}
}
