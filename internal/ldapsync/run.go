package ldapsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Source is the value of "source" in the body of a run's external event,
// telling an LDAP sync from any other reconcile.
const Source = "ldap"

// run reads the directory and reconciles, with the provider's lock held;
// the engine checks fence in each of its write transactions.
func (s *Service) run(ctx context.Context, p store.SSOStrategy, fence store.Fence, progress func(Progress)) (*Result, error) {
	start := s.now()
	res := &Result{SSOStrategyID: p.ID, ProviderLabel: p.Label}
	if !p.Enabled {
		// The engine records a disabled provider's run as skipped; the
		// directory is not read for it.
		rep, err := s.engine.Reconcile(ctx, p.SiteID, p.ID, provision.Snapshot{})
		if rep == nil {
			return nil, fmt.Errorf("ldapsync: record the skipped run of provider %d: %w", p.ID, err)
		}
		s.fromReport(res, rep)
		return res, s.annotate(ctx, p, res, start)
	}
	snap, counts, err := s.read(ctx, p, progress)
	res.Directory = counts
	if err != nil {
		return res, s.fail(ctx, p, res, start, err)
	}
	if progress != nil {
		progress(Progress{Phase: PhaseApplying, Users: counts.Users, Groups: counts.Groups})
	}
	var applied func(provision.Counts)
	if progress != nil {
		applied = func(c provision.Counts) {
			progress(Progress{Phase: PhaseApplying, Users: counts.Users, Groups: counts.Groups, Applied: c})
		}
	}
	rep, err := s.engine.ReconcileWithProgress(ctx, p.SiteID, p.ID, snap, fence, applied)
	if rep == nil {
		return nil, fmt.Errorf("ldapsync: provider %d: %w", p.ID, err)
	}
	if err != nil {
		s.log.Error("ldapsync: reconcile failed", "site_id", p.SiteID, "sso_strategy_id", p.ID, "error", err)
	}
	s.fromReport(res, rep)
	annotated := s.annotate(ctx, p, res, start)
	if errors.Is(err, store.ErrFenced) {
		return res, errors.Join(err, annotated)
	}
	return res, annotated
}

func (s *Service) fromReport(res *Result, rep *provision.Report) {
	res.EventID, res.Status, res.Errors = rep.EventID, rep.Status, rep.Errors
	if rep.Plan != nil {
		res.Counts, res.Safety = rep.Plan.Counts, rep.Plan.SafetyStop
	}
}

// preview reads the directory and plans, writing nothing.
func (s *Service) preview(ctx context.Context, p store.SSOStrategy, progress func(Progress)) (*Result, error) {
	start := s.now()
	res := &Result{SSOStrategyID: p.ID, ProviderLabel: p.Label, Preview: true, Status: StatusPreview}
	snap, counts, err := s.read(ctx, p, progress)
	res.Directory = counts
	if err != nil {
		// The admin asked what a sync would do: it would fail, and why.
		res.Status, res.Errors = store.EventFailure, []string{err.Error()}
		res.Seconds = s.now().Sub(start).Seconds()
		return res, nil
	}
	plan, err := s.engine.Preview(ctx, p.SiteID, p.ID, snap)
	if err != nil {
		return nil, fmt.Errorf("ldapsync: preview of provider %d: %w", p.ID, err)
	}
	res.Counts, res.Safety, res.Changes = plan.Counts, plan.SafetyStop, plan.Changes
	res.Seconds = s.now().Sub(start).Seconds()
	return res, nil
}

// read takes a full snapshot of the directory and turns it into the
// engine's. Any error, including one after many pages were read, fails the
// whole read: a partial directory must never reach Reconcile, which would
// take everyone not yet read for gone.
func (s *Service) read(ctx context.Context, p store.SSOStrategy, progress func(Progress)) (provision.Snapshot, DirectoryCounts, error) {
	var counts DirectoryCounts
	expected := 0
	if progress != nil {
		n, err := s.st.CountUsers(ctx, p.SiteID, store.UserQuery{SSOStrategyID: p.ID})
		if err == nil {
			expected = n
		}
		progress(Progress{Phase: PhaseReading, Expected: expected})
	}
	dir, err := s.dirs.Directory(ctx, p)
	if err != nil {
		return provision.Snapshot{}, counts, fmt.Errorf("connect to the directory: %w", err)
	}
	ls, err := dir.Snapshot(ctx, func(users, groups int) {
		counts.Users, counts.Groups = users, groups
		if progress != nil {
			progress(Progress{Phase: PhaseReading, Users: users, Groups: groups, Expected: expected})
		}
	})
	if err != nil {
		return provision.Snapshot{}, counts, fmt.Errorf("read the directory (after %d users and %d groups): %w", counts.Users, counts.Groups, err)
	}
	snap, counts := convert(ls)
	return snap, counts, nil
}

// convert turns the connector's snapshot into the engine's, counting
// what the directory held.
func convert(ls ldap.Snapshot) (provision.Snapshot, DirectoryCounts) {
	counts := DirectoryCounts{Users: len(ls.Users), Groups: len(ls.Groups)}
	for _, e := range ls.Users {
		counts.Memberships += len(e.Groups)
	}
	return directory.Snapshot(ls), counts
}

// runBody is the part of a run's event body this package adds to the
// engine's (status, counts, safety_stop, errors).
type runBody struct {
	Source    string          `json:"source"`
	Directory DirectoryCounts `json:"directory"`
	Seconds   float64         `json:"seconds"`
}

// annotate adds what the directory held to the engine's event of the run.
func (s *Service) annotate(ctx context.Context, p store.SSOStrategy, res *Result, start time.Time) error {
	res.Seconds = s.now().Sub(start).Seconds()
	add := runBody{Source: Source, Directory: res.Directory, Seconds: res.Seconds}
	_, err := s.st.UpdateExternalEvent(context.WithoutCancel(ctx), p.SiteID, res.EventID, func(ev *store.ExternalEvent) error {
		body := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(ev.Body), &body); err != nil || body == nil {
			body = map[string]json.RawMessage{}
		}
		for k, v := range map[string]any{"source": add.Source, "directory": add.Directory, "seconds": add.Seconds} {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			body[k] = b
		}
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		ev.Body = string(b)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ldapsync: record the directory counts of run %d: %w", res.EventID, err)
	}
	return nil
}

// fail records a run that could not read the directory: an external event
// of the engine's type with status failure, and an alert. Nothing was
// reconciled, so nobody was deprovisioned.
func (s *Service) fail(ctx context.Context, p store.SSOStrategy, res *Result, start time.Time, cause error) error {
	res.Status = store.EventFailure
	res.Errors = []string{cause.Error() + "; nothing was changed: a directory that cannot be read completely is never applied"}
	res.Seconds = s.now().Sub(start).Seconds()
	body := map[string]any{
		"status": res.Status, "source": Source, "directory": res.Directory, "seconds": res.Seconds,
		"counts": res.Counts, "errors": res.Errors,
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("ldapsync: encode the failed run: %w", err)
	}
	ev := store.ExternalEvent{SiteID: p.SiteID, EventType: provision.EventSync, Status: res.Status,
		SSOStrategyID: p.ID, CreatedAt: s.now(), Body: string(b)}
	s.log.Warn("ldapsync: the directory could not be read", "site_id", p.SiteID, "sso_strategy_id", p.ID, "error", cause)
	recordErr := s.st.CreateExternalEvent(context.WithoutCancel(ctx), &ev)
	res.EventID = ev.ID
	s.alertFailure(ctx, p, res)
	if recordErr != nil {
		return fmt.Errorf("ldapsync: record the failed run: %w", recordErr)
	}
	return nil
}

// alertFailure tells the admins a run failed before it could reconcile.
func (s *Service) alertFailure(ctx context.Context, p store.SSOStrategy, res *Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "The LDAP sync of provider %s (id %d) failed: the directory could not be read completely.\n\n", p.Label, p.ID)
	for _, e := range res.Errors {
		b.WriteString(e + "\n")
	}
	fmt.Fprintf(&b, "\nRead before the failure: %d users, %d groups. Nobody was created, changed, disabled or deleted.\n",
		res.Directory.Users, res.Directory.Groups)
	b.WriteString("Check that the directory is reachable and the service account can bind and search " +
		"(gatehouse providers test ID, or POST /api/rest/v1/sso_strategies/ID/test); the next run retries.")
	err := s.notify.Notify(context.WithoutCancel(ctx), events.Notice{SiteID: p.SiteID, Kind: events.NoticeSyncFailure,
		SSOStrategyID: p.ID, Subject: fmt.Sprintf("LDAP sync of %q failed", p.Label), Body: b.String()})
	if err != nil {
		s.log.Error("ldapsync: sync alert not delivered", "site_id", p.SiteID, "sso_strategy_id", p.ID, "error", err)
	}
}
