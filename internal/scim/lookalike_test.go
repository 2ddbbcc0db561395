package scim_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestLookAlikeUserNameRefused: a SCIM client cannot create, or rename a
// user to, a userName that only looks different from an existing one
// (full width, another script); the answer is a SCIM 409 uniqueness error
// that names the account, and nothing is written. Ordinary names still work.
func TestLookAlikeUserNameRefused(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		e.createUser("admin", "ext-admin")
		bob := e.createUser("bob", "ext-bob")
		before := e.snapshot()
		for _, name := range []string{"ａdmin", "аdmin", "ＡＤＭＩＮ"} {
			body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":` + q(name) +
				`,"externalId":"ext-` + name + `","active":true}`
			r := e.call("POST", "/api/scim/Users", body).wantError(t, 409, "uniqueness")
			if d := r.s("detail"); !strings.Contains(d, `"admin"`) {
				t.Fatalf("POST %q: detail %q does not name the account it looks like", name, d)
			}
		}
		r := e.call("PATCH", "/api/scim/Users/"+bob, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
			`"Operations":[{"op":"replace","path":"userName","value":"ａdmin"}]}`)
		r.wantError(t, 409, "uniqueness")
		if after := e.snapshot(); after != before {
			t.Fatalf("a refused request changed the users:\nbefore %s\nafter  %s", before, after)
		}
		e.createUser("admin.two", "ext-admin-two")
	})
}
