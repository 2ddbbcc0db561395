package storetest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// fullUser has every field set to a distinct value.
func fullUser(siteID int64) store.User {
	return store.User{
		SiteID: siteID, Username: "Full.User", Email: "Full.User@Example.com", Name: "Full User",
		Company: "Example", TimeZone: "Eastern Time (US & Canada)", Notes: "line one\nline two",
		AuthenticationMethod: store.AuthSSO, SSOStrategyID: 7, ExternalID: "00000000-aaaa-bbbb",
		ExternallyManaged: true, SiteAdmin: true, Disabled: true, RequirePasswordChange: true,
		FTPPermission: true, SFTPPermission: true, DAVPermission: true, RestAPIPermission: true,
		NotifyOnAllSSOFailures: true, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		PasswordSetAt: at(1 * time.Hour), FailedLogins: 3, FailedLoginsSince: at(2 * time.Hour),
		LockoutExpires: at(3 * time.Hour), FirstLoginAt: at(4 * time.Hour), LastLoginAt: at(5 * time.Hour),
		LastWebLoginAt: at(6 * time.Hour), LastDesktopLoginAt: at(7 * time.Hour),
		LastRestAPILoginAt: at(8 * time.Hour), LastSFTPLoginAt: at(9 * time.Hour),
		LastFTPLoginAt: at(10 * time.Hour), LastDAVLoginAt: at(11 * time.Hour), LastAPIUseAt: at(12 * time.Hour),
	}
}

var userTests = []test{
	{"LookAlikeUsernames", func(f *fixture) {
		admin := f.user("admin")
		// Full-width, Cyrillic and invisible look-alikes of a name are taken.
		for _, name := range []string{"ａdmin", "ＡＤＭＩＮ", "аdmin", "admin\ufe0f"} {
			u := store.User{SiteID: f.site.ID, Username: name}
			f.wantErr(f.s.CreateUser(f.ctx, &u), store.ErrConflict)
		}
		// ...on this site only; and ordinary names next to it are fine.
		other := store.User{SiteID: f.other.ID, Username: "ａdmin"}
		f.must(f.s.CreateUser(f.ctx, &other))
		second := f.user("admin2")
		// A rename into a look-alike is refused; a rename of a user to their
		// own name in another case is not.
		_, err := f.s.UpdateUser(f.ctx, f.site.ID, second.ID, func(u *store.User) error { u.Username = "ａｄｍｉｎ"; return nil })
		f.wantErr(err, store.ErrConflict)
		_, err = f.s.UpdateUser(f.ctx, f.site.ID, admin.ID, func(u *store.User) error { u.Username = "Admin"; return nil })
		f.must(err)
		// Look-alikes are found by LooksLike; the exact name finds none of them.
		found, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{LooksLike: "ａdmіn"})
		f.must(err)
		wantIDs(f, ids(f, found), admin.ID)
		_, err = f.s.GetUserByUsername(f.ctx, f.site.ID, "ａdmin")
		f.wantErr(err, store.ErrNotFound)
		// A deleted name is free again.
		f.must(f.s.DeleteUser(f.ctx, f.site.ID, admin.ID))
		again := store.User{SiteID: f.site.ID, Username: "ａdmin"}
		f.must(f.s.CreateUser(f.ctx, &again))
	}},
	{"NoteSignIn", func(f *fixture) {
		u := fullUser(f.site.ID)
		f.must(f.s.CreateUser(f.ctx, &u))
		when := at(48 * time.Hour)
		noted, err := f.s.NoteSignIn(f.ctx, f.site.ID, u.ID, store.SignInSFTP, when)
		f.must(err)
		got, err := f.s.GetUser(f.ctx, f.site.ID, u.ID)
		f.must(err)
		equal(f, noted, got)
		want := u
		want.FailedLogins, want.FailedLoginsSince, want.LockoutExpires = 0, time.Time{}, time.Time{}
		want.LastLoginAt, want.LastSFTPLoginAt = micro(when), micro(when)
		want.UpdatedAt = got.UpdatedAt
		equal(f, got, want) // first_login_at was set: it stays
		if !got.UpdatedAt.After(u.UpdatedAt) && !got.UpdatedAt.Equal(u.UpdatedAt) {
			f.t.Fatalf("updated_at went back: %v -> %v", u.UpdatedAt, got.UpdatedAt)
		}

		fresh := f.user("fresh")
		got, err = f.s.NoteSignIn(f.ctx, f.site.ID, fresh.ID, store.SignInWeb, when)
		f.must(err)
		if got.FirstLoginAt != micro(when) || got.LastWebLoginAt != micro(when) || !got.LastSFTPLoginAt.IsZero() {
			f.t.Fatalf("first sign-in on the web: %+v", got)
		}
		_, err = f.s.NoteSignIn(f.ctx, f.site.ID, fresh.ID+1000, store.SignInWeb, when)
		f.wantErr(err, store.ErrNotFound)
		other := store.Site{Subdomain: "note-sign-in", Name: "Other"}
		f.must(f.s.CreateSite(f.ctx, &other))
		_, err = f.s.NoteSignIn(f.ctx, other.ID, fresh.ID, store.SignInWeb, when)
		f.wantErr(err, store.ErrNotFound)
	}},
	{"CreateGet", func(f *fixture) {
		u := fullUser(f.site.ID)
		f.must(f.s.CreateUser(f.ctx, &u))
		if u.ID == 0 || u.CreatedAt.IsZero() || u.UpdatedAt.IsZero() {
			f.t.Fatalf("CreateUser did not set id and times: %+v", u)
		}
		if u.LastAPIUseAt != micro(at(12*time.Hour)) {
			f.t.Fatalf("times are kept in UTC at microsecond precision; got %v", u.LastAPIUseAt)
		}
		got, err := f.s.GetUser(f.ctx, f.site.ID, u.ID)
		f.must(err)
		equal(f, got, u)
		zero := f.user("zero")
		got, err = f.s.GetUser(f.ctx, f.site.ID, zero.ID)
		f.must(err)
		equal(f, got, zero)
		if !got.LastLoginAt.IsZero() {
			f.t.Fatal("a zero time must read back as zero")
		}
	}},
	{"ByUsernameIgnoresCase", func(f *fixture) {
		u := f.user("Änne.Müller")
		for _, q := range []string{"Änne.Müller", "änne.müller", "ÄNNE.MÜLLER"} {
			got, err := f.s.GetUserByUsername(f.ctx, f.site.ID, q)
			f.must(err)
			equal(f, got, u)
		}
		_, err := f.s.GetUserByUsername(f.ctx, f.site.ID, "anne.muller")
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.GetUserByUsername(f.ctx, f.other.ID, "änne.müller")
		f.wantErr(err, store.ErrNotFound)
	}},
	{"DuplicateUsername", func(f *fixture) {
		f.user("Alice")
		dup := store.User{SiteID: f.site.ID, Username: "aLICE"}
		f.wantErr(f.s.CreateUser(f.ctx, &dup), store.ErrConflict)
		f.userOn(f.other.ID, "alice") // another site may have its own alice
		bob := f.user("bob")
		_, err := f.s.UpdateUser(f.ctx, f.site.ID, bob.ID, func(u *store.User) error { u.Username = "ALICE"; return nil })
		f.wantErr(err, store.ErrConflict)
		got, err := f.s.GetUser(f.ctx, f.site.ID, bob.ID)
		f.must(err)
		equal(f, got, bob)
		// Changing only the case of one's own name is no conflict.
		_, err = f.s.UpdateUser(f.ctx, f.site.ID, bob.ID, func(u *store.User) error { u.Username = "Bob"; return nil })
		f.must(err)
	}},
	{"MissingSite", func(f *fixture) {
		u := store.User{SiteID: 987654, Username: "ghost"}
		f.wantErr(f.s.CreateUser(f.ctx, &u), store.ErrNotFound)
	}},
	{"SiteIsolation", func(f *fixture) {
		theirs := f.userOn(f.other.ID, "theirs")
		_, err := f.s.GetUser(f.ctx, f.site.ID, theirs.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.UpdateUser(f.ctx, f.site.ID, theirs.ID, func(u *store.User) error { u.Name = "x"; return nil })
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteUser(f.ctx, f.site.ID, theirs.ID), store.ErrNotFound)
		list, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{})
		f.must(err)
		wantIDs(f, ids(f, list))
		got, err := f.s.GetUser(f.ctx, f.other.ID, theirs.ID)
		f.must(err)
		equal(f, got, theirs)
	}},
	{"ListPages", func(f *fixture) {
		var all []int64
		for i := range 7 {
			all = append(all, f.user(name("user", i)).ID)
		}
		f.userOn(f.other.ID, "elsewhere")
		list, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{})
		f.must(err)
		wantIDs(f, ids(f, list), all...)
		var paged []int64
		after := int64(0)
		for {
			page, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{ListOptions: store.ListOptions{AfterID: after, Limit: 3}})
			f.must(err)
			if len(page) == 0 {
				break
			}
			if len(page) > 3 {
				f.t.Fatalf("page of %d with Limit 3", len(page))
			}
			paged = append(paged, ids(f, page)...)
			after = page[len(page)-1].ID
		}
		wantIDs(f, paged, all...)
	}},
	{"ListFilters", func(f *fixture) {
		a := f.user("alpha", func(u *store.User) { u.Email = "Alpha@Example.com"; u.Name = "Zed Alpha" })
		b := f.user("beta", func(u *store.User) {
			u.Email = "beta@example.org"
			u.Name = "Al Beta"
			u.SSOStrategyID, u.ExternalID = 3, "ext-b"
		})
		c := f.user("al_pha", func(u *store.User) { u.SSOStrategyID, u.ExternalID = 3, "ext-c" })
		d := f.user("100%", func(u *store.User) { u.SSOStrategyID, u.ExternalID = 4, "ext-b" })
		cases := []struct {
			q    store.UserQuery
			want []int64
		}{
			{store.UserQuery{Username: "ALPHA"}, []int64{a.ID}},
			{store.UserQuery{Email: "alpha@example.COM"}, []int64{a.ID}},
			{store.UserQuery{SSOStrategyID: 3}, []int64{b.ID, c.ID}},
			{store.UserQuery{SSOStrategyID: 3, ExternalID: "ext-b"}, []int64{b.ID}},
			{store.UserQuery{ExternalID: "ext-b"}, []int64{b.ID, d.ID}},
			{store.UserQuery{Search: "AL"}, []int64{a.ID, b.ID, c.ID}}, // username, email or name
			{store.UserQuery{Search: "al_"}, []int64{c.ID}},            // _ is no wildcard
			{store.UserQuery{Search: "100%"}, []int64{d.ID}},           // nor is %
			{store.UserQuery{Search: "%"}, nil},
			{store.UserQuery{Search: "example"}, nil}, // a prefix, not a substring
			{store.UserQuery{Search: "beta@"}, []int64{b.ID}},
			{store.UserQuery{Search: "zed"}, []int64{a.ID}},
			{store.UserQuery{Username: "nobody"}, nil},
		}
		for _, tc := range cases {
			list, err := f.s.ListUsers(f.ctx, f.site.ID, tc.q)
			f.must(err)
			if got := ids(f, list); len(got) != len(tc.want) || (len(got) > 0 && !equalIDs(got, tc.want)) {
				f.t.Fatalf("query %+v: got %v, want %v", tc.q, got, tc.want)
			}
			n, err := f.s.CountUsers(f.ctx, f.site.ID, tc.q)
			f.must(err)
			if n != len(tc.want) {
				f.t.Fatalf("count %+v: got %d, want %d", tc.q, n, len(tc.want))
			}
		}
		n, err := f.s.CountUsers(f.ctx, f.site.ID, store.UserQuery{ListOptions: store.ListOptions{Limit: 1}})
		f.must(err)
		if n != 4 {
			f.t.Fatalf("CountUsers ignores paging: got %d, want 4", n)
		}
	}},
	{"SearchFewAndMany", func(f *fixture) {
		// A search that matches a few users and one that matches more
		// than a page's worth many times over are read differently (see
		// the driver); both must find exactly the users whose username,
		// e-mail or name starts with the text, in the list's order, a
		// keyset page at a time.
		var many []int64
		f.must(f.s.Tx(f.ctx, func(ctx context.Context) error {
			for i := range 2100 {
				u := store.User{SiteID: f.site.ID, Username: fmt.Sprintf("many%04d", i), Email: fmt.Sprintf("m%04d@example.com", i),
					Name: fmt.Sprintf("Person %04d", 2099-i), AuthenticationMethod: store.AuthPassword}
				if err := f.s.CreateUser(ctx, &u); err != nil {
					return err
				}
				many = append(many, u.ID)
			}
			return nil
		}))
		edge := f.user("manz", func(u *store.User) { u.Name = "Many Edge" })                 // by name only
		brace := f.user("man{", func(u *store.User) { u.Email = "x@example.com" })           // the byte after "z"
		manana := f.user("mañana", func(u *store.User) { u.Email = "tomorrow@example.com" }) // its username only starts with "mañ"
		f.userOn(f.other.ID, "many-elsewhere")
		q := func(search, field string, desc bool) store.UserQuery {
			return store.UserQuery{Search: search, ListOptions: store.ListOptions{Sort: store.Sort{Field: field, Desc: desc}}}
		}
		walk := func(q store.UserQuery) []int64 {
			out := []int64{}
			q.Limit = 300
			for {
				page, err := f.s.ListUsers(f.ctx, f.site.ID, q)
				f.must(err)
				if len(page) == 0 {
					return out
				}
				out = append(out, ids(f, page)...)
				last := page[len(page)-1]
				q.AfterID, q.Sort.After = last.ID, store.UserSortValue(last, q.Sort.Field)
			}
		}
		byName := append([]int64{}, many...)
		slices.Reverse(byName)
		wantIDs(f, walk(q("MANY", "username", false)), append(append([]int64{}, many...), edge.ID)...)
		wantIDs(f, walk(q("person", "name", false)), byName...)
		wantIDs(f, walk(q("many", "username", true)), append([]int64{edge.ID}, byName...)...)
		wantIDs(f, walk(q("many00", "username", false)), many[:100]...)
		wantIDs(f, walk(q("m0042", "", false)), many[42])
		wantIDs(f, walk(q("man", "username", false)), append(append([]int64{}, many...), edge.ID, brace.ID)...)
		wantIDs(f, walk(q("mañ", "", false)), manana.ID)
		for _, search := range []string{"many", "many00", "nobody"} {
			n, err := f.s.CountUsers(f.ctx, f.site.ID, store.UserQuery{Search: search})
			f.must(err)
			want := map[string]int{"many": 2101, "many00": 100, "nobody": 0}[search]
			if n != want {
				f.t.Fatalf("count %q: %d, want %d", search, n, want)
			}
		}
	}},
	{"Update", func(f *fixture) {
		u := f.user("carol")
		got, err := f.s.UpdateUser(f.ctx, f.site.ID, u.ID, func(x *store.User) error {
			x.Email, x.Disabled, x.LastLoginAt = "carol@example.com", true, at(time.Minute)
			x.ID, x.SiteID, x.CreatedAt = 0, f.other.ID, time.Time{} // ignored
			return nil
		})
		f.must(err)
		if got.ID != u.ID || got.SiteID != u.SiteID || !got.CreatedAt.Equal(u.CreatedAt) ||
			got.Email != "carol@example.com" || !got.Disabled || got.LastLoginAt != micro(at(time.Minute)) ||
			got.UpdatedAt.Before(u.UpdatedAt) {
			f.t.Fatalf("update gave %+v", got)
		}
		read, err := f.s.GetUser(f.ctx, f.site.ID, u.ID)
		f.must(err)
		equal(f, read, got)
		byEmail, err := f.s.ListUsers(f.ctx, f.site.ID, store.UserQuery{Email: "CAROL@example.com"})
		f.must(err)
		wantIDs(f, ids(f, byEmail), u.ID)
		// A caller-set UpdatedAt (from an injected clock) is kept.
		got, err = f.s.UpdateUser(f.ctx, f.site.ID, u.ID, func(x *store.User) error { x.UpdatedAt = at(time.Hour); return nil })
		f.must(err)
		if got.UpdatedAt != micro(at(time.Hour)) {
			f.t.Fatalf("UpdatedAt set by fn was replaced: %v", got.UpdatedAt)
		}
	}},
	{"UpdateFnErrorChangesNothing", func(f *fixture) {
		u := f.user("dave")
		_, err := f.s.UpdateUser(f.ctx, f.site.ID, u.ID, func(x *store.User) error {
			x.Name, x.SiteAdmin = "changed", true
			return errFromFn
		})
		f.wantErr(err, errFromFn)
		got, err := f.s.GetUser(f.ctx, f.site.ID, u.ID)
		f.must(err)
		equal(f, got, u)
		_, err = f.s.UpdateUser(f.ctx, f.site.ID, 31337, func(*store.User) error { return nil })
		f.wantErr(err, store.ErrNotFound)
	}},
	{"DeleteCascades", func(f *fixture) {
		gone, kept := f.user("gone"), f.user("kept")
		g := f.group("team")
		for _, u := range []store.User{gone, kept} {
			f.must(f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: f.site.ID, GroupID: g.ID, UserID: u.ID}))
			f.must(f.s.CreateSession(f.ctx, &store.Session{SiteID: f.site.ID, UserID: u.ID,
				TokenHash: []byte("session-" + u.Username), ExpiresAt: time.Now().Add(time.Hour)}))
			f.must(f.s.CreateAPIKey(f.ctx, &store.APIKey{SiteID: f.site.ID, UserID: u.ID, KeyHash: []byte("key-" + u.Username)}))
			f.must(f.s.CreatePublicKey(f.ctx, &store.PublicKey{SiteID: f.site.ID, UserID: u.ID, Title: u.Username}))
		}
		f.must(f.s.DeleteUser(f.ctx, f.site.ID, gone.ID))
		_, err := f.s.GetUser(f.ctx, f.site.ID, gone.ID)
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteUser(f.ctx, f.site.ID, gone.ID), store.ErrNotFound)
		for _, c := range []struct {
			user int64
			want int
		}{{gone.ID, 0}, {kept.ID, 1}} {
			members, err := f.s.ListGroupUsers(f.ctx, f.site.ID, store.GroupUserQuery{UserID: c.user})
			f.must(err)
			apiKeys, err := f.s.ListAPIKeys(f.ctx, f.site.ID, store.KeyQuery{UserID: c.user})
			f.must(err)
			pubKeys, err := f.s.ListPublicKeys(f.ctx, f.site.ID, store.KeyQuery{UserID: c.user})
			f.must(err)
			if len(members) != c.want || len(apiKeys) != c.want || len(pubKeys) != c.want {
				f.t.Fatalf("user %d: %d memberships, %d API keys, %d public keys; want %d each",
					c.user, len(members), len(apiKeys), len(pubKeys), c.want)
			}
		}
		_, err = f.s.GetSessionByHash(f.ctx, []byte("session-gone"), time.Now())
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.GetSessionByHash(f.ctx, []byte("session-kept"), time.Now())
		f.must(err)
		_, err = f.s.GetAPIKeyByHash(f.ctx, []byte("key-gone"))
		f.wantErr(err, store.ErrNotFound)
	}},
	{"CountEnabledPasswordAdmins", func(f *fixture) {
		admin := func(u *store.User) { u.SiteAdmin = true }
		f.user("a1", admin)
		f.user("a2", admin)
		f.user("disabled", admin, func(u *store.User) { u.Disabled = true })
		f.user("sso", admin, func(u *store.User) { u.AuthenticationMethod = store.AuthSSO })
		f.user("none", admin, func(u *store.User) { u.AuthenticationMethod = store.AuthNone })
		f.user("plain")
		f.userOn(f.other.ID, "a3", admin)
		n, err := f.s.CountEnabledPasswordAdmins(f.ctx, f.site.ID)
		f.must(err)
		if n != 2 {
			f.t.Fatalf("got %d enabled password admins, want 2", n)
		}
	}},
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
