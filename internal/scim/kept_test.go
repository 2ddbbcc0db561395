package scim_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestDeclinedMemberChangesSucceed: with deprovision_groups off a PATCH
// removing members (Entra's two forms), and with provision_groups off one
// adding them, are valid requests whose effect the provider's settings
// decline: each is answered 204 as done, the group keeps its members, and
// a provision_kept event says what was kept and which setting kept it —
// so the identity provider does not retry it for ever. On both stores.
func TestDeclinedMemberChangesSucceed(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		a, b := e.createUser("a@contoso.example", "ext-a"), e.createUser("b@contoso.example", "ext-b")
		g := e.createGroup("Finance", "ext-g")
		add := strings.NewReplacer("OP", "Add", "ID", a).Replace(entraMembers)
		e.call("PATCH", "/api/scim/Groups/"+g, add).want(t, 204)
		if _, err := e.st.UpdateSSOStrategy(e.ctx, e.site.ID, e.p.ID, func(p *store.SSOStrategy) error {
			p.ProvisionGroups, p.DeprovisionGroups = false, false
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		before := e.members(g)
		e.call("PATCH", "/api/scim/Groups/"+g, strings.NewReplacer("OP", "Remove", "ID", a).Replace(entraMembers)).want(t, 204)
		e.call("PATCH", "/api/scim/Groups/"+g, strings.ReplaceAll(entraRemoveMemberFlag, "ID", a)).want(t, 204)
		e.call("PATCH", "/api/scim/Groups/"+g, strings.NewReplacer("OP", "Add", "ID", b).Replace(entraMembers)).want(t, 204)
		if after := e.members(g); !slices.Equal(before, after) || len(after) != 1 {
			t.Fatalf("members %v after declined changes, want %v", after, before)
		}
		// The group as Gatehouse holds it.
		if got := e.call("GET", "/api/scim/Groups/"+g, "").want(t, 200); !strings.Contains(got.raw, `"value":"`+a+`"`) || strings.Contains(got.raw, `"value":"`+b+`"`) {
			t.Fatalf("group after declined changes: %s", got.raw)
		}
		evs, err := e.st.ListSSOEvents(e.ctx, e.site.ID, store.EventQuery{EventType: provision.EventKept})
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, ev := range evs {
			kept = append(kept, ev.Body)
		}
		all := strings.Join(kept, "\n")
		if len(evs) != 3 || strings.Count(all, "kept, as deprovision_groups is off") != 2 || !strings.Contains(all, "not added, as provision_groups is off") ||
			!strings.Contains(all, `group \"Finance\"`) {
			t.Fatalf("kept events:\n%s", all)
		}
		if refused, _ := e.st.ListSSOEvents(e.ctx, e.site.ID, store.EventQuery{EventType: provision.EventRefused}); len(refused) != 0 {
			t.Fatalf("a declined change was recorded as refused: %+v", refused)
		}
	})
}

// TestDeclinedDeprovisionSucceeds: with deprovision_users off, Entra's
// PATCH active=false and DELETE are done as far as it is concerned (200
// with the account as it stays, 204), the account is left as it is, and a
// provision_kept event names the setting. On both stores.
func TestDeclinedDeprovisionSucceeds(t *testing.T) {
	drivers(t, func(t *testing.T, open func(testing.TB) store.Store) {
		e := newEnv(t, open)
		id := e.createUser("c@contoso.example", "ext-c")
		if _, err := e.st.UpdateSSOStrategy(e.ctx, e.site.ID, e.p.ID, func(p *store.SSOStrategy) error {
			p.DeprovisionUsers = false
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		r := e.call("PATCH", "/api/scim/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"active","value":false}]}`)
		if r.status != 200 && r.status != 204 {
			t.Fatalf("PATCH active=false: %d %s", r.status, r.raw)
		}
		if r.status == 200 && r.s("active") != "true" {
			t.Fatalf("PATCH active=false answered %s", r.raw)
		}
		e.call("DELETE", "/api/scim/Users/"+id, "").want(t, 204)
		if u := e.mustUser(id); u.Disabled {
			t.Fatal("the account was disabled with deprovision_users off")
		}
		evs, err := e.st.ListSSOEvents(e.ctx, e.site.ID, store.EventQuery{EventType: provision.EventKept})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || !strings.Contains(evs[1].Body, "as deprovision_users is off") {
			t.Fatalf("kept events: %+v", evs)
		}
	})
}
