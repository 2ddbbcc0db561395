package ldapsync

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// These tests need no directory: the provider points at a closed port on
// loopback, which is the directory being down.

// TestDirectoryDownFailsAndChangesNothing: a run that cannot read the
// directory is a failure event with the error, alerts the admins, and
// leaves every account as it was.
func TestDirectoryDownFailsAndChangesNothing(t *testing.T) {
	w := newWorld(t, openSQLite(t))
	p := w.provider()
	// Accounts the provider made earlier.
	snap := provision.Snapshot{Users: []provision.ExternalIdentity{
		{ExternalID: "id-1", Username: "ann", Active: true}, {ExternalID: "id-2", Username: "bob", Active: true},
	}}
	if _, err := w.engine.Reconcile(w.ctx, w.site.ID, p.ID, snap); err != nil {
		t.Fatal(err)
	}
	before := len(w.syncEvents(p))
	w.notes.Reset()

	pre, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: p.ID, Preview: true})
	if err != nil || pre.Status != store.EventFailure || !pre.Preview || len(pre.Errors) != 1 || pre.EventID != 0 {
		t.Fatalf("preview with the directory down: %+v, %v", pre, err)
	}
	if len(w.syncEvents(p)) != before || len(w.notes.All()) != 0 {
		t.Fatal("a preview recorded a run or alerted")
	}

	res := w.sync(p)
	if res.Status != store.EventFailure || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "nothing was changed") {
		t.Fatalf("result %+v", res)
	}
	for name, u := range w.users(p) {
		if u.Disabled {
			t.Fatalf("%s was disabled by a run that could not read the directory", name)
		}
	}
	evs := w.syncEvents(p)
	if len(evs) != before+1 {
		t.Fatalf("%d sync events, want %d", len(evs), before+1)
	}
	ev := evs[len(evs)-1]
	b := w.body(ev)
	if ev.ID != res.EventID || ev.Status != store.EventFailure || string(b["source"]) != `"ldap"` || b["errors"] == nil || b["counts"] == nil {
		t.Fatalf("event %+v", ev)
	}
	notes := w.notes.All()
	if len(notes) != 1 || notes[0].Kind != events.NoticeSyncFailure || notes[0].SSOStrategyID != p.ID ||
		!strings.Contains(notes[0].Body, "Nobody was created, changed, disabled or deleted") {
		t.Fatalf("alerts %+v", notes)
	}
	if strings.Contains(ev.Body, "secret") || strings.Contains(notes[0].Body, "secret") {
		t.Fatal("the bind password reached the event or the alert")
	}
}

// TestSyncRefusals: a provider that reads no directory, an unknown one, a
// lock held by another node and a disabled provider.
func TestSyncRefusals(t *testing.T) {
	w := newWorld(t, openSQLite(t))
	saml := w.provider(func(c *identity.SSOStrategyChange) {
		c.Protocol, c.Provider = ptr(identity.ProtocolSAML), ptr("okta")
		c.LDAPHost, c.LDAPPort, c.LDAPBaseDN, c.LDAPUsername, c.LDAPPassword, c.LDAPUsernameField = nil, nil, nil, nil, nil, nil
	})
	if _, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: saml.ID}); !errors.Is(err, ErrNotLDAP) {
		t.Fatalf("SAML provider: %v", err)
	}
	if _, err := w.svc.Test(w.ctx, w.site.ID, saml.ID, ""); !errors.Is(err, ErrNotLDAP) {
		t.Fatalf("test of a SAML provider: %v", err)
	}
	if _, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: 424242}); !errors.Is(err, identity.ErrSSOStrategyNotFound) {
		t.Fatalf("unknown provider: %v", err)
	}

	p := w.provider()
	ok, err := w.st.TryLock(w.ctx, lockName(p.ID), "other-node", start, start.Add(time.Minute))
	w.must(err)
	if !ok {
		t.Fatal("could not take the lock for the test")
	}
	if _, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: p.ID}); !errors.Is(err, ErrRunningElsewhere) {
		t.Fatalf("lock held elsewhere: %v", err)
	}
	if n := len(w.syncEvents(p)); n != 0 {
		t.Fatalf("a refused run left %d events", n)
	}
	// The other node died: its lock expires and this node runs.
	w.clock.Advance(time.Minute)
	if res := w.sync(p); res.Status != store.EventFailure {
		t.Fatalf("after the lock expired: %+v", res)
	}
	// The run released its lock.
	ok, err = w.st.TryLock(w.ctx, lockName(p.ID), "third-node", w.clock.Now(), w.clock.Now().Add(time.Minute))
	w.must(err)
	if !ok {
		t.Fatal("the run kept its lock")
	}
	w.must(w.st.Unlock(w.ctx, lockName(p.ID), "third-node"))

	off := w.update(p, identity.SSOStrategyChange{Enabled: ptr(false)})
	if res := w.sync(off); res.Status != store.EventSkipped || res.EventID == 0 {
		t.Fatalf("disabled provider: %+v", res)
	}
}

// TestSchedulerRunsDueProvidersOncePerInterval: RunDue syncs a provider
// with no run in the interval, and not again until the interval passed
// since its last recorded run, whatever node recorded it.
func TestSchedulerRunsDueProvidersOncePerInterval(t *testing.T) {
	w := newWorld(t, openSQLite(t))
	p := w.provider()
	w.provider(func(c *identity.SSOStrategyChange) { c.Label, c.Enabled = ptr("Off"), ptr(false) })
	w.provider(func(c *identity.SSOStrategyChange) {
		c.Protocol, c.Provider, c.Label = ptr(identity.ProtocolSAML), ptr("okta"), ptr("SAML only")
		c.LDAPHost, c.LDAPPort, c.LDAPBaseDN, c.LDAPUsername, c.LDAPPassword, c.LDAPUsernameField = nil, nil, nil, nil, nil, nil
	})
	runs := func() []*Result {
		t.Helper()
		res, err := w.svc.RunDue(w.ctx, time.Hour)
		w.must(err)
		return res
	}
	if got := runs(); len(got) != 1 || got[0].SSOStrategyID != p.ID {
		t.Fatalf("first pass ran %+v", got)
	}
	w.clock.Advance(59 * time.Minute)
	if got := runs(); len(got) != 0 {
		t.Fatalf("a pass within the interval ran %d syncs", len(got))
	}
	w.clock.Advance(time.Minute)
	if got := runs(); len(got) != 1 {
		t.Fatalf("a pass after the interval ran %d syncs", len(got))
	}
	// Another node holds the lock: this node leaves the provider alone.
	w.clock.Advance(2 * time.Hour)
	ok, err := w.st.TryLock(w.ctx, lockName(p.ID), "other-node", w.clock.Now(), w.clock.Now().Add(time.Minute))
	w.must(err)
	if !ok {
		t.Fatal("could not take the lock for the test")
	}
	if got := runs(); len(got) != 0 {
		t.Fatalf("a pass ran %d syncs while another node held the lock", len(got))
	}
}
