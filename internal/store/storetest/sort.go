package storetest

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// sortValue is a record's value of a sort field, as a caller pages with
// it (store.Sort.After).
type sortValue func(id int64, field string) any

// pageThrough lists everything through pages of two in order s, each
// page starting after the previous one's last record, and returns the ids.
func pageThrough(f *fixture, s store.Sort, value sortValue, list func(store.ListOptions) ([]int64, error)) []int64 {
	f.t.Helper()
	var all []int64
	o := store.ListOptions{Limit: 2, Sort: s}
	for range 100 {
		page, err := list(o)
		f.must(err)
		all = append(all, page...)
		if len(page) < o.Limit {
			return all
		}
		last := page[len(page)-1]
		o.AfterID, o.Sort.After = last, value(last, s.Field)
	}
	f.t.Fatal("paging did not end")
	return nil
}

// expectOrder is the order a sort must give: by key (nil sorts first,
// last descending), ties by id in the same direction.
func expectOrder(idsByKey map[int64]any, desc bool) []int64 {
	var out []int64
	for id := range idsByKey {
		out = append(out, id)
	}
	compare := func(a, b any) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		case b == nil:
			return 1
		}
		switch x := a.(type) {
		case string:
			return strings.Compare(x, b.(string))
		case bool:
			switch {
			case x == b.(bool):
				return 0
			case !x:
				return -1
			}
			return 1
		case time.Time:
			return x.Compare(b.(time.Time))
		}
		return 0
	}
	slices.SortFunc(out, func(a, b int64) int {
		c := compare(idsByKey[a], idsByKey[b])
		if c == 0 {
			c = cmp.Compare(a, b)
		}
		if desc {
			return -c
		}
		return c
	})
	return out
}

var sortTests = []test{
	{"UsersByEveryField", func(f *fixture) {
		t0 := at(0)
		mk := func(name, display, company string, admin, disabled bool, login time.Time) store.User {
			return f.user(name, func(u *store.User) {
				u.Name, u.Company, u.SiteAdmin, u.Disabled, u.LastLoginAt = display, company, admin, disabled, login
				u.Email = strings.ToLower(name) + "@example.com"
			})
		}
		us := []store.User{
			mk("Carol", "Carol Danvers", "globex", false, false, t0.Add(2*time.Hour)),
			mk("alice", "alice liddell", "acme", true, false, time.Time{}),
			mk("bob2", "Bob Builder", "acme", false, true, t0.Add(time.Hour)),
			mk("dave", "dave", "initech", false, false, time.Time{}),
			mk("Erin", "Erin", "globex", true, false, t0.Add(time.Hour)),
		}
		f.userOn(f.other.ID, "zed", func(u *store.User) { u.LastLoginAt = t0 })
		byID := map[int64]store.User{}
		for _, u := range us {
			byID[u.ID] = u
		}
		value := func(id int64, field string) any {
			u := byID[id]
			u.ID = id
			return store.UserSortValue(u, field)
		}
		key := func(id int64, field string) any {
			v := value(id, field)
			switch x := v.(type) {
			case time.Time:
				if x.IsZero() {
					return nil
				}
			case string:
				if field != "company" {
					return strings.ToLower(x)
				}
			case int64:
				return nil // site_id: every user of the site alike
			}
			return v
		}
		for field := range store.UserSortFields() {
			if field == "id" {
				continue
			}
			for _, desc := range []bool{false, true} {
				want := map[int64]any{}
				for id := range byID {
					want[id] = key(id, field)
				}
				got := pageThrough(f, store.Sort{Field: field, Desc: desc}, value, func(o store.ListOptions) ([]int64, error) {
					list, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{ListOptions: o})
					return ids(f, list), err
				})
				f.t.Logf("sort by %s, desc %t", field, desc)
				wantIDs(f, got, expectOrder(want, desc)...)
			}
		}
		got := pageThrough(f, store.Sort{Desc: true}, value, func(o store.ListOptions) ([]int64, error) {
			list, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{ListOptions: o})
			return ids(f, list), err
		})
		wantIDs(f, got, us[4].ID, us[3].ID, us[2].ID, us[1].ID, us[0].ID)
		// A filter and an order together.
		list, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{
			Filter:      combine(store.OpAnd, leaf("site_admin", store.OpEq, false), leaf("username", store.OpStarts, "")),
			ListOptions: store.ListOptions{Sort: store.Sort{Field: "last_login_at", Desc: true}}})
		f.must(err)
		wantIDs(f, ids(f, list), us[0].ID, us[2].ID, us[3].ID)
	}},
	{"UserFilterFields", func(f *fixture) {
		t0 := at(0)
		a := f.user("alice", func(u *store.User) { u.Name, u.Company, u.SiteAdmin = "Alice Liddell", "Acme", true })
		b := f.user("bob", func(u *store.User) { u.Name, u.Company, u.Disabled, u.LastLoginAt = "Bob Builder", "acme", true, t0 })
		c := f.user("carol", func(u *store.User) { u.Name, u.LastLoginAt = "Carol", t0.Add(time.Hour) })
		f.userOn(f.other.ID, "alicia", func(u *store.User) { u.Name, u.Company = "Alice Other", "Acme" })
		for _, tc := range []struct {
			name string
			f    *store.Filter
			want []int64
		}{
			{"name eq ignores case", leaf("name", store.OpEq, "alice liddell"), []int64{a.ID}},
			{"name sw", leaf("name", store.OpStarts, "B"), []int64{b.ID}},
			{"company eq is exact", leaf("company", store.OpEq, "Acme"), []int64{a.ID}},
			{"company sw ignores ASCII case", leaf("company", store.OpStarts, "ac"), []int64{a.ID, b.ID}},
			{"site admin", leaf("site_admin", store.OpEq, true), []int64{a.ID}},
			{"not site admin", leaf("site_admin", store.OpEq, false), []int64{b.ID, c.ID}},
			{"disabled", leaf("disabled", store.OpEq, true), []int64{b.ID}},
			{"active is not disabled", leaf("active", store.OpEq, true), []int64{a.ID, c.ID}},
			{"last login ge", leaf("last_login_at", store.OpGe, t0), []int64{b.ID, c.ID}},
			{"last login gt", leaf("last_login_at", store.OpGt, t0), []int64{c.ID}},
			{"last login lt leaves out never", leaf("last_login_at", store.OpLt, t0.Add(time.Hour)), []int64{b.ID}},
			{"last login eq", leaf("last_login_at", store.OpEq, t0), []int64{b.ID}},
		} {
			list, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{Filter: tc.f})
			f.must(err)
			f.t.Log(tc.name)
			wantIDs(f, ids(f, list), tc.want...)
		}
	}},
	{"GroupsByName", func(f *fixture) {
		g := []store.Group{f.group("sales"), f.group("Engineering"), f.group("marketing")}
		f.groupOn(f.other.ID, "admins")
		names := map[int64]string{}
		for _, x := range g {
			names[x.ID] = x.Name
		}
		value := func(id int64, field string) any { return names[id] }
		for _, desc := range []bool{false, true} {
			got := pageThrough(f, store.Sort{Field: "name", Desc: desc}, value, func(o store.ListOptions) ([]int64, error) {
				list, err := f.s.ListGroups(f.ctx, f.site.ID, store.GroupQuery{ListOptions: o})
				return ids(f, list), err
			})
			want := []int64{g[1].ID, g[2].ID, g[0].ID}
			if desc {
				slices.Reverse(want)
			}
			wantIDs(f, got, want...)
		}
		list, err := f.s.ListGroups(f.ctx, f.site.ID, store.GroupQuery{Filter: leaf("name", store.OpStarts, "MAR")})
		f.must(err)
		wantIDs(f, ids(f, list), g[2].ID)
	}},
	{"KeysByExpiry", func(f *fixture) {
		u := f.user("owner")
		t0 := at(0)
		expiries := []time.Time{t0.Add(2 * time.Hour), {}, t0, {}, t0}
		byID := map[int64]any{}
		values := map[int64]time.Time{}
		for i, e := range expiries {
			k := store.APIKey{SiteID: f.site.ID, UserID: u.ID, KeyHash: []byte(name("k", i)), ExpiresAt: e}
			f.must(f.s.CreateAPIKey(f.ctx, &k))
			values[k.ID] = k.ExpiresAt
			byID[k.ID] = any(nil)
			if !e.IsZero() {
				byID[k.ID] = micro(e)
			}
		}
		f.must(f.s.CreateAPIKey(f.ctx, &store.APIKey{SiteID: f.other.ID, KeyHash: []byte("other"), ExpiresAt: t0}))
		value := func(id int64, field string) any { return values[id] }
		for _, desc := range []bool{false, true} {
			got := pageThrough(f, store.Sort{Field: "expires_at", Desc: desc}, value, func(o store.ListOptions) ([]int64, error) {
				list, err := f.s.ListAPIKeys(f.ctx, f.site.ID, store.KeyQuery{ListOptions: o})
				return ids(f, list), err
			})
			wantIDs(f, got, expectOrder(byID, desc)...)
		}
		list, err := f.s.ListAPIKeys(f.ctx, f.site.ID, store.KeyQuery{UserID: u.ID,
			Filter: leaf("expires_at", store.OpLe, t0.Add(time.Hour))})
		f.must(err)
		if len(list) != 2 {
			f.t.Fatalf("expires_at le: %d keys, want the two expiring at t0", len(list))
		}
		pk := store.PublicKey{SiteID: f.site.ID, UserID: u.ID, Title: "laptop", PublicKey: "ssh-ed25519 AAAA", FingerprintSHA256: "fp",
			CreatedAt: t0}
		f.must(f.s.CreatePublicKey(f.ctx, &pk))
		pks, err := f.s.ListPublicKeys(f.ctx, f.site.ID, store.KeyQuery{Filter: leaf("created_at", store.OpGt, t0)})
		f.must(err)
		wantIDs(f, ids(f, pks))
		pks, err = f.s.ListPublicKeys(f.ctx, f.site.ID, store.KeyQuery{Filter: leaf("created_at", store.OpEq, t0),
			ListOptions: store.ListOptions{Sort: store.Sort{Field: "created_at", Desc: true}}})
		f.must(err)
		wantIDs(f, ids(f, pks), pk.ID)
	}},
	{"EventsNewestFirst", func(f *fixture) {
		t0 := at(0)
		var want []int64
		created := map[int64]time.Time{}
		for i, d := range []time.Duration{time.Hour, 0, 2 * time.Hour, time.Hour} {
			e := store.ExternalEvent{SiteID: f.site.ID, EventType: "sync", Status: []string{"success", "failure"}[i%2],
				Body: name("e", i), CreatedAt: t0.Add(d)}
			f.must(f.s.CreateExternalEvent(f.ctx, &e))
			created[e.ID] = e.CreatedAt
			want = append(want, e.ID)
		}
		f.must(f.s.CreateExternalEvent(f.ctx, &store.ExternalEvent{SiteID: f.other.ID, EventType: "sync", Status: "success", CreatedAt: t0}))
		value := func(id int64, field string) any { return created[id] }
		got := pageThrough(f, store.Sort{Field: "created_at", Desc: true}, value, func(o store.ListOptions) ([]int64, error) {
			list, err := f.s.ListExternalEvents(f.ctx, f.site.ID, store.EventQuery{ListOptions: o})
			return ids(f, list), err
		})
		wantIDs(f, got, want[2], want[3], want[0], want[1])
		list, err := f.s.ListExternalEvents(f.ctx, f.site.ID, store.EventQuery{
			ListOptions: store.ListOptions{Sort: store.Sort{Field: "status"}}})
		f.must(err)
		wantIDs(f, ids(f, list), want[1], want[3], want[0], want[2])
		logs, err := f.s.ListScimLogs(f.ctx, f.site.ID, store.EventQuery{
			ListOptions: store.ListOptions{Sort: store.Sort{Field: "created_at", Desc: true}}})
		f.must(err)
		wantIDs(f, ids(f, logs))
	}},
	{"InvalidSorts", func(f *fixture) {
		f.user("someone")
		for _, o := range []store.ListOptions{
			{Sort: store.Sort{Field: "password_hash"}},
			{Sort: store.Sort{Field: "username", After: nil}, AfterID: 1},
			{Sort: store.Sort{Field: "username", After: 7}, AfterID: 1},
			{Sort: store.Sort{Field: "last_login_at", After: "yesterday"}, AfterID: 1},
			{Sort: store.Sort{Field: "site_admin", After: "true"}, AfterID: 1},
		} {
			_, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{ListOptions: o})
			f.wantErr(err, store.ErrInvalidFilter)
		}
		_, err := f.s.ListScimLogs(f.ctx, f.site.ID, store.EventQuery{ListOptions: store.ListOptions{Sort: store.Sort{Field: "status"}}})
		f.wantErr(err, store.ErrInvalidFilter)
		_, err = f.s.ListSSOStrategies(f.ctx, f.site.ID, store.ListOptions{Sort: store.Sort{Field: "label"}})
		f.wantErr(err, store.ErrInvalidFilter)
		_, err = f.s.ListAPIKeys(f.ctx, f.site.ID, store.KeyQuery{Filter: leaf("permission_set", store.OpEq, "full")})
		f.wantErr(err, store.ErrInvalidFilter)
	}},
}
