// Package supervise runs a server's long-lived work as one group that it
// waits for: the services on its listeners (HTTP, SFTP, FTP, metrics) and
// its background workers (sweepers, refreshes, schedules). Nothing is
// left running on its own, so nothing outlives the store it writes to,
// and nothing dies unnoticed: a service or worker that fails stops the
// whole group with its error, and the server exits with it.
//
// The group stops in order, because each step needs the next one still
// there: the services stop accepting and drain (requests and transfers in
// flight get the grace period, then are cut off), then the workers are
// stopped and waited for (an LDAP sync finishes applying), then Flush runs
// (counts that requests left behind), and only then does Run return, so
// the caller can close the store.
package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
)

// Service is a server on a listener, opened before the group runs (so
// that a taken port stops start-up with a clear error).
type Service struct {
	Name string
	// Serve serves until Shutdown, then returns nil. Returning before
	// that, with an error or without, is a failure that stops the group.
	Serve func() error
	// Shutdown stops accepting, lets the work in progress finish until
	// ctx ends, then cuts off what is left; it returns once all of it has
	// ended, with an error if it had to cut anything off.
	Shutdown func(ctx context.Context) error
}

// Worker is background work for the life of the group.
type Worker struct {
	Name string
	// Run works until ctx ends, then returns nil. It may return nil
	// earlier when it has nothing to do; an error stops the group.
	Run func(ctx context.Context) error
}

// Group is a server's services and workers, and what to do as it stops.
type Group struct {
	Services []Service
	Workers  []Worker
	// Grace is how long the services' requests and transfers in progress
	// get to finish when the group stops; default 30 seconds.
	Grace time.Duration
	// Stopping, if set, is told once why the group stops ("shutting
	// down", or which service or worker failed and how) before anything
	// stops, so readiness reports it while the services drain.
	Stopping func(reason string)
	// Flush, if set, runs after every service and worker has returned,
	// before Run does.
	Flush  func(ctx context.Context)
	Logger *slog.Logger // default slog.Default()
}

// DefaultGrace is Group.Grace's default.
const DefaultGrace = 30 * time.Second

// ErrStoppedEarly is the failure of a service whose Serve returned nil
// without a Shutdown.
var ErrStoppedEarly = errors.New("stopped without being asked to")

// Run starts every service and worker and waits until ctx ends or one of
// them fails, then stops the group in order (see the package doc). It
// returns nil when ctx ended and everything stopped in time; otherwise the
// failure that stopped the group, joined with any service that had to be
// cut off.
func (g *Group) Run(ctx context.Context) error {
	log := g.Logger
	if log == nil {
		log = slog.Default()
	}
	grace := g.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	// stop ends the wait: ctx's end, or the first failure as its cause.
	stopCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	shuttingDown := make(chan struct{})

	var services errgroup.Group
	for _, s := range g.Services {
		services.Go(func() error {
			err := s.Serve()
			select {
			case <-shuttingDown:
				if err == nil {
					return nil
				}
			default:
				if err == nil {
					err = ErrStoppedEarly
				}
			}
			err = fmt.Errorf("%s: %w", s.Name, err)
			stop(err)
			return err
		})
	}
	// The workers' context ends only after the services have drained:
	// requests in flight may still need what the workers keep up.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers errgroup.Group
	for _, w := range g.Workers {
		workers.Go(func() error {
			if err := w.Run(workCtx); err != nil {
				err = fmt.Errorf("%s: %w", w.Name, err)
				stop(err)
				return err
			}
			return nil
		})
	}

	<-stopCtx.Done()
	cause := context.Cause(stopCtx)
	if ctx.Err() != nil && cause == context.Cause(ctx) {
		cause = nil // asked to stop, not a failure
	}
	reason := "shutting down"
	if cause != nil {
		reason = cause.Error()
		log.Error("stopping: a part of the server failed", "error", cause)
	}
	if g.Stopping != nil {
		g.Stopping(reason)
	}
	log.Info("shutting down", "grace", grace.String())

	// 1. Every service stops accepting and drains, all at once.
	close(shuttingDown)
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	var drains errgroup.Group
	for _, s := range g.Services {
		drains.Go(func() error {
			if err := s.Shutdown(drainCtx); err != nil {
				return fmt.Errorf("shutdown: %s: %w", s.Name, err)
			}
			return nil
		})
	}
	drainErr := drains.Wait()
	serveErr := services.Wait()
	// 2. The workers stop, and are waited for.
	stopWork()
	workErr := workers.Wait()
	// 3. What the requests left behind is written while the store is
	// still open.
	if g.Flush != nil {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		g.Flush(flushCtx)
		cancel()
	}
	if cause == nil {
		return errors.Join(drainErr, serveErr, workErr)
	}
	// The cause is the first of the failures; the others are its echo,
	// or came after it.
	errs := []error{cause}
	for _, err := range []error{drainErr, serveErr, workErr} {
		if err != nil && !errors.Is(err, cause) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
