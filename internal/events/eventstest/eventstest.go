// Package eventstest holds the Notifier tests hand to code that alerts,
// so they can read what was sent without an SMTP server.
package eventstest

import (
	"context"
	"sync"

	"github.com/gatehouse/gatehouse/internal/events"
)

// Recorder is an events.Notifier that keeps every notice it is given.
type Recorder struct {
	mu      sync.Mutex
	notices []events.Notice
}

// Notify keeps n.
func (r *Recorder) Notify(_ context.Context, n events.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
	return nil
}

// All returns the notices so far, oldest first.
func (r *Recorder) All() []events.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Notice(nil), r.notices...)
}

// Reset forgets the notices so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = nil
}
