package provision

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSyncRunAlerts: a run that refuses an identity alerts as a partial
// failure, a run whose rules cannot be read alerts as a failure, and a
// clean run alerts nobody.
func TestSyncRunAlerts(t *testing.T) {
	eachStore(t, func(v *env) {
		v.reconcile(person("e1", "ada"), person("e2", "bob"))
		if n := len(v.notes.All()); n != 0 {
			t.Fatalf("%d notices after a clean run", n)
		}
		bad := person("e3", "bad\x01name")
		if rep := v.reconcile(person("e1", "ada"), person("e2", "bob"), bad); rep.Status != store.EventPartialFailure {
			t.Fatalf("status %s", rep.Status)
		}
		notes := v.notes.All()
		if len(notes) != 1 || notes[0].Kind != events.NoticeSyncPartialFailure || notes[0].SSOStrategyID != v.p.ID {
			t.Fatalf("notices after a refused identity: %+v", notes)
		}
		v.setProvider(func(p *store.SSOStrategy) { p.ProvisionGroupDefault = "Staff*" })
		rep, err := v.e.Reconcile(v.ctx, v.site.ID, v.p.ID, Snapshot{Users: []ExternalIdentity{person("e1", "ada")}})
		if err == nil || rep.Status != store.EventFailure {
			t.Fatalf("malformed rules: %v %+v", err, rep)
		}
		notes = v.notes.All()
		if len(notes) != 2 || notes[1].Kind != events.NoticeSyncFailure {
			t.Fatalf("notices after malformed rules: %+v", notes)
		}
	})
}
