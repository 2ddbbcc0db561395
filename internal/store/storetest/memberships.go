package storetest

import (
	"github.com/gatehouse/gatehouse/internal/store"
)

var membershipTests = []test{
	{"AddListRemove", func(f *fixture) {
		g1, g2 := f.group("one"), f.group("two")
		a := f.user("a", func(u *store.User) { u.SSOStrategyID = 7 })
		b := f.user("b")
		n, err := f.s.AddMemberships(f.ctx, f.site.ID, []store.Membership{
			{GroupID: g1.ID, UserID: a.ID, Admin: true, SSOStrategyID: 7},
			{GroupID: g2.ID, UserID: a.ID},
			{GroupID: g1.ID, UserID: b.ID, SSOStrategyID: 7},
		}, at(0))
		f.must(err)
		if n != 3 {
			f.t.Fatalf("added %d, want 3", n)
		}
		gu, err := f.s.GetGroupUser(f.ctx, f.site.ID, g1.ID, a.ID)
		f.must(err)
		if !gu.Admin || gu.SSOStrategyID != 7 || gu.CreatedAt != micro(at(0)) || gu.GroupName != "one" {
			f.t.Fatalf("bulk membership reads back as %+v", gu)
		}
		all, err := f.s.ListMemberships(f.ctx, f.site.ID, store.MembershipQuery{UserIDFrom: a.ID, UserIDTo: b.ID})
		f.must(err)
		want := []store.Membership{
			{GroupID: g1.ID, UserID: a.ID, Admin: true, SSOStrategyID: 7},
			{GroupID: g2.ID, UserID: a.ID},
			{GroupID: g1.ID, UserID: b.ID, SSOStrategyID: 7},
		}
		for i := range all {
			if all[i].ID == 0 {
				f.t.Fatalf("membership without id: %+v", all[i])
			}
			all[i].ID = 0
		}
		equal(f, all, want)
		// Only the users of provider 7: b is not one.
		mine, err := f.s.ListMemberships(f.ctx, f.site.ID, store.MembershipQuery{UserIDFrom: 0, UserIDTo: b.ID + 100, SSOStrategyID: 7})
		f.must(err)
		if len(mine) != 2 || mine[0].UserID != a.ID || mine[1].UserID != a.ID {
			f.t.Fatalf("provider filter gave %+v", mine)
		}
		// Existing memberships are skipped, new ones added.
		n, err = f.s.AddMemberships(f.ctx, f.site.ID, []store.Membership{{GroupID: g1.ID, UserID: a.ID}, {GroupID: g2.ID, UserID: b.ID}}, at(1))
		f.must(err)
		if n != 1 {
			f.t.Fatalf("added %d, want 1", n)
		}
		gu, err = f.s.GetGroupUser(f.ctx, f.site.ID, g1.ID, a.ID)
		f.must(err)
		if !gu.Admin || gu.SSOStrategyID != 7 {
			f.t.Fatalf("an existing membership changed: %+v", gu)
		}
		n, err = f.s.RemoveMemberships(f.ctx, f.site.ID, []store.Membership{{GroupID: g1.ID, UserID: a.ID}, {GroupID: g2.ID, UserID: g2.ID + 999}})
		f.must(err)
		if n != 1 {
			f.t.Fatalf("removed %d, want 1", n)
		}
		_, err = f.s.GetGroupUser(f.ctx, f.site.ID, g1.ID, a.ID)
		f.wantErr(err, store.ErrNotFound)
	}},
	{"ManyInOneCall", func(f *fixture) {
		var gs []store.Group
		for i := range 7 {
			gs = append(gs, f.group(name("g", i)))
		}
		var ms []store.Membership
		for i := range 90 {
			u := f.user(name("u", i))
			for _, g := range gs {
				ms = append(ms, store.Membership{GroupID: g.ID, UserID: u.ID})
			}
		}
		n, err := f.s.AddMemberships(f.ctx, f.site.ID, ms, at(0))
		f.must(err)
		if n != len(ms) {
			f.t.Fatalf("added %d, want %d", n, len(ms))
		}
		all, err := f.s.ListMemberships(f.ctx, f.site.ID, store.MembershipQuery{UserIDFrom: 0, UserIDTo: 1 << 40})
		f.must(err)
		if len(all) != len(ms) {
			f.t.Fatalf("listed %d, want %d", len(all), len(ms))
		}
		n, err = f.s.RemoveMemberships(f.ctx, f.site.ID, ms[:100])
		f.must(err)
		if n != 100 {
			f.t.Fatalf("removed %d, want 100", n)
		}
	}},
	{"SiteIsolation", func(f *fixture) {
		g, u := f.group("mine"), f.user("me")
		og, ou := f.groupOn(f.other.ID, "theirs"), f.userOn(f.other.ID, "them")
		for _, m := range []store.Membership{{GroupID: og.ID, UserID: u.ID}, {GroupID: g.ID, UserID: ou.ID}, {GroupID: g.ID, UserID: 123456}} {
			_, err := f.s.AddMemberships(f.ctx, f.site.ID, []store.Membership{{GroupID: g.ID, UserID: u.ID}, m}, at(0))
			f.wantErr(err, store.ErrNotFound)
		}
		// Nothing of a refused call was added.
		_, err := f.s.GetGroupUser(f.ctx, f.site.ID, g.ID, u.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.AddMemberships(f.ctx, f.other.ID, []store.Membership{{GroupID: og.ID, UserID: ou.ID}}, at(0))
		f.must(err)
		list, err := f.s.ListMemberships(f.ctx, f.site.ID, store.MembershipQuery{UserIDFrom: 0, UserIDTo: 1 << 40})
		f.must(err)
		if len(list) != 0 {
			f.t.Fatalf("another site's membership is visible: %+v", list)
		}
		n, err := f.s.RemoveMemberships(f.ctx, f.site.ID, []store.Membership{{GroupID: og.ID, UserID: ou.ID}})
		f.must(err)
		if n != 0 {
			f.t.Fatal("removed another site's membership")
		}
	}},
	{"AdminAddedKeepsNoProvider", func(f *fixture) {
		g, u := f.group("g"), f.user("u")
		f.must(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: u.ID}))
		list, err := f.s.ListMemberships(f.ctx, f.site.ID, store.MembershipQuery{UserIDFrom: u.ID, UserIDTo: u.ID})
		f.must(err)
		if len(list) != 1 || list[0].SSOStrategyID != 0 {
			f.t.Fatalf("got %+v", list)
		}
	}},
}
