package scim_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestDeletedUserIsGoneFromSCIMAndComesBack: after DELETE /Users/{id}
// with deprovision_behavior disable (and with deprovision_users off), every
// SCIM operation on the user answers 404 and filters no longer find it
// (RFC 7644 §3.6), while Gatehouse keeps the account; a POST of the same
// person (Entra's re-assignment: same userName and externalId) restores
// that account, active, under the same id. On both stores.
func TestDeletedUserIsGoneFromSCIMAndComesBack(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		for _, c := range []struct {
			name        string
			deprovision bool
			disabled    bool
		}{{"disable", true, true}, {"deprovision_users off", false, false}} {
			e := newEnv(t, open)
			e.setBehavior("disable")
			if _, err := e.st.UpdateSSOStrategy(e.ctx, e.site.ID, e.p.ID, func(p *store.SSOStrategy) error {
				p.DeprovisionUsers = c.deprovision
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			id := e.createUser("d@contoso.example", "ext-d")
			e.call("DELETE", "/api/scim/Users/"+id, "").want(t, 204)
			e.call("GET", "/api/scim/Users/"+id, "").wantError(t, 404, "")
			e.call("DELETE", "/api/scim/Users/"+id, "").wantError(t, 404, "")
			e.call("PATCH", "/api/scim/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Replace","path":"displayName","value":"X"}]}`).wantError(t, 404, "")
			for _, f := range []string{`userName eq "d@contoso.example"`, `externalId eq "ext-d"`} {
				if r := e.call("GET", "/api/scim/Users?filter="+url.QueryEscape(f), "").want(t, 200); r.s("totalResults") != "0" {
					t.Fatalf("%s: %s after the delete finds %s", c.name, f, r.raw)
				}
			}
			if r := e.call("GET", "/api/scim/Users", "").want(t, 200); r.s("totalResults") != "0" {
				t.Fatalf("%s: the list after the delete: %s", c.name, r.raw)
			}
			if u := e.mustUser(id); u.Disabled != c.disabled {
				t.Fatalf("%s: the account kept by Gatehouse: disabled %v, want %v", c.name, u.Disabled, c.disabled)
			}

			// Assigned again: the same account comes back, active.
			body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"d@contoso.example",` +
				`"externalId":"ext-d","active":true,"name":{"givenName":"Given","familyName":"Family"}}`
			r := e.call("POST", "/api/scim/Users", body).want(t, 201)
			if r.s("id") != id || r.s("active") != "true" {
				t.Fatalf("%s: re-assignment answered %s, want the account %s back", c.name, r.raw, id)
			}
			if u := e.mustUser(id); u.Disabled || u.SCIM.Deleted {
				t.Fatalf("%s: the restored account: %+v", c.name, u)
			}
			e.call("GET", "/api/scim/Users/"+id, "").want(t, 200)
			if r := e.call("GET", "/api/scim/Users?filter="+url.QueryEscape(`userName eq "d@contoso.example"`), "").want(t, 200); r.s("totalResults") != "1" {
				t.Fatalf("%s: the restored user is not found: %s", c.name, r.raw)
			}
		}
	})
}

// TestDeletedGroupIsGoneFromSCIMAndComesBack: with deprovision_groups off
// a DELETE /Groups/{id} is done as far as the client is concerned (204),
// Gatehouse keeps the group with its members, and SCIM answers 404 for it
// from then on; a POST of the same group (its externalId) restores it
// under the same id. On both stores.
func TestDeletedGroupIsGoneFromSCIMAndComesBack(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		a := e.createUser("a@contoso.example", "ext-a")
		g := e.createGroup("Finance", "ext-g")
		e.call("PATCH", "/api/scim/Groups/"+g, strings.NewReplacer("OP", "Add", "ID", a).Replace(entraMembers)).want(t, 204)
		if _, err := e.st.UpdateSSOStrategy(e.ctx, e.site.ID, e.p.ID, func(p *store.SSOStrategy) error {
			p.DeprovisionGroups = false
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		e.call("DELETE", "/api/scim/Groups/"+g, "").want(t, 204)
		e.call("GET", "/api/scim/Groups/"+g, "").wantError(t, 404, "")
		e.call("DELETE", "/api/scim/Groups/"+g, "").wantError(t, 404, "")
		if r := e.call("GET", "/api/scim/Groups?filter="+url.QueryEscape(`displayName eq "Finance"`), "").want(t, 200); r.s("totalResults") != "0" {
			t.Fatalf("the deleted group is found: %s", r.raw)
		}
		if n := len(e.members(g)); n != 1 {
			t.Fatalf("the group Gatehouse keeps has %d members, want 1", n)
		}
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Finance","externalId":"ext-g"}`
		if r := e.call("POST", "/api/scim/Groups", body).want(t, 201); r.s("id") != g {
			t.Fatalf("re-creating the group answered %s, want the group %s back", r.raw, g)
		}
		e.call("GET", "/api/scim/Groups/"+g, "").want(t, 200)
	})
}
