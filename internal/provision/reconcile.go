package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxReportedErrors bounds the error list a run keeps in its event.
const maxReportedErrors = 100

// Report is the outcome of a Reconcile.
type Report struct {
	EventID int64    `json:"external_event_id"`
	Status  string   `json:"status"` // store.EventSuccess, EventPartialFailure, EventFailure, EventSkipped
	Plan    *Plan    `json:"plan"`   // counts are what was applied
	Errors  []string `json:"errors,omitempty"`
}

// Preview computes what Reconcile would do with snap, without writing
// anything but the changes' descriptions into the returned Plan.
func (e *Engine) Preview(ctx context.Context, siteID, providerID int64, snap Snapshot) (*Plan, error) {
	p, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		return nil, err
	}
	return e.preview(ctx, p, r, snap)
}

// preview plans snap under provider p's rules r and describes each
// change, writing nothing.
func (e *Engine) preview(ctx context.Context, p store.SSOStrategy, r *rules, snap Snapshot) (*Plan, error) {
	plan, _, err := e.plan(ctx, p, r, snap)
	if err != nil {
		return nil, err
	}
	plan.describeChanges()
	return plan, nil
}

// plan loads the provider's records and decides every change snap asks for.
func (e *Engine) plan(ctx context.Context, p store.SSOStrategy, r *rules, snap Snapshot) (*Plan, *state, error) {
	s := newState(e.st, p.SiteID, p, r)
	if err := s.load(ctx); err != nil {
		return nil, nil, err
	}
	s.snapNames = map[string]string{}
	listed := map[string]bool{}
	for _, g := range snap.Groups {
		if g.ExternalID != "" {
			listed[g.ExternalID] = true
			if g.Name != "" && checkGroupRef(g) == nil {
				s.snapNames[g.ExternalID] = g.Name
			}
		}
	}
	plan := &Plan{SiteID: p.SiteID, SSOStrategyID: p.ID, ProviderLabel: p.Label, Changes: []Change{}}
	plan.Counts.Seen = len(snap.Users)
	times := make(map[string]int, len(snap.Users))
	for _, x := range snap.Users {
		times[x.ExternalID]++
	}
	for i := range snap.Users {
		x := &snap.Users[i]
		for _, g := range x.Groups {
			listed[g.ExternalID] = true
		}
		if n := times[x.ExternalID]; n > 1 && x.ExternalID != "" {
			plan.refusals = append(plan.refusals, s.refuse(*x, false,
				"immutable id %q appears %d times in the directory's answer; none of them is applied", clip(x.ExternalID), n))
			continue
		}
		op, ref, err := s.planUser(ctx, x, false)
		if err != nil {
			return nil, nil, err
		}
		if ref != nil {
			plan.refusals = append(plan.refusals, ref)
			continue
		}
		plan.users = append(plan.users, op)
	}
	// Accounts of the provider that the directory no longer lists. An
	// identity that was refused still counts as listed: bad input never
	// deprovisions anyone.
	managed := 0
	var missing []*store.User
	for ext, u := range s.usersByExt {
		if !s.managed(u) {
			continue
		}
		managed++
		if times[ext] == 0 {
			missing = append(missing, u)
		}
	}
	slices.SortFunc(missing, func(a, b *store.User) int { return int(a.ID - b.ID) })
	if r.deprovisionUsers {
		for _, u := range missing {
			if op := s.planDeprovision(u, r.deleteOnDeprovision, false, "missing from the directory"); op != nil {
				plan.users = append(plan.users, op)
			}
		}
	}
	if r.deprovisionGroups {
		for ext, g := range s.groupsByExt {
			if !listed[ext] && s.groupOps[groupOpKey{k: ext}] == nil {
				plan.deletes = append(plan.deletes, &groupOp{action: ActionGroupDelete, before: *g})
			}
		}
		slices.SortFunc(plan.deletes, func(a, b *groupOp) int { return int(a.before.ID - b.before.ID) })
	}
	plan.groups = s.groupOpList
	e.checkSafety(plan, r, managed, len(snap.Users))
	plan.count()
	return plan, s, nil
}

// count sums the plan up.
func (p *Plan) count() {
	seen := p.Counts.Seen
	p.Counts = Counts{Seen: seen}
	for _, op := range p.users {
		p.Counts.addUser(op)
	}
	for _, op := range p.groups {
		p.Counts.addGroup(op)
	}
	for _, op := range p.deletes {
		p.Counts.addGroup(op)
	}
	for _, r := range p.refusals {
		p.Counts.addRefusal(r)
	}
}

// checkSafety applies the safety limit: an empty snapshot from a provider
// with users changes nothing; too many deprovisions are all held back
// (creates and updates still go ahead).
func (e *Engine) checkSafety(plan *Plan, r *rules, managed, seen int) {
	stop := &SafetyStop{ProviderUsers: managed, SnapshotUsers: seen, Allowed: r.limit.Allowed(managed),
		LimitMinUsers: r.limit.MinUsers, LimitPercent: r.limit.Percent}
	for _, op := range plan.users {
		if op.action == ActionDisable || op.action == ActionDelete {
			stop.Deprovisions++
		}
	}
	switch {
	case seen == 0 && managed > 0:
		stop.EmptySnapshot = true
		stop.Reason = "empty snapshot"
		plan.users, plan.groups, plan.deletes = nil, nil, nil
	case stop.Deprovisions > stop.Allowed:
		stop.Reason = "safety limit"
		kept := plan.users[:0]
		for _, op := range plan.users {
			if op = holdBack(op); op != nil {
				kept = append(kept, op)
			}
		}
		plan.users, plan.deletes = kept, nil
	default:
		return
	}
	plan.SafetyStop = stop
}

// holdBack strips the deprovisioning from an op: a deprovision alone is
// dropped, an update that also disables keeps its other changes.
func holdBack(op *userOp) *userOp {
	if op.action != ActionDisable && op.action != ActionDelete {
		return op
	}
	if op.x == nil || op.action == ActionDelete {
		return nil
	}
	op.after.Disabled = op.before.Disabled
	op.fields = slices.DeleteFunc(op.fields, func(f string) bool { return f == "disabled" })
	op.reason = ""
	switch {
	case len(op.fields) > 0:
		op.action = ActionUpdate
	case len(op.add) > 0 || len(op.remove) > 0 || len(op.adminFlips) > 0:
		op.action = ActionMemberships
	default:
		return nil
	}
	return op
}

// Reconcile brings the provider's users, groups and memberships in line
// with a full snapshot of its directory (the LDAP sync). The run is
// recorded as an external event from in_progress to its final status.
func (e *Engine) Reconcile(ctx context.Context, siteID, providerID int64, snap Snapshot) (*Report, error) {
	return e.ReconcileFenced(ctx, siteID, providerID, snap, store.Fence{})
}

// ReconcileFenced is Reconcile for a run that holds a lease (the LDAP
// sync's lock): each of its write transactions first checks fence with
// store.CheckFence, so that once the lease has passed to another node —
// this one stalled past its expiry — the run writes nothing more. It then
// ends as a failure saying so, and the error returned with the report
// matches store.ErrFenced. The zero Fence checks nothing.
func (e *Engine) ReconcileFenced(ctx context.Context, siteID, providerID int64, snap Snapshot, fence store.Fence) (*Report, error) {
	return e.ReconcileWithProgress(ctx, siteID, providerID, snap, fence, nil)
}

// ReconcileWithProgress is ReconcileFenced that calls progress, when set,
// with the counts of the user changes applied so far after each
// transaction, so that an admin watching a large sync sees it advance.
func (e *Engine) ReconcileWithProgress(ctx context.Context, siteID, providerID int64, snap Snapshot, fence store.Fence, progress func(Counts)) (*Report, error) {
	p, err := e.st.GetSSOStrategy(ctx, siteID, providerID)
	if err != nil {
		return nil, fmt.Errorf("provision: read provider %d: %w", providerID, err)
	}
	ev := store.ExternalEvent{SiteID: siteID, EventType: EventSync, Status: store.EventInProgress,
		SSOStrategyID: providerID, CreatedAt: e.now(), Body: jsonText(map[string]any{"seen": len(snap.Users)})}
	if err := e.st.CreateExternalEvent(ctx, &ev); err != nil {
		return nil, fmt.Errorf("provision: record the sync run: %w", err)
	}
	rep := &Report{EventID: ev.ID}
	if !p.Enabled {
		rep.Status = store.EventSkipped
		rep.Errors = []string{"the provider is disabled"}
		return rep, e.finish(ctx, p, rep)
	}
	_, r, err := e.provider(ctx, siteID, providerID)
	if err != nil {
		rep.Status, rep.Errors = store.EventFailure, []string{err.Error()}
		return rep, errors.Join(err, e.finish(ctx, p, rep))
	}
	plan, s, err := e.plan(ctx, p, r, snap)
	if err != nil {
		rep.Status, rep.Errors = store.EventFailure, []string{err.Error()}
		return rep, errors.Join(err, e.finish(ctx, p, rep))
	}
	rep.Plan = plan
	s.fence, s.progress = fence, progress
	for _, ref := range plan.refusals {
		if ref.outOfScope {
			continue // left out by the rules, counted as skipped
		}
		e.refusalEvent(ctx, p, ref)
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s [id %s]: %s", clip(ref.username), clip(ref.ext), ref.reason))
	}
	var errs []string
	e.applyGroupOps(ctx, s, plan.groups, &errs)
	applied := e.applyUsers(ctx, s, plan.users, &errs)
	e.applyGroupOps(ctx, s, plan.deletes, &errs)
	// The counts say what was applied.
	plan.users, plan.groups, plan.deletes = nil, keepApplied(plan.groups), keepApplied(plan.deletes)
	plan.count()
	plan.Counts.add(applied)
	rep.Errors = append(rep.Errors, errs...)
	if s.fenced != nil {
		rep.Errors = append(rep.Errors, "stopped: the sync lock passed to another node while this run was applying; "+
			"this run applied nothing more (the counts say what it applied before): "+s.fenced.Error())
	}
	switch {
	case s.fenced != nil:
		rep.Status = store.EventFailure
	case plan.SafetyStop != nil && plan.SafetyStop.EmptySnapshot:
		rep.Status = store.EventFailure
	case plan.SafetyStop != nil || len(rep.Errors) > 0:
		rep.Status = store.EventPartialFailure
	default:
		rep.Status = store.EventSuccess
	}
	if plan.SafetyStop != nil {
		rep.Errors = append([]string{plan.SafetyStop.String()}, rep.Errors...)
		e.alertSafety(ctx, p, plan.SafetyStop, rep)
	}
	if s.fenced != nil {
		return rep, errors.Join(s.fenced, e.finish(ctx, p, rep))
	}
	return rep, e.finish(ctx, p, rep)
}

func keepApplied(ops []*groupOp) []*groupOp {
	return slices.DeleteFunc(ops, func(op *groupOp) bool { return op.failed })
}

// finish writes the run's final status, counts and errors.
func (e *Engine) finish(ctx context.Context, p store.SSOStrategy, rep *Report) error {
	body := map[string]any{"status": rep.Status}
	if rep.Plan != nil {
		body["counts"] = rep.Plan.Counts
		if rep.Plan.SafetyStop != nil {
			body["safety_stop"] = rep.Plan.SafetyStop
		}
	}
	if n := len(rep.Errors); n > 0 {
		shown := rep.Errors[:min(n, maxReportedErrors)]
		body["errors"] = shown
		if n > len(shown) {
			body["errors_not_shown"] = n - len(shown)
		}
	}
	_, err := e.st.UpdateExternalEvent(context.WithoutCancel(ctx), p.SiteID, rep.EventID, func(ev *store.ExternalEvent) error {
		ev.Status, ev.Body = rep.Status, jsonText(body)
		return nil
	})
	if (rep.Status == store.EventFailure || rep.Status == store.EventPartialFailure) && (rep.Plan == nil || rep.Plan.SafetyStop == nil) {
		e.alertRun(ctx, p, rep) // a safety stop has already sent its own alert
	}
	if err != nil {
		return fmt.Errorf("provision: record the end of the sync run: %w", err)
	}
	return nil
}

// alertRun tells the admins a sync run failed or ended with errors.
func (e *Engine) alertRun(ctx context.Context, p store.SSOStrategy, rep *Report) {
	kind, subject := events.NoticeSyncFailure, fmt.Sprintf("Provisioning from %q failed", p.Label)
	if rep.Status == store.EventPartialFailure {
		kind, subject = events.NoticeSyncPartialFailure, fmt.Sprintf("Provisioning from %q ended with errors", p.Label)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The sync run of provider %s (id %d) ended with status %s.\n", p.Label, p.ID, rep.Status)
	if rep.Plan != nil {
		c := rep.Plan.Counts
		fmt.Fprintf(&b, "Seen %d; created %d, updated %d, renamed %d, disabled %d, deleted %d; refused %d, conflicts %d.\n",
			c.Seen, c.Created, c.Updated, c.Renamed, c.Disabled, c.Deleted, c.Refused, c.Conflicts)
	}
	if n := len(rep.Errors); n > 0 {
		b.WriteString("\nErrors:\n")
		for _, msg := range rep.Errors[:min(n, 20)] {
			b.WriteString("  - " + msg + "\n")
		}
		if n > 20 {
			fmt.Fprintf(&b, "  … and %d more; the external event %d has up to %d.\n", n-20, rep.EventID, maxReportedErrors)
		}
	}
	b.WriteString("\nThe SSO events log has one entry per refused identity. Everything else in the run was applied.")
	if err := e.notify.Notify(context.WithoutCancel(ctx), events.Notice{SiteID: p.SiteID, Kind: kind,
		SSOStrategyID: p.ID, Subject: subject, Body: b.String()}); err != nil {
		e.log.Error("provision: sync alert not delivered", "site_id", p.SiteID, "sso_strategy_id", p.ID, "error", err)
	}
}

// alertSafety tells the admins a run held back; a failed delivery is
// logged and kept in the report, never undoing the run.
func (e *Engine) alertSafety(ctx context.Context, p store.SSOStrategy, stop *SafetyStop, rep *Report) {
	subject := fmt.Sprintf("Provisioning from %q stopped by the safety limit", p.Label)
	if stop.EmptySnapshot {
		subject = fmt.Sprintf("Provisioning from %q refused an empty directory", p.Label)
	}
	body := stop.String() + fmt.Sprintf(
		"\n\nProvider: %s (id %d)\nUsers the provider manages: %d\nUsers in the directory's answer: %d\nDisable or delete planned: %d\nLimit: %d (max(%d users, %d %%))\n\n"+
			"Check the provider's bind account, base DN and filters. If the change is intended, raise %s or %s in the provider's options and run the sync again.",
		p.Label, p.ID, stop.ProviderUsers, stop.SnapshotUsers, stop.Deprovisions, stop.Allowed, stop.LimitMinUsers, stop.LimitPercent,
		OptionDeprovisionLimitUsers, OptionDeprovisionLimitPercent)
	err := e.notify.Notify(context.WithoutCancel(ctx), events.Notice{SiteID: p.SiteID, Kind: events.NoticeSafetyLimit,
		SSOStrategyID: p.ID, Subject: subject, Body: body})
	if err != nil {
		e.log.Error("provision: safety-limit alert not delivered", "site_id", p.SiteID, "sso_strategy_id", p.ID, "error", err)
		rep.Errors = append(rep.Errors, "the alert to the admins could not be delivered: "+err.Error())
	}
}
