package provision

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestCurrentSnapshot: re-judging what Gatehouse holds under unchanged
// rules changes nothing; after the admin adds a required group, the
// preview shows exactly the accounts outside it being deprovisioned, and
// writes nothing.
func TestCurrentSnapshot(t *testing.T) {
	eachStore(t, func(v *env) {
		v.reconcile(person("e1", "ada", "Engineering"), person("e2", "bob", "Sales"), person("e3", "cyd", "Engineering", "Sales"))

		snap, err := v.e.CurrentSnapshot(v.ctx, v.site.ID, v.p.ID)
		v.must(err)
		if len(snap.Users) != 3 || len(snap.Groups) != 2 {
			t.Fatalf("snapshot: %d users, %d groups", len(snap.Users), len(snap.Groups))
		}
		plan, err := v.e.Preview(v.ctx, v.site.ID, v.p.ID, snap)
		v.must(err)
		c := plan.Counts
		if c.Created+c.Updated+c.Renamed+c.Disabled+c.Deleted+c.MembershipsAdded+c.MembershipsRemoved != 0 || c.Unchanged != 3 {
			t.Fatalf("unchanged rules planned changes: %+v\n%s", c, plan)
		}

		v.setProvider(func(p *store.SSOStrategy) { p.ProvisionGroupRequired = "engineer*" })
		snap, err = v.e.CurrentSnapshot(v.ctx, v.site.ID, v.p.ID)
		v.must(err)
		plan, err = v.e.Preview(v.ctx, v.site.ID, v.p.ID, snap)
		v.must(err)
		if plan.Counts.Disabled != 1 {
			t.Fatalf("required group: want bob disabled, got %+v\n%s", plan.Counts, plan)
		}
		if v.user("bob").Disabled {
			t.Fatal("preview wrote")
		}
	})
}
