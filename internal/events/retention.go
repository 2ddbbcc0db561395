package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// RetentionOptions configure a Retention job. Zero values pick defaults.
type RetentionOptions struct {
	Interval time.Duration    // time between passes; default one hour
	Clock    func() time.Time // default time.Now
	Logger   *slog.Logger     // default slog.Default()
	// Notifier receives the SCIM token expiry reminders; nil sends none.
	Notifier Notifier
}

// Retention is the hourly upkeep of every site: it deletes SSO events,
// external events and SCIM log entries older than the site's
// EventRetentionDays, and sends the SCIM token expiry reminders that have
// come due. Every Gatehouse node may run it: deleting is idempotent and
// each reminder is claimed in the store before it is sent.
type Retention struct {
	st       store.Store
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
	notifier Notifier
}

// NewRetention returns the job; start it with Run.
func NewRetention(st store.Store, o RetentionOptions) *Retention {
	r := &Retention{st: st, interval: o.Interval, now: o.Clock, log: o.Logger, notifier: o.Notifier}
	if r.interval <= 0 {
		r.interval = time.Hour
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r
}

// Run makes a pass at once and then every interval until ctx ends. Errors
// are logged; the next pass tries again.
func (r *Retention) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("event retention pass incomplete", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once makes one pass over every site. A site that fails does not stop
// the others; the errors are joined.
func (r *Retention) Once(ctx context.Context) error {
	var errs []error
	o := store.ListOptions{Limit: 1000}
	for {
		sites, err := r.st.ListSites(ctx, o)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("events: list sites: %w", err))...)
		}
		for _, site := range sites {
			if err := r.pruneSite(ctx, site); err != nil {
				errs = append(errs, err)
			}
			if r.notifier != nil {
				if err := r.remindSite(ctx, site); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if len(sites) < o.Limit {
			return errors.Join(errs...)
		}
		o.AfterID = sites[len(sites)-1].ID
	}
}

// pruneSite deletes the site's events older than its retention period. A
// period of zero or less keeps everything.
func (r *Retention) pruneSite(ctx context.Context, site store.Site) error {
	if site.EventRetentionDays <= 0 {
		r.log.Debug("event retention off", "site_id", site.ID)
		return nil
	}
	cutoff := r.now().Add(-time.Duration(site.EventRetentionDays) * 24 * time.Hour)
	n, err := r.st.DeleteEventsBefore(ctx, site.ID, cutoff)
	if err != nil {
		return fmt.Errorf("events: retention of site %d: %w", site.ID, err)
	}
	level := slog.LevelDebug
	if n > 0 {
		level = slog.LevelInfo
	}
	r.log.Log(ctx, level, "old events deleted", "site_id", site.ID, "deleted", n,
		"retention_days", site.EventRetentionDays, "before", cutoff.UTC().Format(time.RFC3339))
	return nil
}
