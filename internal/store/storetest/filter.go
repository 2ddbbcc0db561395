package storetest

import (
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// leaf builds a one-comparison filter.
func leaf(field string, op store.FilterOp, v any) *store.Filter {
	return &store.Filter{Op: op, Field: field, Value: v}
}

func combine(op store.FilterOp, args ...*store.Filter) *store.Filter {
	out := &store.Filter{Op: op}
	for _, a := range args {
		out.Args = append(out.Args, *a)
	}
	return out
}

// filterFixture makes four users of provider 7 on the main site (and one
// on the other site that must never match) with SCIM attributes, and
// returns them in creation order.
func filterFixture(f *fixture) []store.User {
	f.t.Helper()
	mk := func(name, email, ext, display string, disabled bool, updated time.Time) store.User {
		return f.user(name, func(u *store.User) {
			u.Email, u.SSOStrategyID, u.ExternalID, u.Disabled = email, 7, "key-"+name, disabled
			u.SCIM = store.SCIMProfile{ExternalID: ext, DisplayName: display, Manager: "m-" + name,
				Attributes: `{"title":"x"}`}
			u.CreatedAt, u.UpdatedAt = updated, updated
		})
	}
	us := []store.User{
		mk("Alice@Example.com", "alice@example.com", "Ext-A", "Alice Liddell", false, at(0)),
		mk("bob@example.com", "Bob@Example.org", "ext-b", "Bob_Builder", true, at(time.Hour)),
		mk("carol", "", "", "", false, at(2*time.Hour)),
		mk("dave%", "dave@example.com", "ext-d", "Dave 100%", false, at(3*time.Hour)),
	}
	f.userOn(f.other.ID, "alice@example.com", func(u *store.User) {
		u.SSOStrategyID, u.SCIM.ExternalID = 7, "Ext-A"
	})
	return us
}

var filterTests = []test{
	{"UserFields", func(f *fixture) {
		us := filterFixture(f)
		a, b, c, d := us[0].ID, us[1].ID, us[2].ID, us[3].ID
		got, err := f.s.GetUser(f.ctx, f.site.ID, a)
		f.must(err)
		equal(f, got.SCIM, us[0].SCIM)
		cases := []struct {
			name string
			f    *store.Filter
			want []int64
		}{
			{"username eq ignores case", leaf("username", store.OpEq, "alice@EXAMPLE.com"), []int64{a}},
			{"email eq ignores case", leaf("email", store.OpEq, "bob@example.ORG"), []int64{b}},
			{"external id eq is exact", leaf("external_id", store.OpEq, "ext-a"), nil},
			{"external id eq", leaf("external_id", store.OpEq, "Ext-A"), []int64{a}},
			{"external id sw", leaf("external_id", store.OpStarts, "ext-"), []int64{a, b, d}},
			{"display name co", leaf("display_name", store.OpContain, "LIDD"), []int64{a}},
			{"display name co escapes LIKE", leaf("display_name", store.OpContain, "_"), []int64{b}},
			{"display name ew escapes percent", leaf("display_name", store.OpEnds, "0%"), []int64{d}},
			{"username sw escapes percent", leaf("username", store.OpStarts, "dave%"), []int64{d}},
			{"manager eq", leaf("manager", store.OpEq, "m-carol"), []int64{c}},
			{"immutable id or", combine(store.OpOr, leaf("immutable_id", store.OpEq, "key-carol"),
				leaf("immutable_id", store.OpEq, "key-Alice@Example.com")), []int64{a, c}},
			{"active eq false", leaf("active", store.OpEq, false), []int64{b}},
			{"active ne false", leaf("active", store.OpNe, false), []int64{a, c, d}},
			{"external id pr", leaf("external_id", store.OpPresent, nil), []int64{a, b, d}},
			{"id eq", leaf("id", store.OpEq, strconv.FormatInt(c, 10)), []int64{c}},
			{"id eq garbage", leaf("id", store.OpEq, "48af03ac28ad4fb88478"), nil},
			{"updated gt", leaf("updated_at", store.OpGt, at(time.Hour)), []int64{c, d}},
			{"updated le", leaf("updated_at", store.OpLe, at(time.Hour)), []int64{a, b}},
			{"created ge", leaf("created_at", store.OpGe, at(3*time.Hour)), []int64{d}},
			{"and", combine(store.OpAnd, leaf("active", store.OpEq, true), leaf("email", store.OpEnds, "example.com")), []int64{a, d}},
			{"or", combine(store.OpOr, leaf("username", store.OpEq, "carol"), leaf("external_id", store.OpEq, "ext-b")), []int64{b, c}},
			{"not", combine(store.OpNot, leaf("external_id", store.OpPresent, nil)), []int64{c}},
			{"nested", combine(store.OpAnd, combine(store.OpOr, leaf("username", store.OpEq, "carol"),
				leaf("username", store.OpEq, "dave%")), combine(store.OpNot, leaf("username", store.OpEq, "carol"))), []int64{d}},
		}
		for _, tc := range cases {
			q := store.UserQuery{SSOStrategyID: 7, Filter: tc.f}
			list, err := f.s.ListUsers(f.ctx, f.site.ID, q)
			f.must(err)
			f.t.Log(tc.name)
			wantIDs(f, ids(f, list), tc.want...)
			n, err := f.s.CountUsers(f.ctx, f.site.ID, q)
			f.must(err)
			if n != len(tc.want) {
				f.t.Fatalf("%s: count %d, want %d", tc.name, n, len(tc.want))
			}
		}
	}},
	{"UserAuthMethodAndLockout", func(f *fixture) {
		// The console's filters: who signs in how, and who is locked out
		// now (a lock-out in the past is none). The other site's user
		// matches both and must never show.
		now := at(10 * time.Hour)
		mk := func(name, method string, lockout time.Time) int64 {
			return f.user(name, func(u *store.User) { u.AuthenticationMethod, u.LockoutExpires = method, lockout }).ID
		}
		pw := mk("pw", store.AuthPassword, time.Time{})
		sso := mk("sso", store.AuthSSO, now.Add(-time.Minute))
		locked := mk("locked", store.AuthPassword, now.Add(time.Hour))
		none := mk("none", store.AuthNone, time.Time{})
		signup := mk("signup", store.AuthEmailSignup, time.Time{})
		f.userOn(f.other.ID, "elsewhere", func(u *store.User) {
			u.AuthenticationMethod, u.LockoutExpires = store.AuthPassword, now.Add(time.Hour)
		})
		cases := []struct {
			name string
			f    *store.Filter
			want []int64
		}{
			{"password", leaf("authentication_method", store.OpEq, store.AuthPassword), []int64{pw, locked}},
			{"sso", leaf("authentication_method", store.OpEq, store.AuthSSO), []int64{sso}},
			{"none", leaf("authentication_method", store.OpEq, store.AuthNone), []int64{none}},
			{"email signup", leaf("authentication_method", store.OpEq, store.AuthEmailSignup), []int64{signup}},
			{"method is exact", leaf("authentication_method", store.OpEq, "Password"), nil},
			{"locked now", leaf("lockout_expires", store.OpGt, now), []int64{locked}},
			{"ever locked", leaf("lockout_expires", store.OpPresent, nil), []int64{sso, locked}},
			{"locked password users", combine(store.OpAnd, leaf("authentication_method", store.OpEq, store.AuthPassword),
				leaf("lockout_expires", store.OpGt, now)), []int64{locked}},
		}
		for _, tc := range cases {
			q := store.UserQuery{Filter: tc.f}
			list, err := f.s.ListUsers(f.ctx, f.site.ID, q)
			f.must(err)
			f.t.Log(tc.name)
			wantIDs(f, ids(f, list), tc.want...)
			// Keyset pages of one user each walk the same set.
			walked := []int64{}
			q.Limit = 1
			for {
				page, err := f.s.ListUsers(f.ctx, f.site.ID, q)
				f.must(err)
				if len(page) == 0 {
					break
				}
				walked = append(walked, page[0].ID)
				q.AfterID = page[0].ID
			}
			wantIDs(f, walked, tc.want...)
		}
	}},
	{"UserPagesByOffset", func(f *fixture) {
		us := filterFixture(f)
		q := store.UserQuery{SSOStrategyID: 7, ListOptions: store.ListOptions{Offset: 1, Limit: 2}}
		list, err := f.s.ListUsers(f.ctx, f.site.ID, q)
		f.must(err)
		wantIDs(f, ids(f, list), us[1].ID, us[2].ID)
		q.Offset = 10
		list, err = f.s.ListUsers(f.ctx, f.site.ID, q)
		f.must(err)
		wantIDs(f, ids(f, list))
	}},
	{"InvalidFilters", func(f *fixture) {
		filterFixture(f)
		for _, bad := range []*store.Filter{
			leaf("password_hash", store.OpEq, "x"),
			leaf("username", "regex", "x"),
			leaf("active", store.OpEq, "true"),
			leaf("active", store.OpGt, true),
			leaf("updated_at", store.OpEq, "yesterday"),
			leaf("updated_at", store.OpContain, at(0)),
			leaf("username", store.OpEq, 5),
			{Op: store.OpAnd, Args: []store.Filter{*leaf("username", store.OpEq, "x")}},
			{Op: store.OpNot},
		} {
			_, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{Filter: bad})
			f.wantErr(err, store.ErrInvalidFilter)
			_, err = f.s.CountUsers(f.ctx, f.site.ID, store.UserQuery{Filter: bad})
			f.wantErr(err, store.ErrInvalidFilter)
		}
		deep := leaf("username", store.OpEq, "x")
		for range 300 {
			deep = combine(store.OpNot, deep)
		}
		_, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{Filter: deep})
		f.wantErr(err, store.ErrInvalidFilter)
		_, err = f.s.ListGroups(f.ctx, f.site.ID, store.GroupQuery{Filter: leaf("email", store.OpEq, "x")})
		f.wantErr(err, store.ErrInvalidFilter)
	}},
	{"GroupFields", func(f *fixture) {
		g1 := f.group("Engineering", func(g *store.Group) { g.SSOStrategyID, g.ExternalID = 7, "8aa1a0c0" })
		g2 := f.group("Sales", func(g *store.Group) { g.SSOStrategyID, g.ExternalID = 7, "60f1bb27" })
		f.group("Local")
		f.groupOn(f.other.ID, "Engineering", func(g *store.Group) { g.SSOStrategyID, g.ExternalID = 7, "8aa1a0c0" })
		cases := []struct {
			f    *store.Filter
			want []int64
		}{
			{leaf("name", store.OpEq, "engineering"), []int64{g1.ID}},
			{leaf("external_id", store.OpEq, "60f1bb27"), []int64{g2.ID}},
			{leaf("id", store.OpEq, strconv.FormatInt(g2.ID, 10)), []int64{g2.ID}},
			{combine(store.OpNot, leaf("name", store.OpStarts, "eng")), []int64{g2.ID}},
		}
		for _, tc := range cases {
			q := store.GroupQuery{SSOStrategyID: 7, Filter: tc.f}
			list, err := f.s.ListGroups(f.ctx, f.site.ID, q)
			f.must(err)
			wantIDs(f, ids(f, list), tc.want...)
			n, err := f.s.CountGroups(f.ctx, f.site.ID, q)
			f.must(err)
			if n != len(tc.want) {
				f.t.Fatalf("group count %d, want %d", n, len(tc.want))
			}
		}
		n, err := f.s.CountGroups(f.ctx, f.site.ID, store.GroupQuery{})
		f.must(err)
		if n != 3 {
			f.t.Fatalf("CountGroups of the site = %d, want 3", n)
		}
	}},
}
