package ldapsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// DefaultInterval is how often a provider is synced unless configured:
// Files.com's "provisioning occurs every 60 minutes".
const DefaultInterval = 60 * time.Minute

// maxCheckEvery bounds how long a provider that became due waits for the
// scheduler to notice.
const maxCheckEvery = time.Minute

// RunScheduler syncs every due provider of every site, checking every
// minute (or every interval, if shorter), until ctx ends. An interval of
// zero or less schedules nothing.
func (s *Service) RunScheduler(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		s.log.Info("ldapsync: scheduled LDAP sync is off")
		return
	}
	t := time.NewTicker(min(interval, maxCheckEvery))
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx, interval); err != nil && ctx.Err() == nil {
			s.log.Error("ldapsync: scheduled sync pass", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue syncs each enabled provider that reads a directory and has no
// recorded run in the last interval, one after another, and returns the
// results of the runs it made. A provider whose lock another node holds is
// left to that node. The last run is read from the store, so the interval
// holds across restarts and across nodes.
func (s *Service) RunDue(ctx context.Context, interval time.Duration) ([]*Result, error) {
	var results []*Result
	var errs []error
	err := eachPage(func(o store.ListOptions) ([]store.Site, error) { return s.st.ListSites(ctx, o) },
		func(site store.Site) int64 { return site.ID },
		func(site store.Site) error {
			return eachPage(func(o store.ListOptions) ([]store.SSOStrategy, error) {
				return s.st.ListSSOStrategies(ctx, site.ID, o)
			}, func(p store.SSOStrategy) int64 { return p.ID }, func(p store.SSOStrategy) error {
				if !p.Enabled || !Syncable(p) || ctx.Err() != nil {
					return ctx.Err()
				}
				res, err := s.syncIfDue(ctx, p, interval)
				if err != nil && !errors.Is(err, ErrRunningElsewhere) {
					errs = append(errs, fmt.Errorf("provider %d: %w", p.ID, err))
				}
				if res != nil {
					results = append(results, res)
				}
				return nil
			})
		})
	return results, errors.Join(append(errs, err)...)
}

// syncIfDue runs the provider's sync when no run was recorded within the
// interval. It checks again once it holds the lock, since another node may
// have just finished a run.
func (s *Service) syncIfDue(ctx context.Context, p store.SSOStrategy, interval time.Duration) (*Result, error) {
	if due, err := s.due(ctx, p, interval); err != nil || !due {
		return nil, err
	}
	var res *Result
	err := s.withLock(ctx, p.ID, func(ctx context.Context, fence store.Fence) error {
		due, err := s.due(ctx, p, interval)
		if err != nil || !due {
			return err
		}
		res, err = s.run(ctx, p, fence, nil)
		return err
	})
	if res != nil {
		s.log.Info("ldapsync: scheduled sync", "site_id", p.SiteID, "sso_strategy_id", p.ID, "status", res.Status,
			"external_event_id", res.EventID, "seen", res.Counts.Seen, "created", res.Counts.Created,
			"disabled", res.Counts.Disabled, "deleted", res.Counts.Deleted, "seconds", res.Seconds)
	}
	return res, err
}

// due reports whether the provider has no sync run recorded within the
// interval.
func (s *Service) due(ctx context.Context, p store.SSOStrategy, interval time.Duration) (bool, error) {
	recent, err := s.st.ListExternalEvents(ctx, p.SiteID, store.EventQuery{
		ListOptions: store.ListOptions{Limit: 1}, EventType: provision.EventSync,
		// A run recorded exactly one interval ago is due again.
		SSOStrategyID: p.ID, CreatedAfter: s.now().Add(-interval + time.Microsecond),
	})
	if err != nil {
		return false, fmt.Errorf("ldapsync: read the last sync run of provider %d: %w", p.ID, err)
	}
	return len(recent) == 0, nil
}

// eachPage calls fn for every record of a paged list.
func eachPage[T any](page func(store.ListOptions) ([]T, error), id func(T) int64, fn func(T) error) error {
	o := store.ListOptions{Limit: 500}
	for {
		list, err := page(o)
		if err != nil {
			return err
		}
		for _, r := range list {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(list) < o.Limit {
			return nil
		}
		o.AfterID = id(list[len(list)-1])
	}
}
