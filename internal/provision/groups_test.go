package provision

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

const guid = "0e129f5b-6b0a-4944-982d-f776000632af"

func TestGroupResolution(t *testing.T) {
	cases := []struct {
		name string
		run  func(v *env)
	}{
		{"ByExternalIDOfProvisionedGroup", func(v *env) {
			g, err := v.e.UpsertGroup(v.ctx, v.site.ID, v.p.ID, GroupRef{ExternalID: guid, Name: "Finance"})
			v.must(err)
			x := person("e1", "ann")
			x.Groups = []GroupRef{{ExternalID: guid}}
			res := v.upsert(x)
			if len(res.Groups) != 1 || res.Groups[0].Via != ViaExternalID || res.Groups[0].Name != "Finance" {
				v.t.Fatalf("%+v", res.Groups)
			}
			wantNames(v.t, v.groupsOf("ann"), g.Name)
		}},
		{"ByTable", func(v *env) {
			names, err := v.e.UpdateGroupNames(v.ctx, v.site.ID, v.p.ID, func(m map[string]string) error {
				m[guid] = "Payroll"
				return nil
			})
			v.must(err)
			if names[guid] != "Payroll" {
				v.t.Fatalf("%v", names)
			}
			x := person("e1", "ann")
			x.Groups = []GroupRef{{ExternalID: guid}}
			res := v.upsert(x)
			if res.Groups[0].Via != ViaTable || res.Groups[0].Name != "Payroll" {
				v.t.Fatalf("%+v", res.Groups)
			}
			wantNames(v.t, v.groupsOf("ann"), "Payroll")
			if g := v.group("Payroll"); g.ExternalID != guid || g.SSOStrategyID != v.p.ID {
				v.t.Fatalf("%+v", g)
			}
			var body map[string]any
			evs := v.ssoEvents(EventProvision)
			if len(evs) != 1 {
				v.t.Fatalf("%d events", len(evs))
			}
			body = decode(v, evs[0].Body)
			gs, _ := body["groups"].([]any)
			if len(gs) != 1 || gs[0].(map[string]any)["via"] != ViaTable {
				v.t.Fatalf("the event does not record the table path: %v", body)
			}
		}},
		{"FallbackToID", func(v *env) {
			x := person("e1", "ann")
			x.Groups = []GroupRef{{ExternalID: guid}}
			res := v.upsert(x)
			if res.Groups[0].Via != ViaID || res.Groups[0].Name != guid {
				v.t.Fatalf("%+v", res.Groups)
			}
			wantNames(v.t, v.groupsOf("ann"), guid)
			ev := v.ssoEvents(EventProvision)[0]
			if b := decode(v, ev.Body); b["groups"] == nil {
				v.t.Fatalf("the fallback path is not recorded: %v", b)
			}
		}},
		{"RulesApplyToResolvedNames", func(v *env) {
			v.setProvider(func(p *store.SSOStrategy) {
				p.ProvisionSiteAdminGroups = "Admins"
				v.must(SetGroupNames(p, map[string]string{guid: "Admins"}))
			})
			x := person("e1", "ann")
			x.Groups = []GroupRef{{ExternalID: guid}}
			v.upsert(x)
			if !v.user("ann").SiteAdmin {
				v.t.Fatal("the table's name did not reach the rules")
			}
		}},
		{"LocalGroupUsedNotClaimed", func(v *env) {
			local := store.Group{SiteID: v.site.ID, Name: "Shared"}
			v.must(v.st.CreateGroup(v.ctx, &local))
			v.upsert(person("e1", "ann", "Shared"))
			wantNames(v.t, v.groupsOf("ann"), "Shared")
			if g := v.group("Shared"); g.SSOStrategyID != 0 || g.ExternalID != "" {
				v.t.Fatalf("local group taken over: %+v", g)
			}
			// SCIM may not take it over either.
			_, err := v.e.UpsertGroup(v.ctx, v.site.ID, v.p.ID, GroupRef{ExternalID: "gid-Shared", Name: "Shared"})
			if !errors.Is(err, ErrConflict) {
				v.t.Fatalf("got %v", err)
			}
		}},
		{"OtherProvidersGroupIsConflict", func(v *env) {
			other := store.SSOStrategy{SiteID: v.site.ID, Protocol: "oidc", Provider: "okta", Label: "Okta"}
			v.must(v.st.CreateSSOStrategy(v.ctx, &other))
			theirs := store.Group{SiteID: v.site.ID, Name: "Theirs", SSOStrategyID: other.ID, ExternalID: "o-1"}
			v.must(v.st.CreateGroup(v.ctx, &theirs))
			res := v.upsert(person("e1", "ann", "Theirs", "Mine"))
			wantNames(v.t, v.groupsOf("ann"), "Mine")
			if res.Groups[0].Target != "conflict" {
				v.t.Fatalf("%+v", res.Groups)
			}
		}},
		{"OverageKeepsMemberships", func(v *env) {
			v.setProvider(func(p *store.SSOStrategy) { p.ProvisionGroupRequired, p.ProvisionSiteAdminGroups = "Staff", "Admins" })
			v.upsert(person("e1", "ann", "Staff", "Admins", "Eng"))
			x := person("e1", "ann", "Ops")
			x.GroupsIncomplete = true
			res := v.upsert(x)
			if res.Action == ActionDisable || v.user("ann").Disabled || !v.user("ann").SiteAdmin {
				v.t.Fatalf("an incomplete list was read as no groups: %s", res.Action)
			}
			wantNames(v.t, v.groupsOf("ann"), "Staff", "Admins", "Eng", "Ops")
			// No groups at all, but marked incomplete: nothing is lost.
			x.Groups = nil
			v.upsert(x)
			wantNames(v.t, v.groupsOf("ann"), "Staff", "Admins", "Eng", "Ops")
			// The complete list removes.
			v.upsert(person("e1", "ann", "Staff"))
			wantNames(v.t, v.groupsOf("ann"), "Staff")
		}},
		{"OverageNewUserWithRequiredIsRefused", func(v *env) {
			v.setProvider(func(p *store.SSOStrategy) { p.ProvisionGroupRequired = "Staff" })
			x := person("e1", "ann")
			x.GroupsIncomplete = true
			if _, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, x); !errors.Is(err, ErrRefused) {
				v.t.Fatalf("got %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { eachStore(t, tc.run) })
	}
}

func TestGroupOperations(t *testing.T) {
	eachStore(t, func(v *env) {
		t := v.t
		v.setProvider(func(p *store.SSOStrategy) {
			p.ProvisionSiteAdminGroups, p.ProvisionGroupAdminGroups = "Admins", "Admins"
		})
		for _, x := range people(3) {
			v.upsert(x)
		}
		g, err := v.e.UpsertGroup(v.ctx, v.site.ID, v.p.ID, GroupRef{ExternalID: "g1", Name: "Admins"})
		v.must(err)
		res, err := v.e.SetGroupMembers(v.ctx, v.site.ID, v.p.ID, "g1", []string{"e000", "e001", "ghost"})
		v.must(err)
		if res.Added != 2 || len(res.Unknown) != 1 || !v.user("user000").SiteAdmin {
			t.Fatalf("%+v", res)
		}
		gu, err := v.st.GetGroupUser(v.ctx, v.site.ID, g.ID, v.user("user000").ID)
		v.must(err)
		if !gu.Admin || gu.SSOStrategyID != v.p.ID {
			t.Fatalf("%+v", gu)
		}
		res, err = v.e.SetGroupMembers(v.ctx, v.site.ID, v.p.ID, "g1", []string{"e001", "e002"})
		v.must(err)
		if res.Added != 1 || res.Removed != 1 || v.user("user000").SiteAdmin || !v.user("user002").SiteAdmin {
			t.Fatalf("%+v", res)
		}
		res, err = v.e.RemoveGroupMembers(v.ctx, v.site.ID, v.p.ID, "g1", []string{"e001"})
		v.must(err)
		if res.Removed != 1 {
			t.Fatalf("%+v", res)
		}
		if _, err := v.e.AddGroupMembers(v.ctx, v.site.ID, v.p.ID, "g1", []string{"e000"}); err != nil {
			t.Fatal(err)
		}
		wantNames(t, v.groupsOf("user000"), "Admins")
		renamed, err := v.e.UpsertGroup(v.ctx, v.site.ID, v.p.ID, GroupRef{ExternalID: "g1", Name: "Administrators"})
		v.must(err)
		if renamed.ID != g.ID || renamed.Name != "Administrators" {
			t.Fatalf("%+v", renamed)
		}
		v.must(v.e.DeleteGroup(v.ctx, v.site.ID, v.p.ID, "g1"))
		wantNames(t, v.groupsOf("user000"))
		if err := v.e.DeleteGroup(v.ctx, v.site.ID, v.p.ID, "g1"); !errors.Is(err, ErrUnknown) {
			t.Fatalf("got %v", err)
		}
		v.setProvider(func(p *store.SSOStrategy) { p.ProvisionGroups, p.DeprovisionGroups = false, false })
		if _, err := v.e.UpsertGroup(v.ctx, v.site.ID, v.p.ID, GroupRef{ExternalID: "g2", Name: "X"}); !errors.Is(err, ErrRefused) {
			t.Fatalf("got %v", err)
		}
		// Deleting with deprovision_groups off is declined, not refused: a
		// group it does not know is still unknown.
		if err := v.e.DeleteGroup(v.ctx, v.site.ID, v.p.ID, "g2"); !errors.Is(err, ErrUnknown) {
			t.Fatalf("got %v", err)
		}
		if len(v.ssoEvents(EventGroup)) < 4 {
			t.Fatal("group changes left no events")
		}
	})
}

func TestGroupNamesHelpers(t *testing.T) {
	p := store.SSOStrategy{Options: `{"ldap_user_filter":"(objectClass=person)"}`}
	if err := SetGroupNames(&p, map[string]string{guid: "Payroll"}); err != nil {
		t.Fatal(err)
	}
	got, err := GroupNames(p)
	if err != nil || got[guid] != "Payroll" {
		t.Fatalf("%v %v", got, err)
	}
	o := readOptionsMust(t, p.Options)
	if string(o["ldap_user_filter"]) != `"(objectClass=person)"` {
		t.Fatalf("other options lost: %s", p.Options)
	}
	if err := EditGroupNames(&p, func(m map[string]string) error { delete(m, guid); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, ok := readOptionsMust(t, p.Options)[OptionGroupNames]; ok {
		t.Fatalf("empty table kept: %s", p.Options)
	}
	for _, bad := range []map[string]string{{"": "x"}, {"id": ""}, {"id": "a\nb"}, {"i\x00d": "x"}} {
		if err := SetGroupNames(&p, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := GroupNames(store.SSOStrategy{Options: `{"group_names": ["not", "an", "object"]}`}); err == nil {
		t.Error("malformed table read")
	}
}

func readOptionsMust(t *testing.T, s string) map[string]json.RawMessage {
	var o map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func decode(v *env, s string) map[string]any {
	v.t.Helper()
	var m map[string]any
	v.must(jsonUnmarshal(s, &m))
	return m
}
