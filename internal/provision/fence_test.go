package provision

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// takeoverStore hands the lock to another holder just before the first
// write transaction that starts after `after` users were created: the
// moment a node stalled in the middle of a run lost its lease.
type takeoverStore struct {
	store.Store
	after    int64
	created  atomic.Int64
	takeover func()
	done     atomic.Bool
}

type inTxKey struct{}

func (s *takeoverStore) Tx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(inTxKey{}) == nil && s.created.Load() >= s.after && !s.done.Swap(true) {
		s.takeover()
	}
	return s.Store.Tx(ctx, func(ctx context.Context) error { return fn(context.WithValue(ctx, inTxKey{}, true)) })
}

func (s *takeoverStore) CreateUser(ctx context.Context, u *store.User) error {
	err := s.Store.CreateUser(ctx, u)
	if err == nil {
		s.created.Add(1)
	}
	return err
}

// TestReconcileFenced: a run under a lease writes while the lease is its
// own, and nothing once another holder took the lease over — whether that
// happened before the run began to write or between two of its batches.
// The run ends as a failure that says so, with an error matching
// store.ErrFenced, and records no refusal for what it left unwritten.
func TestReconcileFenced(t *testing.T) {
	eachStore(t, func(v *env) {
		t := v.t
		const lock = "ldap-sync:test"
		take := func(holder string, now time.Time) store.Fence {
			t.Helper()
			token, err := v.st.TryLockFenced(v.ctx, lock, holder, now, now.Add(time.Minute))
			v.must(err)
			if token == 0 {
				t.Fatalf("%s could not take the lock", holder)
			}
			return store.Fence{Lock: lock, Token: token}
		}
		snap := people(7, "Eng")

		// The lease passed to node-b before node-a wrote anything.
		stale := take("node-a", start)
		take("node-b", start.Add(2*time.Minute))
		rep, err := v.e.ReconcileFenced(v.ctx, v.site.ID, v.p.ID, Snapshot{Users: snap}, stale)
		if !errors.Is(err, store.ErrFenced) || rep == nil {
			t.Fatalf("a run under a lost lease: %v, %+v", err, rep)
		}
		if rep.Status != store.EventFailure || rep.Plan.Counts.Created != 0 || rep.Plan.Counts.GroupsCreated != 0 ||
			!strings.Contains(strings.Join(rep.Errors, "\n"), "the sync lock passed to another node") {
			t.Fatalf("report %s %+v %v", rep.Status, rep.Plan.Counts, rep.Errors)
		}
		for _, x := range snap {
			v.noUser(x.Username)
		}
		if gs, err := v.st.ListGroups(v.ctx, v.site.ID, store.GroupQuery{}); err != nil || len(gs) != 0 {
			t.Fatalf("groups after a fenced run: %v, %v", gs, err)
		}
		if n := len(v.ssoEvents(EventRefused)) + len(v.ssoEvents(EventConflict)); n != 0 {
			t.Fatalf("a fenced run recorded %d refusals", n)
		}
		if ev, _ := v.syncEvent(rep.EventID); ev.Status != store.EventFailure {
			t.Fatalf("the run's event ended %s", ev.Status)
		}

		// node-c holds the lease and runs; node-d takes it over after node-c's
		// first batch of users.
		current := take("node-c", start.Add(4*time.Minute))
		ts := &takeoverStore{Store: v.st, after: 3, takeover: func() { take("node-d", start.Add(6*time.Minute)) }}
		v.e = New(ts, Options{Clock: v.clock.Now, Notifier: v.notes, BatchSize: 3})
		rep, err = v.e.ReconcileFenced(v.ctx, v.site.ID, v.p.ID, Snapshot{Users: snap}, current)
		if !errors.Is(err, store.ErrFenced) {
			t.Fatalf("a run whose lease passed on between two batches: %v", err)
		}
		// The group and the first batch were written under the lease; the
		// rest were not, and are neither counted nor refused.
		if rep.Status != store.EventFailure || rep.Plan.Counts.Created != 3 || rep.Plan.Counts.GroupsCreated != 1 {
			t.Fatalf("report %s %+v %v", rep.Status, rep.Plan.Counts, rep.Errors)
		}
		for i, x := range snap {
			if i < 3 {
				v.user(x.Username)
			} else {
				v.noUser(x.Username)
			}
		}
		if n := len(v.ssoEvents(EventRefused)) + len(v.ssoEvents(EventConflict)); n != 0 {
			t.Fatalf("a fenced run recorded %d refusals", n)
		}

		// Without a lease, Reconcile checks nothing.
		v.e = New(v.st, Options{Clock: v.clock.Now, Notifier: v.notes, BatchSize: 3})
		if rep := v.reconcile(snap...); rep.Status != store.EventSuccess || rep.Plan.Counts.Created != 4 {
			t.Fatalf("report %s %+v %v", rep.Status, rep.Plan.Counts, rep.Errors)
		}
	})
}
