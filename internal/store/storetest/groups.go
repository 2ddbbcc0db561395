package storetest

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var groupTests = []test{
	{"CreateGetUpdate", func(f *fixture) {
		g := store.Group{SiteID: f.site.ID, Name: "Engineering", Notes: "the builders", FTPPermission: true,
			SFTPPermission: true, DAVPermission: true, RestAPIPermission: true, SSOStrategyID: 5, ExternalID: "grp-1"}
		f.must(f.s.CreateGroup(f.ctx, &g))
		if g.ID == 0 || g.CreatedAt.IsZero() {
			f.t.Fatalf("CreateGroup did not set id and times: %+v", g)
		}
		got, err := f.s.GetGroup(f.ctx, f.site.ID, g.ID)
		f.must(err)
		equal(f, got, g)
		upd, err := f.s.UpdateGroup(f.ctx, f.site.ID, g.ID, func(x *store.Group) error {
			x.Name, x.FTPPermission = "Eng", false
			x.SiteID = f.other.ID
			return nil
		})
		f.must(err)
		if upd.Name != "Eng" || upd.FTPPermission || upd.SiteID != f.site.ID {
			f.t.Fatalf("update gave %+v", upd)
		}
		got, err = f.s.GetGroup(f.ctx, f.site.ID, g.ID)
		f.must(err)
		equal(f, got, upd)
		_, err = f.s.UpdateGroup(f.ctx, f.site.ID, g.ID, func(x *store.Group) error { x.Notes = "lost"; return errFromFn })
		f.wantErr(err, errFromFn)
		got, err = f.s.GetGroup(f.ctx, f.site.ID, g.ID)
		f.must(err)
		equal(f, got, upd)
	}},
	{"DuplicateName", func(f *fixture) {
		f.group("Sales")
		dup := store.Group{SiteID: f.site.ID, Name: "SALES"}
		f.wantErr(f.s.CreateGroup(f.ctx, &dup), store.ErrConflict)
		f.groupOn(f.other.ID, "sales")
		ops := f.group("Ops")
		_, err := f.s.UpdateGroup(f.ctx, f.site.ID, ops.ID, func(g *store.Group) error { g.Name = "sales"; return nil })
		f.wantErr(err, store.ErrConflict)
	}},
	{"ListFilters", func(f *fixture) {
		a := f.group("Alpha", func(g *store.Group) { g.SSOStrategyID, g.ExternalID = 2, "x1" })
		b := f.group("Beta", func(g *store.Group) { g.SSOStrategyID, g.ExternalID = 2, "x2" })
		c := f.group("Gamma")
		f.groupOn(f.other.ID, "Alpha")
		cases := []struct {
			q    store.GroupQuery
			want []int64
		}{
			{store.GroupQuery{}, []int64{a.ID, b.ID, c.ID}},
			{store.GroupQuery{Name: "alpha"}, []int64{a.ID}},
			{store.GroupQuery{SSOStrategyID: 2}, []int64{a.ID, b.ID}},
			{store.GroupQuery{SSOStrategyID: 2, ExternalID: "x2"}, []int64{b.ID}},
			{store.GroupQuery{ListOptions: store.ListOptions{AfterID: a.ID, Limit: 1}}, []int64{b.ID}},
			{store.GroupQuery{Name: "delta"}, nil},
		}
		for _, tc := range cases {
			list, err := f.s.ListGroups(f.ctx, f.site.ID, tc.q)
			f.must(err)
			wantIDs(f, ids(f, list), tc.want...)
		}
	}},
	{"SiteIsolation", func(f *fixture) {
		theirs := f.groupOn(f.other.ID, "theirs")
		_, err := f.s.GetGroup(f.ctx, f.site.ID, theirs.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.UpdateGroup(f.ctx, f.site.ID, theirs.ID, func(g *store.Group) error { g.Notes = "x"; return nil })
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteGroup(f.ctx, f.site.ID, theirs.ID), store.ErrNotFound)
		_, err = f.s.GetGroup(f.ctx, f.other.ID, theirs.ID)
		f.must(err)
	}},
	{"DeleteRemovesMemberships", func(f *fixture) {
		g, kept := f.group("doomed"), f.group("kept")
		u := f.user("member")
		f.must(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: u.ID}))
		f.must(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: kept.ID, UserID: u.ID}))
		f.must(f.s.DeleteGroup(f.ctx, f.site.ID, g.ID))
		_, err := f.s.GetGroup(f.ctx, f.site.ID, g.ID)
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteGroup(f.ctx, f.site.ID, g.ID), store.ErrNotFound)
		of, err := f.s.GroupsOfUser(f.ctx, f.site.ID, u.ID)
		f.must(err)
		wantIDs(f, ids(f, of), kept.ID)
		_, err = f.s.GetUser(f.ctx, f.site.ID, u.ID)
		f.must(err)
	}},
}

var groupUserTests = []test{
	{"AddGetUpdateRemove", func(f *fixture) {
		g, u := f.group("Admins"), f.user("erin")
		gu := store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: u.ID, Admin: true, CreatedAt: at(0)}
		f.must(f.s.AddGroupUser(f.ctx, &gu))
		if gu.ID == 0 || gu.GroupName != "Admins" || gu.Username != "erin" || gu.CreatedAt != micro(at(0)) {
			f.t.Fatalf("AddGroupUser gave %+v", gu)
		}
		got, err := f.s.GetGroupUser(f.ctx, f.site.ID, g.ID, u.ID)
		f.must(err)
		equal(f, got, gu)
		upd, err := f.s.UpdateGroupUser(f.ctx, f.site.ID, g.ID, u.ID, func(x *store.GroupUser) error {
			x.Admin = false
			x.GroupID, x.UserID = 999, 999 // which membership it is cannot change
			return nil
		})
		f.must(err)
		want := gu
		want.Admin = false
		equal(f, upd, want)
		got, err = f.s.GetGroupUser(f.ctx, f.site.ID, g.ID, u.ID)
		f.must(err)
		equal(f, got, want)
		_, err = f.s.UpdateGroupUser(f.ctx, f.site.ID, g.ID, u.ID, func(x *store.GroupUser) error { x.Admin = true; return errFromFn })
		f.wantErr(err, errFromFn)
		got, err = f.s.GetGroupUser(f.ctx, f.site.ID, g.ID, u.ID)
		f.must(err)
		equal(f, got, want)
		f.must(f.s.RemoveGroupUser(f.ctx, f.site.ID, g.ID, u.ID))
		_, err = f.s.GetGroupUser(f.ctx, f.site.ID, g.ID, u.ID)
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.RemoveGroupUser(f.ctx, f.site.ID, g.ID, u.ID), store.ErrNotFound)
		_, err = f.s.UpdateGroupUser(f.ctx, f.site.ID, g.ID, u.ID, func(*store.GroupUser) error { return nil })
		f.wantErr(err, store.ErrNotFound)
	}},
	{"DuplicateMembership", func(f *fixture) {
		g, u := f.group("g"), f.user("u")
		f.must(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: u.ID}))
		f.wantErr(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: u.ID, Admin: true}),
			store.ErrConflict)
	}},
	{"SiteIsolation", func(f *fixture) {
		g, u := f.group("mine"), f.user("me")
		og, ou := f.groupOn(f.other.ID, "theirs"), f.userOn(f.other.ID, "them")
		f.wantErr(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: og.ID, UserID: u.ID}), store.ErrNotFound)
		f.wantErr(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: ou.ID}), store.ErrNotFound)
		f.wantErr(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: 123456}), store.ErrNotFound)
		f.must(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.other.ID, GroupID: og.ID, UserID: ou.ID}))
		_, err := f.s.GetGroupUser(f.ctx, f.site.ID, og.ID, ou.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.UpdateGroupUser(f.ctx, f.site.ID, og.ID, ou.ID, func(x *store.GroupUser) error { x.Admin = true; return nil })
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.RemoveGroupUser(f.ctx, f.site.ID, og.ID, ou.ID), store.ErrNotFound)
		list, err := f.s.ListGroupUsers(f.ctx, f.site.ID, store.GroupUserQuery{})
		f.must(err)
		wantIDs(f, ids(f, list))
		of, err := f.s.GroupsOfUser(f.ctx, f.site.ID, ou.ID)
		f.must(err)
		wantIDs(f, ids(f, of))
	}},
	{"ListAndGroupsOfUser", func(f *fixture) {
		g1, g2, g3 := f.group("one"), f.group("two"), f.group("three")
		u1, u2 := f.user("u1"), f.user("u2")
		add := func(g store.Group, u store.User) int64 {
			gu := store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: u.ID, CreatedAt: at(time.Duration(g.ID))}
			f.must(f.s.AddGroupUser(f.ctx, &gu))
			return gu.ID
		}
		m11, m21, m12, m32 := add(g1, u1), add(g2, u1), add(g1, u2), add(g3, u2)
		cases := []struct {
			q    store.GroupUserQuery
			want []int64
		}{
			{store.GroupUserQuery{}, []int64{m11, m21, m12, m32}},
			{store.GroupUserQuery{GroupID: g1.ID}, []int64{m11, m12}},
			{store.GroupUserQuery{UserID: u2.ID}, []int64{m12, m32}},
			{store.GroupUserQuery{GroupID: g1.ID, UserID: u2.ID}, []int64{m12}},
			{store.GroupUserQuery{ListOptions: store.ListOptions{AfterID: m21, Limit: 1}}, []int64{m12}},
		}
		for _, tc := range cases {
			list, err := f.s.ListGroupUsers(f.ctx, f.site.ID, tc.q)
			f.must(err)
			wantIDs(f, ids(f, list), tc.want...)
		}
		list, err := f.s.ListGroupUsers(f.ctx, f.site.ID, store.GroupUserQuery{UserID: u1.ID})
		f.must(err)
		if list[0].GroupName != "one" || list[1].GroupName != "two" || list[0].Username != "u1" {
			f.t.Fatalf("memberships carry names: %+v", list)
		}
		of, err := f.s.GroupsOfUser(f.ctx, f.site.ID, u2.ID)
		f.must(err)
		wantIDs(f, ids(f, of), g1.ID, g3.ID)
		got, err := f.s.GetGroup(f.ctx, f.site.ID, g3.ID)
		f.must(err)
		equal(f, of[1], got)
		none, err := f.s.GroupsOfUser(f.ctx, f.site.ID, f.user("loner").ID)
		f.must(err)
		wantIDs(f, ids(f, none))
	}},
	{"UserGroups", func(f *fixture) {
		g1, g2, g3 := f.group("one"), f.group("two"), f.group("three")
		u, other := f.user("member"), f.user("other")
		for _, m := range []store.GroupUser{
			{SiteID: f.site.ID, GroupID: g2.ID, UserID: u.ID, Admin: true},
			{SiteID: f.site.ID, GroupID: g1.ID, UserID: u.ID},
			{SiteID: f.site.ID, GroupID: g3.ID, UserID: other.ID, Admin: true},
		} {
			f.must(f.s.AddGroupUser(f.ctx, &m))
		}
		got, err := f.s.UserGroups(f.ctx, f.site.ID, u.ID)
		f.must(err)
		if len(got) != 2 || got[0].Admin || !got[1].Admin {
			f.t.Fatalf("UserGroups: want one (member) and two (admin), got %+v", got)
		}
		equal(f, got[0].Group, g1)
		equal(f, got[1].Group, g2)
		for _, tc := range []struct {
			site, user int64
		}{{f.other.ID, u.ID}, {f.site.ID, f.user("loner").ID}} {
			none, err := f.s.UserGroups(f.ctx, tc.site, tc.user)
			f.must(err)
			if len(none) != 0 {
				f.t.Fatalf("UserGroups(site %d, user %d): want none, got %+v", tc.site, tc.user, none)
			}
		}
	}},
}
