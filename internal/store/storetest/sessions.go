package storetest

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var sessionTests = []test{
	{"CreateFindExpire", func(f *fixture) {
		u := f.user("sessioned")
		now := at(0)
		se := store.Session{SiteID: f.site.ID, UserID: u.ID, TokenHash: []byte("tok"), Channel: "web",
			IP: "2001:db8::1", UserAgent: "Mozilla/5.0 (X11)", SSOSessionIndex: "_idx-1", ExpiresAt: now.Add(time.Hour)}
		f.must(f.s.CreateSession(f.ctx, &se))
		if se.ID == 0 || se.CreatedAt.IsZero() {
			f.t.Fatalf("CreateSession did not set id and time: %+v", se)
		}
		got, err := f.s.GetSessionByHash(f.ctx, []byte("tok"), now)
		f.must(err)
		equal(f, got, se)
		_, err = f.s.GetSessionByHash(f.ctx, []byte("tok"), now.Add(time.Hour-time.Microsecond))
		f.must(err)
		for _, later := range []time.Time{now.Add(time.Hour), now.Add(2 * time.Hour)} {
			_, err = f.s.GetSessionByHash(f.ctx, []byte("tok"), later)
			f.wantErr(err, store.ErrNotFound)
		}
		for _, h := range [][]byte{nil, []byte("other")} {
			_, err = f.s.GetSessionByHash(f.ctx, h, now)
			f.wantErr(err, store.ErrNotFound)
		}
		dup := store.Session{SiteID: f.site.ID, UserID: u.ID, TokenHash: []byte("tok"), ExpiresAt: now.Add(time.Hour)}
		f.wantErr(f.s.CreateSession(f.ctx, &dup), store.ErrConflict)
	}},
	{"DeleteOthers", func(f *fixture) {
		u1, u2 := f.user("u1"), f.user("u2")
		mk := func(userID int64, tok string) store.Session {
			se := store.Session{SiteID: f.site.ID, UserID: userID, TokenHash: []byte(tok), ExpiresAt: at(time.Hour)}
			f.must(f.s.CreateSession(f.ctx, &se))
			return se
		}
		keep := mk(u1.ID, "keep")
		mk(u1.ID, "other-1")
		mk(u1.ID, "other-2")
		theirs := mk(u2.ID, "theirs")
		n, err := f.s.DeleteOtherUserSessions(f.ctx, f.site.ID, u1.ID, keep.ID)
		f.must(err)
		if n != 2 {
			f.t.Fatalf("DeleteOtherUserSessions ended %d sessions, want 2", n)
		}
		for _, tok := range []string{"keep", "theirs"} {
			if _, err := f.s.GetSessionByHash(f.ctx, []byte(tok), at(0)); err != nil {
				f.t.Fatalf("session %s was ended: %v", tok, err)
			}
		}
		// Another site's id of the same user number is no way in.
		n, err = f.s.DeleteOtherUserSessions(f.ctx, f.other.ID, u2.ID, 0)
		f.must(err)
		if n != 0 {
			f.t.Fatalf("ended %d sessions through another site", n)
		}
		n, err = f.s.DeleteOtherUserSessions(f.ctx, f.site.ID, u1.ID, 0)
		f.must(err)
		if n != 1 {
			f.t.Fatalf("keepID 0 ended %d sessions, want the last one", n)
		}
		_ = theirs
	}},
	{"Refused", func(f *fixture) {
		u := f.user("u")
		forever := store.Session{SiteID: f.site.ID, UserID: u.ID, TokenHash: []byte("forever")}
		if err := f.s.CreateSession(f.ctx, &forever); err == nil {
			f.t.Fatal("a session without an expiry time was stored")
		}
		ou := f.userOn(f.other.ID, "them")
		cross := store.Session{SiteID: f.site.ID, UserID: ou.ID, TokenHash: []byte("cross"), ExpiresAt: at(time.Hour)}
		f.wantErr(f.s.CreateSession(f.ctx, &cross), store.ErrNotFound)
	}},
	{"Delete", func(f *fixture) {
		u1, u2 := f.user("u1"), f.user("u2")
		ou := f.userOn(f.other.ID, "them")
		mk := func(siteID, userID int64, tok string, exp time.Duration) store.Session {
			se := store.Session{SiteID: siteID, UserID: userID, TokenHash: []byte(tok), ExpiresAt: at(exp)}
			f.must(f.s.CreateSession(f.ctx, &se))
			return se
		}
		a := mk(f.site.ID, u1.ID, "a", time.Hour)
		mk(f.site.ID, u1.ID, "b", time.Hour)
		mk(f.site.ID, u2.ID, "c", time.Hour)
		theirs := mk(f.other.ID, ou.ID, "d", time.Hour)
		f.wantErr(f.s.DeleteSession(f.ctx, f.site.ID, theirs.ID), store.ErrNotFound)
		f.must(f.s.DeleteSession(f.ctx, f.site.ID, a.ID))
		f.wantErr(f.s.DeleteSession(f.ctx, f.site.ID, a.ID), store.ErrNotFound)
		n, err := f.s.DeleteUserSessions(f.ctx, f.site.ID, u1.ID)
		f.must(err)
		if n != 1 {
			f.t.Fatalf("DeleteUserSessions said %d, want 1", n)
		}
		n, err = f.s.DeleteUserSessions(f.ctx, f.site.ID, ou.ID) // another site's user
		f.must(err)
		if n != 0 {
			f.t.Fatalf("DeleteUserSessions removed %d sessions of another site", n)
		}
		for tok, want := range map[string]error{"a": store.ErrNotFound, "b": store.ErrNotFound, "c": nil, "d": nil} {
			_, err := f.s.GetSessionByHash(f.ctx, []byte(tok), at(0))
			if want == nil {
				f.must(err)
			} else {
				f.wantErr(err, want)
			}
		}
	}},
	{"DeleteExpired", func(f *fixture) {
		u, ou := f.user("u"), f.userOn(f.other.ID, "them")
		for i, exp := range []time.Duration{-time.Hour, -time.Second, 0, time.Second, time.Hour} {
			for _, site := range []struct{ site, user int64 }{{f.site.ID, u.ID}, {f.other.ID, ou.ID}} {
				f.must(f.s.CreateSession(f.ctx, &store.Session{SiteID: site.site, UserID: site.user,
					TokenHash: []byte(name("t", i) + name("s", int(site.site))), ExpiresAt: at(exp)}))
			}
		}
		n, err := f.s.DeleteExpiredSessions(f.ctx, at(0))
		f.must(err)
		if n != 6 { // three per site: expired before now, and at now
			f.t.Fatalf("DeleteExpiredSessions removed %d, want 6", n)
		}
		n, err = f.s.DeleteExpiredSessions(f.ctx, at(0))
		f.must(err)
		if n != 0 {
			f.t.Fatalf("second DeleteExpiredSessions removed %d", n)
		}
		_, err = f.s.GetSessionByHash(f.ctx, []byte(name("t", 3)+name("s", int(f.site.ID))), at(0))
		f.must(err)
	}},
}

var ssoSessionTests = []test{
	{"DeleteSSOSessions", func(f *fixture) {
		u1, u2 := f.user("u1"), f.user("u2")
		ou := f.userOn(f.other.ID, "them")
		mk := func(siteID, userID int64, tok, idx string) {
			f.must(f.s.CreateSession(f.ctx, &store.Session{SiteID: siteID, UserID: userID, TokenHash: []byte(tok),
				SSOSessionIndex: idx, ExpiresAt: at(time.Hour)}))
		}
		mk(f.site.ID, u1.ID, "a", "_idx-1")
		mk(f.site.ID, u1.ID, "b", "_idx-2")
		mk(f.site.ID, u1.ID, "c", "")
		mk(f.site.ID, u2.ID, "d", "_idx-1")
		mk(f.other.ID, ou.ID, "e", "_idx-1")
		for _, tc := range []struct {
			siteID, userID int64
			idx            string
			want           int
		}{
			{f.site.ID, u1.ID, "", 0},        // an empty index never matches password sessions
			{f.site.ID, ou.ID, "_idx-1", 0},  // another site's user
			{f.other.ID, u1.ID, "_idx-1", 0}, // the user on another site
			{f.site.ID, u1.ID, "_idx-1", 1},  // only that session
			{f.site.ID, u1.ID, "_idx-1", 0},  // already ended
		} {
			n, err := f.s.DeleteSSOSessions(f.ctx, tc.siteID, tc.userID, tc.idx)
			f.must(err)
			if n != tc.want {
				f.t.Fatalf("DeleteSSOSessions(%d, %d, %q) = %d, want %d", tc.siteID, tc.userID, tc.idx, n, tc.want)
			}
		}
		for tok, want := range map[string]error{"a": store.ErrNotFound, "b": nil, "c": nil, "d": nil, "e": nil} {
			_, err := f.s.GetSessionByHash(f.ctx, []byte(tok), at(0))
			if want == nil {
				f.must(err)
			} else {
				f.wantErr(err, want)
			}
		}
	}},
}
