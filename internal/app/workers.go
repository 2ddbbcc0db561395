package app

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/supervise"
)

// sessionSweepInterval is how often expired sessions, login states and
// remembered SAML assertion IDs are removed.
const sessionSweepInterval = 10 * time.Minute

// staleUploadAge is how long an upload's temporary file may go unwritten
// before the sweep removes it as the leftover of a stopped server.
const staleUploadAge = 24 * time.Hour

// workers is the background work Serve runs for the life of the server.
// None of these fails the server for a failed pass: each logs it and
// tries again at the next one.
func (a *App) workers() ([]supervise.Worker, error) {
	files, err := a.FileStorage()
	if err != nil {
		return nil, err
	}
	uploads, err := a.Uploads()
	if err != nil {
		return nil, err
	}
	ldapSync, err := a.LDAPSyncService()
	if err != nil {
		return nil, err
	}
	// Every node may prune: deleting what is already gone is harmless, and
	// reminders are claimed in the store so each goes out once.
	retention := events.NewRetention(a.Store, events.RetentionOptions{Notifier: a.Notifier, Logger: a.Logger, Clock: a.clock.Now})
	return []supervise.Worker{
		{Name: "session sweep", Run: supervise.Every(a.clock, sessionSweepInterval, false, a.sweepSessions)},
		// At start, then hourly.
		{Name: "stale upload sweep", Run: supervise.Every(a.clock, time.Hour, true, func(_ context.Context, now time.Time) {
			if n, err := files.RemoveStaleUploads(staleUploadAge, now); err != nil {
				a.Logger.Warn("removing stale uploads failed", "err", err)
			} else if n > 0 {
				a.Logger.Info("removed stale upload files", "count", n)
			}
			// Parts of uploads whose record is gone (a server stopped between
			// the two); recorded uploads are swept with their record.
			if n, err := files.RemoveStaleStaging(staleUploadAge, now); err != nil {
				a.Logger.Warn("removing stale upload parts failed", "err", err)
			} else if n > 0 {
				a.Logger.Info("removed stale upload parts", "uploads", n)
			}
		})},
		// Every node may sweep: removing what another removed is harmless.
		{Name: "expired upload sweep", Run: supervise.Every(a.clock, uploadSweepInterval, false, func(ctx context.Context, _ time.Time) {
			if n, err := uploads.Sweep(ctx); err != nil {
				a.Logger.Warn("removing expired uploads failed", "err", err)
			} else if n > 0 {
				a.Logger.Info("removed expired uploads", "count", n)
			}
		})},
		{Name: "refusal counts", Run: untilDone(a.Refusals.Run)},
		// Hourly passes refresh metadata older than a day, and retry a
		// failing URL at most hourly.
		{Name: "SAML metadata refresh", Run: untilDone(func(ctx context.Context) { a.sso.RunMetadataRefresh(ctx, time.Hour) })},
		{Name: "event retention", Run: untilDone(retention.Run)},
		// The store lock makes one node run each provider's sync.
		{Name: "LDAP sync schedule", Run: untilDone(func(ctx context.Context) { ldapSync.RunScheduler(ctx, a.Config.LDAPSyncEvery) })},
		// The syncs admins start in the console stop with the server.
		{Name: "console syncs", Run: a.consoleJobs.Run},
	}, nil
}

// untilDone makes a loop that logs its own errors a worker's Run.
func untilDone(run func(ctx context.Context)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		run(ctx)
		return nil
	}
}

// sweepSessions removes expired sessions, and expired sign-ins in flight
// and used SAML assertion IDs, as of now.
func (a *App) sweepSessions(ctx context.Context, now time.Time) {
	if n, err := a.Store.DeleteExpiredSessions(ctx, now); err != nil {
		a.Logger.Warn("removing expired sessions failed", "err", err)
	} else if n > 0 {
		a.Logger.Debug("removed expired sessions", "count", n)
	}
	if n, err := a.Store.DeleteExpiredLoginState(ctx, now); err != nil {
		a.Logger.Warn("removing expired login state failed", "err", err)
	} else if n > 0 {
		a.Logger.Debug("removed expired login state", "count", n)
	}
}
