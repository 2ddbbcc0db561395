package storetest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// hostile are strings that break naive SQL, encodings or comparisons; a
// store keeps every one verbatim.
var hostile = []string{
	`'; DROP TABLE users; --`,
	`Robert'); DROP TABLE students;--`,
	`" OR 1=1 --`,
	`back\slash\`,
	`50% _off_`,
	`$1 ? :name @p1`,
	"tab\there\r\nand\x01\x1f\x7f",
	"Zoë 日本語 🙂 עברית",
	"ǅemal", // title case
	"\u202eevil",
	"a\u0301", // combining accent
}

var valueTests = []test{
	{"HostileStringsVerbatim", func(f *fixture) {
		for i, h := range hostile {
			u := f.user(h, func(u *store.User) { u.Name, u.Notes, u.Email = h, h, h })
			got, err := f.s.GetUserByUsername(f.ctx, f.site.ID, h)
			f.must(err)
			equal(f, got, u)
			list, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{Search: h})
			f.must(err)
			wantIDs(f, ids(f, list), u.ID)
			g := f.group(h, func(g *store.Group) { g.Notes = h })
			gotG, err := f.s.GetGroup(f.ctx, f.site.ID, g.ID)
			f.must(err)
			equal(f, gotG, g)
			e := store.SSOEvent{SiteID: f.site.ID, Body: h, EventErrors: []string{h, h}, Username: h}
			f.must(f.s.CreateSSOEvent(f.ctx, &e))
			gotE, err := f.s.GetSSOEvent(f.ctx, f.site.ID, e.ID)
			f.must(err)
			equal(f, gotE, e)
			st := store.SSOStrategy{SiteID: f.site.ID, Label: h, Options: `{"v":` + jsonString(h) + `}`}
			f.must(f.s.CreateSSOStrategy(f.ctx, &st))
			gotS, err := f.s.GetSSOStrategy(f.ctx, f.site.ID, st.ID)
			f.must(err)
			equal(f, gotS, st)
			n, err := f.s.CountUsers(f.ctx, f.site.ID, store.UserQuery{})
			f.must(err)
			if n != i+1 {
				f.t.Fatalf("after %d hostile users the site has %d", i+1, n)
			}
		}
	}},
	{"TimesRoundTrip", func(f *fixture) {
		zones := []*time.Location{time.UTC, time.FixedZone("west", -11*3600), time.FixedZone("east", 14*3600)}
		instants := []time.Time{
			time.Date(1970, 1, 1, 0, 0, 0, 1, time.UTC),
			time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			base,
			time.Date(2999, 6, 30, 12, 0, 0, 123456789, time.UTC),
		}
		for _, z := range zones {
			for _, t := range instants {
				u := f.user(t.In(z).String(), func(u *store.User) { u.LastLoginAt = t.In(z); u.CreatedAt = t.In(z) })
				if u.LastLoginAt != micro(t) || u.CreatedAt != micro(t) {
					f.t.Fatalf("CreateUser left %v, want %v", u.LastLoginAt, micro(t))
				}
				got, err := f.s.GetUser(f.ctx, f.site.ID, u.ID)
				f.must(err)
				equal(f, got, u)
			}
		}
	}},
	{"EventErrorsRoundTrip", func(f *fixture) {
		for _, errs := range [][]string{nil, {""}, {"one"}, {"a", "b", "[\"json\"]", "ünï"}} {
			e := store.SSOEvent{SiteID: f.site.ID, EventErrors: errs}
			f.must(f.s.CreateSSOEvent(f.ctx, &e))
			got, err := f.s.GetSSOEvent(f.ctx, f.site.ID, e.ID)
			f.must(err)
			equal(f, got, e)
		}
	}},
	{"OptionsRoundTrip", func(f *fixture) {
		for _, opt := range []string{"", "{}", `{"a":[1,2,{"b":null}],"s":"line\nnext"}`, "not json at all ' \" \\"} {
			st := store.SSOStrategy{SiteID: f.site.ID, Options: opt}
			f.must(f.s.CreateSSOStrategy(f.ctx, &st))
			got, err := f.s.GetSSOStrategy(f.ctx, f.site.ID, st.ID)
			f.must(err)
			equal(f, got, st)
		}
	}},
	{"LongValues", func(f *fixture) {
		long := strings.Repeat("x", 100_000)
		u := f.user(strings.Repeat("n", 4096), func(u *store.User) { u.Notes = long })
		got, err := f.s.GetUser(f.ctx, f.site.ID, u.ID)
		f.must(err)
		equal(f, got, u)
	}},
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
