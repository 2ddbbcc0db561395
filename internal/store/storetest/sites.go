package storetest

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var siteTests = []test{
	{"CreateGet", func(f *fixture) {
		if f.site.ID == 0 || f.site.CreatedAt.IsZero() || !f.site.UpdatedAt.Equal(f.site.CreatedAt) {
			f.t.Fatalf("CreateSite did not set id and times: %+v", f.site)
		}
		got, err := f.s.GetSite(f.ctx, f.site.ID)
		f.must(err)
		equal(f, got, f.site)
		_, err = f.s.GetSite(f.ctx, f.other.ID+1000)
		f.wantErr(err, store.ErrNotFound)
	}},
	{"EveryFieldRoundTrips", func(f *fixture) {
		s := store.Site{Subdomain: "Full", Name: "Full site", SessionExpiryMinutes: 17, NonSSOUsersAllowed: true,
			UserLockout: true, UserLockoutTries: 3, UserLockoutWithin: 4, UserLockoutLockPeriod: 5,
			PasswordMinLength: 14, LoginHelpText: "Call \"IT\" on ext. 42\nor write.", EventRetentionDays: 30,
			CreatedAt: at(-time.Hour), UpdatedAt: at(0)}
		f.must(f.s.CreateSite(f.ctx, &s))
		if s.CreatedAt != micro(at(-time.Hour)) {
			f.t.Fatalf("a given CreatedAt is kept, in UTC at microsecond precision; got %v", s.CreatedAt)
		}
		got, err := f.s.GetSite(f.ctx, s.ID)
		f.must(err)
		equal(f, got, s)
	}},
	{"PublicAddress", func(f *fixture) {
		_, err := f.s.PublicAddress(f.ctx)
		f.wantErr(err, store.ErrNotFound)
		for _, a := range []store.PublicAddress{{BaseURL: "https://files.example.com", SiteDomain: "files.example.com"},
			{BaseURL: "http://127.0.0.1:8080"}} {
			f.must(f.s.SetPublicAddress(f.ctx, a))
			got, err := f.s.PublicAddress(f.ctx)
			f.must(err)
			equal(f, got, a)
		}
	}},
	{"DefaultSite", func(f *fixture) {
		got, err := f.s.DefaultSite(f.ctx)
		f.must(err)
		equal(f, got, f.site)
		second := store.Site{Name: "Second default", IsDefault: true, Subdomain: "second"}
		f.wantErr(f.s.CreateSite(f.ctx, &second), store.ErrConflict)
		_, err = f.s.UpdateSite(f.ctx, f.other.ID, func(s *store.Site) error { s.IsDefault = true; return nil })
		f.wantErr(err, store.ErrConflict)
	}},
	{"NoDefaultSiteBeforeSetup", func(f *fixture) {
		_, err := f.s.UpdateSite(f.ctx, f.site.ID, func(s *store.Site) error { s.IsDefault = false; return nil })
		f.must(err)
		_, err = f.s.DefaultSite(f.ctx)
		f.wantErr(err, store.ErrNotFound)
	}},
	{"BySubdomain", func(f *fixture) {
		got, err := f.s.GetSiteBySubdomain(f.ctx, "OTHER")
		f.must(err)
		equal(f, got, f.other)
		_, err = f.s.GetSiteBySubdomain(f.ctx, "nope")
		f.wantErr(err, store.ErrNotFound)
		// The default site has no subdomain; "" names no site.
		_, err = f.s.GetSiteBySubdomain(f.ctx, "")
		f.wantErr(err, store.ErrNotFound)
		dup := store.Site{Name: "Dup", Subdomain: "Other"}
		f.wantErr(f.s.CreateSite(f.ctx, &dup), store.ErrConflict)
		// Many sites may have no subdomain.
		a, b := store.Site{Name: "A"}, store.Site{Name: "B"}
		f.must(f.s.CreateSite(f.ctx, &a))
		f.must(f.s.CreateSite(f.ctx, &b))
	}},
	{"Update", func(f *fixture) {
		before := f.site
		got, err := f.s.UpdateSite(f.ctx, f.site.ID, func(s *store.Site) error {
			s.Name, s.PasswordMinLength = "Renamed", 20
			s.ID, s.CreatedAt = 999, time.Time{} // not the caller's to change
			return nil
		})
		f.must(err)
		if got.Name != "Renamed" || got.PasswordMinLength != 20 || got.ID != before.ID ||
			!got.CreatedAt.Equal(before.CreatedAt) || got.UpdatedAt.Before(before.UpdatedAt) {
			f.t.Fatalf("update gave %+v", got)
		}
		read, err := f.s.GetSite(f.ctx, f.site.ID)
		f.must(err)
		equal(f, read, got)
		_, err = f.s.UpdateSite(f.ctx, f.site.ID, func(s *store.Site) error { s.Name = "Lost"; return errFromFn })
		f.wantErr(err, errFromFn)
		read, err = f.s.GetSite(f.ctx, f.site.ID)
		f.must(err)
		equal(f, read, got)
		_, err = f.s.UpdateSite(f.ctx, 424242, func(*store.Site) error { return nil })
		f.wantErr(err, store.ErrNotFound)
	}},
	{"List", func(f *fixture) {
		all, err := f.s.ListSites(f.ctx, store.ListOptions{})
		f.must(err)
		wantIDs(f, ids(f, all), f.site.ID, f.other.ID)
		equal(f, all[0], f.site)
		third := store.Site{Name: "Third", Subdomain: "third"}
		f.must(f.s.CreateSite(f.ctx, &third))
		page, err := f.s.ListSites(f.ctx, store.ListOptions{AfterID: f.site.ID, Limit: 1})
		f.must(err)
		wantIDs(f, ids(f, page), f.other.ID)
		rest, err := f.s.ListSites(f.ctx, store.ListOptions{AfterID: f.other.ID})
		f.must(err)
		wantIDs(f, ids(f, rest), third.ID)
	}},
}
