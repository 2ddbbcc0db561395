package provision

import (
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestReconcileSkipsWhomTheRulesLeaveOut: in a full snapshot, people in no
// required group (and, with provision_users off, people without an
// account) are the filter working: counted as skipped, with no refusal
// event, no error and a successful run. Upsert still refuses them.
func TestReconcileSkipsWhomTheRulesLeaveOut(t *testing.T) {
	v := newEnv(t, openSQLite(t), func(p *store.SSOStrategy) { p.ProvisionGroupRequired = "Files" })
	rep := v.reconcile(person("e1", "ann", "Files"), person("e2", "bob", "Sales"), person("e3", "cyd"))
	c := rep.Plan.Counts
	if rep.Status != store.EventSuccess || len(rep.Errors) != 0 || c.Created != 1 || c.Skipped != 2 || c.Refused != 0 {
		t.Fatalf("status %s, errors %v, counts %+v", rep.Status, rep.Errors, c)
	}
	if n := len(v.ssoEvents(EventRefused)); n != 0 {
		t.Fatalf("%d refusal events for people the rules leave out", n)
	}
	v.noUser("bob")
	plan, err := v.e.Preview(v.ctx, v.site.ID, v.p.ID, Snapshot{Users: []ExternalIdentity{person("e1", "ann", "Files"), person("e2", "bob")}})
	v.must(err)
	if plan.Counts.Skipped != 1 {
		t.Fatalf("preview: %+v", plan)
	}
	for _, ch := range plan.Changes {
		if ch.Username == "bob" {
			t.Fatalf("preview lists someone the rules leave out: %+v", ch)
		}
	}
	if _, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e2", "bob", "Sales")); !errors.Is(err, ErrRefused) {
		t.Fatalf("Upsert of someone in no required group: %v", err)
	}

	v.setProvider(func(p *store.SSOStrategy) { p.ProvisionGroupRequired, p.ProvisionUsers = "", false })
	rep = v.reconcile(person("e1", "ann", "Files"), person("e4", "dee"))
	if rep.Status != store.EventSuccess || rep.Plan.Counts.Skipped != 1 {
		t.Fatalf("provision_users off: %s %+v", rep.Status, rep.Plan.Counts)
	}
}
