package provision

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestPatterns(t *testing.T) {
	cases := []struct {
		list, name string
		want       bool
	}{
		{"Eng", "eng", true},
		{"Eng", "Engineering", false},
		{"Eng*", "engineering", true},
		{"*ops", "DevOps", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxcyyb", false},
		{"*", "anything", true},
		{"Sales, Eng*\nOps", "ops", true},
		{" , \n", "x", false},
		{"FILES-*-RW", "files-finance-rw", true},
		{"Ünïcode*", "üNÏCODE group", true},
	}
	for _, tc := range cases {
		ps, err := parsePatterns("f", tc.list, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := ps.match(tc.name); got != tc.want {
			t.Errorf("%q matching %q: got %v", tc.list, tc.name, got)
		}
	}
	for _, bad := range []string{"ok,\x01bad", "\xff", string(make([]byte, 300))} {
		if _, err := parsePatterns("f", bad, true); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := parsePatterns("provision_group_default", "Eng*", false); err == nil {
		t.Error("a wildcard in a plain-name list parsed")
	}
}

func TestRules(t *testing.T) {
	cases := []struct {
		name  string
		rules func(*store.SSOStrategy)
		run   func(v *env)
	}{
		{"InclusionEmptyMeansAll", nil, func(v *env) {
			v.upsert(person("e1", "ann", "A", "B"))
			wantNames(v.t, v.groupsOf("ann"), "A", "B")
		}},
		{"InclusionAndExclusionWins", func(p *store.SSOStrategy) {
			p.ProvisionGroupInclusion, p.ProvisionGroupExclusion = "Eng*, Sales", "Eng-Secret*"
		}, func(v *env) {
			res := v.upsert(person("e1", "ann", "Eng-Web", "Eng-Secret-X", "Sales", "Other"))
			wantNames(v.t, v.groupsOf("ann"), "Eng-Web", "Sales")
			targets := map[string]string{}
			for _, r := range res.Groups {
				targets[r.Name] = r.Target
			}
			if targets["Eng-Secret-X"] != "excluded" || targets["Other"] != "excluded" {
				v.t.Fatalf("resolutions %+v", res.Groups)
			}
			if _, err := v.st.ListGroups(v.ctx, v.site.ID, store.GroupQuery{Name: "Other"}); err != nil {
				v.t.Fatal(err)
			}
		}},
		{"RequiredRefusesNewUser", func(p *store.SSOStrategy) { p.ProvisionGroupRequired = "Files-*" }, func(v *env) {
			_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e1", "ann", "Eng"))
			if !errors.Is(err, ErrRefused) {
				v.t.Fatalf("got %v", err)
			}
			v.noUser("ann")
			v.upsert(person("e2", "bob", "files-users"))
			v.user("bob")
		}},
		{"RequiredLostDisablesOnUpsertAndDeprovisionsOnReconcile", func(p *store.SSOStrategy) {
			p.ProvisionGroupRequired, p.DeprovisionBehavior = "Files", "delete"
		}, func(v *env) {
			v.upsert(person("e1", "ann", "Files"))
			v.upsert(person("e2", "bob", "Files"))
			if res := v.upsert(person("e1", "ann")); res.Action != ActionDisable || !v.user("ann").Disabled {
				v.t.Fatalf("Upsert gave %s", res.Action)
			}
			rep := v.reconcile(person("e1", "ann", "Files"), person("e2", "bob"))
			if rep.Plan.Counts.Deleted != 1 || rep.Plan.Counts.Enabled != 1 {
				v.t.Fatalf("counts %+v", rep.Plan.Counts)
			}
			v.noUser("bob")
			if v.user("ann").Disabled {
				v.t.Fatal("ann stays disabled")
			}
		}},
		{"DefaultGroupsAlwaysAndNeverRemoved", func(p *store.SSOStrategy) { p.ProvisionGroupDefault = "Employees, All Staff" }, func(v *env) {
			v.upsert(person("e1", "ann", "Eng"))
			wantNames(v.t, v.groupsOf("ann"), "Eng", "Employees", "All Staff")
			v.upsert(person("e1", "ann"))
			wantNames(v.t, v.groupsOf("ann"), "Employees", "All Staff")
		}},
		{"SiteAdminGainedAndLost", func(p *store.SSOStrategy) { p.ProvisionSiteAdminGroups = "*-Admins" }, func(v *env) {
			v.upsert(person("e1", "ann", "IT-Admins"))
			if !v.user("ann").SiteAdmin {
				v.t.Fatal("not site admin")
			}
			v.upsert(person("e1", "ann", "Eng"))
			if v.user("ann").SiteAdmin {
				v.t.Fatal("still site admin")
			}
		}},
		{"GroupAdminGroups", func(p *store.SSOStrategy) { p.ProvisionGroupAdminGroups = "Leads" }, func(v *env) {
			v.upsert(person("e1", "ann", "Leads", "Eng"))
			lead, err := v.st.GetGroupUser(v.ctx, v.site.ID, v.group("Leads").ID, v.user("ann").ID)
			v.must(err)
			eng, err := v.st.GetGroupUser(v.ctx, v.site.ID, v.group("Eng").ID, v.user("ann").ID)
			v.must(err)
			if !lead.Admin || eng.Admin || lead.SSOStrategyID != v.p.ID {
				v.t.Fatalf("lead %+v eng %+v", lead, eng)
			}
		}},
		{"EmailSignupGroups", func(p *store.SSOStrategy) { p.ProvisionEmailSignupGroups = "Partners" }, func(v *env) {
			v.upsert(person("e1", "ann", "Partners"))
			v.upsert(person("e2", "bob", "Eng"))
			if v.user("ann").AuthenticationMethod != store.AuthEmailSignup || v.user("bob").AuthenticationMethod != store.AuthSSO {
				v.t.Fatal("authentication methods wrong")
			}
		}},
		{"NewUserDefaults", func(p *store.SSOStrategy) {
			p.ProvisionCompany, p.ProvisionTimeZone, p.ProvisionSFTPPermission, p.ProvisionDAVPermission = "ACME", "UTC", true, true
		}, func(v *env) {
			v.upsert(person("e1", "ann"))
			x := person("e2", "bob")
			x.Company = "Bob Inc"
			v.upsert(x)
			a, b := v.user("ann"), v.user("bob")
			if a.Company != "ACME" || a.TimeZone != "UTC" || !a.SFTPPermission || !a.DAVPermission || a.FTPPermission || b.Company != "Bob Inc" {
				v.t.Fatalf("defaults %+v / %+v", a, b)
			}
		}},
		{"ProvisionUsersOff", func(p *store.SSOStrategy) { p.ProvisionUsers = false }, func(v *env) {
			_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e1", "ann"))
			if !errors.Is(err, ErrRefused) {
				v.t.Fatalf("got %v", err)
			}
			v.noUser("ann")
		}},
		{"ProvisionGroupsOff", func(p *store.SSOStrategy) { p.ProvisionGroups = false }, func(v *env) {
			v.upsert(person("e1", "ann", "Eng"))
			wantNames(v.t, v.groupsOf("ann"))
		}},
		{"DeprovisionGroupsOffKeepsMemberships", func(p *store.SSOStrategy) { p.DeprovisionGroups = false }, func(v *env) {
			v.upsert(person("e1", "ann", "Eng"))
			v.upsert(person("e1", "ann", "Ops"))
			wantNames(v.t, v.groupsOf("ann"), "Eng", "Ops")
		}},
		{"AdminMadeMembershipsAreKept", nil, func(v *env) {
			v.upsert(person("e1", "ann", "Eng"))
			local := store.Group{SiteID: v.site.ID, Name: "Hand-picked"}
			v.must(v.st.CreateGroup(v.ctx, &local))
			v.must(v.st.AddGroupUser(v.ctx, &store.GroupUser{SiteID: v.site.ID, GroupID: local.ID, UserID: v.user("ann").ID}))
			v.upsert(person("e1", "ann"))
			wantNames(v.t, v.groupsOf("ann"), "Hand-picked")
		}},
		{"DeprovisionUsersOff", func(p *store.SSOStrategy) { p.DeprovisionUsers = false }, func(v *env) {
			v.upsert(person("e1", "ann"))
			// Declined, not refused: the account stays, the request is done
			// as far as the identity provider is concerned, and an event
			// says which setting kept it.
			// A SCIM DELETE still takes it out of the provider's SCIM view.
			for i, deprovision := range []func(context.Context, int64, int64, string) (Result, error){v.e.Deactivate, v.e.Delete} {
				res, err := deprovision(v.ctx, v.site.ID, v.p.ID, "e1")
				if err != nil || res.User.Username != "ann" || res.User.Disabled || res.User.SCIM.Deleted != (i == 1) {
					v.t.Fatalf("got %+v %v", res, err)
				}
			}
			if kept := v.ssoEvents(EventKept); len(kept) != 2 || !strings.Contains(kept[0].Body, "as deprovision_users is off") {
				v.t.Fatalf("kept events: %+v", kept)
			}
			v.reconcile(person("e2", "bob"))
			if v.user("ann").Disabled {
				v.t.Fatal("deprovisioned with deprovision_users off")
			}
		}},
		{"DeleteBehaviour", func(p *store.SSOStrategy) { p.DeprovisionBehavior = "delete" }, func(v *env) {
			v.upsert(person("e1", "ann", "Eng"))
			res, err := v.e.Delete(v.ctx, v.site.ID, v.p.ID, "e1")
			v.must(err)
			if res.Action != ActionDelete {
				v.t.Fatalf("got %s", res.Action)
			}
			v.noUser("ann")
			if evs := v.ssoEvents(EventDeprovision); len(evs) != 1 || evs[0].IdPUID != "e1" {
				v.t.Fatalf("events %+v", evs)
			}
		}},
		{"MalformedRulesChangeNothing", func(p *store.SSOStrategy) { p.ProvisionGroupExclusion = "ok,\x07bell" }, func(v *env) {
			_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e1", "ann"))
			if !errors.Is(err, ErrRules) {
				v.t.Fatalf("got %v", err)
			}
			v.noUser("ann")
			rep, err := v.e.Reconcile(v.ctx, v.site.ID, v.p.ID, Snapshot{Users: []ExternalIdentity{person("e1", "ann")}})
			if !errors.Is(err, ErrRules) || rep.Status != store.EventFailure {
				v.t.Fatalf("reconcile gave %v %+v", err, rep)
			}
			if len(v.ssoEvents(EventRefused)) < 2 {
				v.t.Fatal("no refusal events")
			}
		}},
		{"BadBehaviourIsMalformed", func(p *store.SSOStrategy) { p.DeprovisionBehavior = "shred" }, func(v *env) {
			if _, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e1", "ann")); !errors.Is(err, ErrRules) {
				v.t.Fatalf("got %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*store.SSOStrategy)
			if tc.rules != nil {
				mods = append(mods, tc.rules)
			}
			eachStore(t, tc.run, mods...)
		})
	}
}

// TestCredentialRevocation: a deprovisioned user's sessions end in the
// same transaction; deleting removes keys too.
func TestCredentialRevocation(t *testing.T) {
	eachStore(t, func(v *env) {
		t := v.t
		v.upsert(person("e1", "ann"))
		v.upsert(person("e2", "bob"))
		for _, name := range []string{"ann", "bob"} {
			u := v.user(name)
			v.must(v.st.CreateSession(v.ctx, &store.Session{SiteID: v.site.ID, UserID: u.ID, TokenHash: []byte("tok-" + name),
				ExpiresAt: start.Add(time.Hour)}))
			v.must(v.st.CreateAPIKey(v.ctx, &store.APIKey{SiteID: v.site.ID, UserID: u.ID, Name: "k", KeyHash: []byte("key-" + name)}))
		}
		if _, err := v.e.Deactivate(v.ctx, v.site.ID, v.p.ID, "e1"); err != nil {
			t.Fatal(err)
		}
		if _, err := v.st.GetSessionByHash(v.ctx, []byte("tok-ann"), start); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ann's session survived: %v", err)
		}
		if !v.user("ann").Disabled {
			t.Fatal("ann not disabled")
		}
		evs := v.ssoEvents(EventDeprovision)
		if len(evs) != 1 || evs[0].Username != "ann" {
			t.Fatalf("events %+v", evs)
		}
		v.setProvider(func(p *store.SSOStrategy) { p.DeprovisionBehavior = "delete" })
		if _, err := v.e.Delete(v.ctx, v.site.ID, v.p.ID, "e2"); err != nil {
			t.Fatal(err)
		}
		if _, err := v.st.GetAPIKeyByHash(v.ctx, []byte("key-bob")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("bob's API key survived: %v", err)
		}
		if _, err := v.st.GetSessionByHash(v.ctx, []byte("tok-bob"), start); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("bob's session survived: %v", err)
		}
	})
}
