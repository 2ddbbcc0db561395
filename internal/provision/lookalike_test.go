package provision

import (
	"errors"
	"strings"
	"testing"
)

// TestLookAlikeLoginNamesAreConflicts: an identity whose login name only
// looks like an existing username (full width, another script, an
// invisible character) is refused as a conflict that names the account,
// whether it arrives alone (SCIM, just-in-time at sign-in) or in a sync
// snapshot (LDAP), and whether it is new or a rename; two identities of
// one snapshot cannot take look-alike names either.
func TestLookAlikeLoginNamesAreConflicts(t *testing.T) {
	eachStore(t, func(v *env) {
		admin := v.localUser("admin")
		_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e1", "ａdmin"))
		var refused *RefusedError
		if !errors.As(err, &refused) || !refused.Conflict || !strings.Contains(refused.Reason, `"admin"`) {
			v.t.Fatalf("just-in-time ａdmin: %v, want a conflict naming admin", err)
		}
		v.upsert(person("e2", "ann"))
		if _, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e2", "аdmin")); !errors.As(err, &refused) || !refused.Conflict {
			v.t.Fatalf("rename ann to a Cyrillic аdmin: %v, want a conflict", err)
		}
		rep := v.reconcile(person("e2", "ann"), person("e3", "ＡＤＭＩＮ"), person("e4", "zoe"), person("e5", "zое"))
		if rep.Plan.Counts.Conflicts != 2 {
			v.t.Fatalf("sync with two look-alikes: %+v, want 2 conflicts", rep.Plan.Counts)
		}
		v.user("zoe")
		v.noUser("ＡＤＭＩＮ")
		v.noUser("zое")
		if got := v.user("admin"); got.ID != admin.ID || got.ExternalID != "" {
			v.t.Fatalf("the local admin was touched: %+v", got)
		}
	})
}
