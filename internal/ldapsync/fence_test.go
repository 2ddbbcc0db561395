package ldapsync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

// TestStalledSyncCannotApplyAfterTakeover: two Gatehouse nodes on one
// PostgreSQL database. Node A takes the sync lock, reads the directory and
// then stalls (a long pause, a frozen VM) past the lock's lifetime, so
// that it misses its renewals; node B takes the expired lock over. When A
// wakes up it must not apply what it read: its fencing token is refused
// in the engine's write transactions, the run is recorded as a failure,
// and Sync reports the lost lock. Without the fence A would create every
// account of the directory while B held the lock.
func TestStalledSyncCannotApplyAfterTakeover(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	url := pgtest.Database(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	a, b := open(), open()
	w := newWorld(t, a)
	p := w.slapdProvider(srv, nil)

	stalled, wake := make(chan struct{}), make(chan struct{})
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: p.ID, Progress: func(pr Progress) {
			if pr.Phase == PhaseApplying {
				close(stalled)
				<-wake
			}
		}})
		done <- outcome{res, err}
	}()
	select {
	case <-stalled:
	case o := <-done:
		t.Fatalf("the sync ended before applying: %+v, %v", o.res, o.err)
	}
	// Node B, on its own connections, finds the lock expired (its clock
	// is past A's lock lifetime, which renewals did not extend) and takes it.
	later := w.clock.Now().Add(10 * time.Minute)
	token, err := b.TryLockFenced(w.ctx, lockName(p.ID), "node-b", later, later.Add(time.Hour))
	w.must(err)
	if token == 0 {
		t.Fatal("node B could not take the expired lock")
	}
	close(wake)
	o := <-done
	if !errors.Is(o.err, errLockLost) || !errors.Is(o.err, store.ErrFenced) {
		t.Fatalf("the stalled sync returned %v, want the lost lock", o.err)
	}
	if o.res == nil || o.res.Status != store.EventFailure || o.res.Counts.Created != 0 ||
		!strings.Contains(strings.Join(o.res.Errors, "\n"), "passed to another node") {
		t.Fatalf("the stalled sync's result: %+v", o.res)
	}
	if users := w.users(p); len(users) != 0 {
		t.Fatalf("the stalled node created %d accounts after losing the lock: %v", len(users), users)
	}
	if gs, err := b.ListGroups(w.ctx, w.site.ID, store.GroupQuery{SSOStrategyID: p.ID}); err != nil || len(gs) != 0 {
		t.Fatalf("the stalled node created groups after losing the lock: %v, %v", gs, err)
	}
	evs := w.syncEvents(p)
	if len(evs) != 1 || evs[0].Status != store.EventFailure {
		t.Fatalf("run events %+v", evs)
	}
	// Node A did not release node B's lock on its way out.
	if got, err := b.TryLockFenced(w.ctx, lockName(p.ID), "node-b", later, later.Add(time.Hour)); err != nil || got != token {
		t.Fatalf("node B's lock after A's run: token %d (%v), want %d", got, err, token)
	}
}
