package provision

import (
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestMatching(t *testing.T) {
	cases := []struct {
		name string
		run  func(v *env)
	}{
		{"CreateNew", func(v *env) {
			res := v.upsert(person("e1", "ann", "Eng"))
			u := v.user("ann")
			if res.Action != ActionCreate || u.ExternalID != "e1" || u.SSOStrategyID != v.p.ID || !u.ExternallyManaged ||
				u.AuthenticationMethod != store.AuthSSO || u.Name != "Given ann" || u.Disabled {
				v.t.Fatalf("created %+v (action %s)", u, res.Action)
			}
			if !u.CreatedAt.Equal(start) {
				v.t.Fatalf("created at %v, want the injected clock %v", u.CreatedAt, start)
			}
			wantNames(v.t, v.groupsOf("ann"), "Eng")
		}},
		{"UnchangedWritesNothing", func(v *env) {
			v.upsert(person("e1", "ann", "Eng"))
			before := len(v.ssoEvents(EventProvision))
			res := v.upsert(person("e1", "ann", "Eng"))
			if res.Action != ActionNone || len(v.ssoEvents(EventProvision)) != before {
				v.t.Fatalf("an unchanged identity wrote: %s", res.Action)
			}
		}},
		{"RenameByImmutableID", func(v *env) {
			v.upsert(person("e1", "ann"))
			id := v.user("ann").ID
			x := person("e1", "ann.smith")
			x.Email = "ann.smith@example.com"
			res := v.upsert(x)
			u := v.user("ann.smith")
			if res.Action != ActionRename || u.ID != id || u.Email != "ann.smith@example.com" {
				v.t.Fatalf("rename gave %s %+v", res.Action, u)
			}
			v.noUser("ann")
		}},
		{"EmailOnlyChangeIsRename", func(v *env) {
			v.upsert(person("e1", "ann"))
			x := person("e1", "ann")
			x.Email = "new@example.com"
			if res := v.upsert(x); res.Action != ActionRename {
				v.t.Fatalf("got %s", res.Action)
			}
		}},
		{"RenameOntoTakenNameIsConflict", func(v *env) {
			v.upsert(person("e1", "ann"))
			v.localUser("bob")
			_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e1", "bob"))
			if !errors.Is(err, ErrConflict) {
				v.t.Fatalf("got %v", err)
			}
			v.user("ann")
			if len(v.ssoEvents(EventConflict)) != 1 {
				v.t.Fatal("no conflict event")
			}
		}},
		{"LinkAccountOfThisProviderWithoutID", func(v *env) {
			pre := v.localUser("carl", func(u *store.User) { u.AuthenticationMethod, u.SSOStrategyID = store.AuthSSO, v.p.ID })
			res := v.upsert(person("e9", "CARL"))
			u := v.user("carl")
			if res.Action != ActionLink || u.ID != pre.ID || u.ExternalID != "e9" || !u.ExternallyManaged {
				v.t.Fatalf("link gave %s %+v", res.Action, u)
			}
		}},
		{"PasswordAccountIsNotTakenOver", func(v *env) {
			pre := v.localUser("dana", func(u *store.User) { u.SiteAdmin = true })
			_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e2", "dana"))
			if !errors.Is(err, ErrConflict) {
				v.t.Fatalf("got %v", err)
			}
			u := v.user("dana")
			if u.ExternalID != "" || u.SSOStrategyID != 0 || u.UpdatedAt != pre.UpdatedAt {
				v.t.Fatalf("password account changed: %+v", u)
			}
			evs := v.ssoEvents(EventConflict)
			if len(evs) != 1 || evs[0].IdPUID != "e2" || evs[0].Username != "dana" || len(evs[0].EventErrors) != 1 ||
				evs[0].SSOStrategyID != v.p.ID || evs[0].ProviderLabel != "Corp AD" {
				v.t.Fatalf("conflict event %+v", evs)
			}
		}},
		{"ForeignProviderAccountIsNotTakenOver", func(v *env) {
			other := store.SSOStrategy{SiteID: v.site.ID, Protocol: "oidc", Provider: "okta", Label: "Okta"}
			v.must(v.st.CreateSSOStrategy(v.ctx, &other))
			v.localUser("erin", func(u *store.User) {
				u.AuthenticationMethod, u.SSOStrategyID, u.ExternalID, u.ExternallyManaged = store.AuthSSO, other.ID, "okta-1", true
			})
			_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e3", "erin"))
			if !errors.Is(err, ErrConflict) {
				v.t.Fatalf("got %v", err)
			}
			if u := v.user("erin"); u.SSOStrategyID != other.ID || u.ExternalID != "okta-1" {
				v.t.Fatalf("foreign account changed: %+v", u)
			}
		}},
		{"AccountHoldingAnotherIDIsNotRelinked", func(v *env) {
			v.upsert(person("e1", "fred"))
			_, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, person("e2", "fred"))
			if !errors.Is(err, ErrConflict) {
				v.t.Fatalf("got %v", err)
			}
			if v.user("fred").ExternalID != "e1" {
				v.t.Fatal("account was relinked")
			}
		}},
		{"ReactivationEnables", func(v *env) {
			v.upsert(person("e1", "gina"))
			_, err := v.e.Deactivate(v.ctx, v.site.ID, v.p.ID, "e1")
			v.must(err)
			if !v.user("gina").Disabled {
				v.t.Fatal("not disabled")
			}
			res := v.upsert(person("e1", "gina"))
			if res.Action != ActionEnable || v.user("gina").Disabled {
				v.t.Fatalf("not enabled again: %s", res.Action)
			}
		}},
		{"InactiveIdentityIsDisabledNotDeleted", func(v *env) {
			v.setProvider(func(p *store.SSOStrategy) { p.DeprovisionBehavior = "delete" })
			v.upsert(person("e1", "hal"))
			x := person("e1", "hal")
			x.Active = false
			if res := v.upsert(x); res.Action != ActionDisable || !v.user("hal").Disabled {
				v.t.Fatalf("got %s", res.Action)
			}
		}},
		{"OnlyProvisionedAccountsAreDeprovisioned", func(v *env) {
			v.localUser("ivy", func(u *store.User) {
				u.AuthenticationMethod, u.SSOStrategyID, u.ExternalID = store.AuthSSO, v.p.ID, "e7"
			})
			_, err := v.e.Delete(v.ctx, v.site.ID, v.p.ID, "e7")
			if !errors.Is(err, ErrRefused) || v.user("ivy").Disabled {
				v.t.Fatalf("an account the provider did not provision was deprovisioned: %v", err)
			}
			_, err = v.e.Delete(v.ctx, v.site.ID, v.p.ID, "nobody")
			if !errors.Is(err, ErrUnknown) {
				v.t.Fatalf("got %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { eachStore(t, tc.run) })
	}
}
