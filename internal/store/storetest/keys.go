package storetest

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var apiKeyTests = []test{
	{"CreateGetByHash", func(f *fixture) {
		u := f.user("keyholder")
		k := store.APIKey{SiteID: f.site.ID, UserID: u.ID, Name: "ci", Description: "for the build",
			DescriptiveLabel: "ghk_abcd…", KeyHash: []byte{0, 1, 2, 0xfe, 0xff}, PermissionSet: "full",
			ExpiresAt: at(24 * time.Hour), ExpiresCeiling: at(48 * time.Hour), LastUseAt: at(time.Hour)}
		f.must(f.s.CreateAPIKey(f.ctx, &k))
		if k.ID == 0 || k.CreatedAt.IsZero() {
			f.t.Fatalf("CreateAPIKey did not set id and time: %+v", k)
		}
		got, err := f.s.GetAPIKey(f.ctx, f.site.ID, k.ID)
		f.must(err)
		equal(f, got, k)
		got, err = f.s.GetAPIKeyByHash(f.ctx, []byte{0, 1, 2, 0xfe, 0xff})
		f.must(err)
		equal(f, got, k)
		for _, h := range [][]byte{nil, {}, {0, 1, 2}, []byte("nope")} {
			_, err = f.s.GetAPIKeyByHash(f.ctx, h)
			f.wantErr(err, store.ErrNotFound)
		}
		dup := store.APIKey{SiteID: f.other.ID, KeyHash: k.KeyHash}
		f.wantErr(f.s.CreateAPIKey(f.ctx, &dup), store.ErrConflict)
	}},
	{"SiteKeyAndOtherSites", func(f *fixture) {
		siteKey := store.APIKey{SiteID: f.site.ID, Name: "site-wide", KeyHash: []byte("site")}
		f.must(f.s.CreateAPIKey(f.ctx, &siteKey))
		got, err := f.s.GetAPIKey(f.ctx, f.site.ID, siteKey.ID)
		f.must(err)
		equal(f, got, siteKey)
		theirs := store.APIKey{SiteID: f.other.ID, KeyHash: []byte("theirs")}
		f.must(f.s.CreateAPIKey(f.ctx, &theirs))
		// By hash a key of any site is found; the caller checks the site.
		got, err = f.s.GetAPIKeyByHash(f.ctx, []byte("theirs"))
		f.must(err)
		equal(f, got, theirs)
		_, err = f.s.GetAPIKey(f.ctx, f.site.ID, theirs.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.UpdateAPIKey(f.ctx, f.site.ID, theirs.ID, func(k *store.APIKey) error { k.Name = "x"; return nil })
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteAPIKey(f.ctx, f.site.ID, theirs.ID), store.ErrNotFound)
		ou := f.userOn(f.other.ID, "them")
		bad := store.APIKey{SiteID: f.site.ID, UserID: ou.ID, KeyHash: []byte("cross")}
		f.wantErr(f.s.CreateAPIKey(f.ctx, &bad), store.ErrNotFound)
	}},
	{"ListUpdateDelete", func(f *fixture) {
		u1, u2 := f.user("one"), f.user("two")
		mk := func(userID int64, h string) int64 {
			k := store.APIKey{SiteID: f.site.ID, UserID: userID, KeyHash: []byte(h)}
			f.must(f.s.CreateAPIKey(f.ctx, &k))
			return k.ID
		}
		a, b, c, d := mk(u1.ID, "a"), mk(u2.ID, "b"), mk(0, "c"), mk(u1.ID, "d")
		f.must(f.s.CreateAPIKey(f.ctx, &store.APIKey{SiteID: f.other.ID, KeyHash: []byte("e")}))
		all, err := f.s.ListAPIKeys(f.ctx, f.site.ID, store.KeyQuery{})
		f.must(err)
		wantIDs(f, ids(f, all), a, b, c, d)
		mine, err := f.s.ListAPIKeys(f.ctx, f.site.ID, store.KeyQuery{UserID: u1.ID})
		f.must(err)
		wantIDs(f, ids(f, mine), a, d)
		page, err := f.s.ListAPIKeys(f.ctx, f.site.ID, store.KeyQuery{ListOptions: store.ListOptions{AfterID: a, Limit: 2}})
		f.must(err)
		wantIDs(f, ids(f, page), b, c)
		upd, err := f.s.UpdateAPIKey(f.ctx, f.site.ID, a, func(k *store.APIKey) error {
			k.Name, k.LastUseAt, k.ExpiresCeiling = "renamed", at(0), at(time.Hour)
			k.UserID, k.KeyHash = u2.ID, []byte("stolen") // neither may change
			return nil
		})
		f.must(err)
		if upd.Name != "renamed" || upd.UserID != u1.ID || string(upd.KeyHash) != "a" || upd.LastUseAt != micro(at(0)) ||
			upd.ExpiresCeiling != micro(at(time.Hour)) {
			f.t.Fatalf("update gave %+v", upd)
		}
		got, err := f.s.GetAPIKey(f.ctx, f.site.ID, a)
		f.must(err)
		equal(f, got, upd)
		_, err = f.s.UpdateAPIKey(f.ctx, f.site.ID, a, func(k *store.APIKey) error { k.Name = "lost"; return errFromFn })
		f.wantErr(err, errFromFn)
		f.must(f.s.DeleteAPIKey(f.ctx, f.site.ID, a))
		_, err = f.s.GetAPIKeyByHash(f.ctx, []byte("a"))
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeleteAPIKey(f.ctx, f.site.ID, a), store.ErrNotFound)
	}},
}

var publicKeyTests = []test{
	{"CRUD", func(f *fixture) {
		u := f.user("sshuser")
		k := store.PublicKey{SiteID: f.site.ID, UserID: u.ID, Title: "laptop",
			PublicKey:         "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl laptop",
			FingerprintSHA256: "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU", LastLoginAt: at(0)}
		f.must(f.s.CreatePublicKey(f.ctx, &k))
		got, err := f.s.GetPublicKey(f.ctx, f.site.ID, k.ID)
		f.must(err)
		equal(f, got, k)
		k2 := store.PublicKey{SiteID: f.site.ID, UserID: f.user("other").ID, Title: "desktop"}
		f.must(f.s.CreatePublicKey(f.ctx, &k2))
		all, err := f.s.ListPublicKeys(f.ctx, f.site.ID, store.KeyQuery{})
		f.must(err)
		wantIDs(f, ids(f, all), k.ID, k2.ID)
		mine, err := f.s.ListPublicKeys(f.ctx, f.site.ID, store.KeyQuery{UserID: u.ID})
		f.must(err)
		wantIDs(f, ids(f, mine), k.ID)
		page, err := f.s.ListPublicKeys(f.ctx, f.site.ID, store.KeyQuery{ListOptions: store.ListOptions{AfterID: k.ID}})
		f.must(err)
		wantIDs(f, ids(f, page), k2.ID)
		upd, err := f.s.UpdatePublicKey(f.ctx, f.site.ID, k.ID, func(x *store.PublicKey) error {
			x.Title, x.UserID = "old laptop", k2.UserID
			return nil
		})
		f.must(err)
		if upd.Title != "old laptop" || upd.UserID != u.ID {
			f.t.Fatalf("update gave %+v", upd)
		}
		_, err = f.s.UpdatePublicKey(f.ctx, f.site.ID, k.ID, func(x *store.PublicKey) error { x.Title = "lost"; return errFromFn })
		f.wantErr(err, errFromFn)
		got, err = f.s.GetPublicKey(f.ctx, f.site.ID, k.ID)
		f.must(err)
		equal(f, got, upd)
		f.must(f.s.DeletePublicKey(f.ctx, f.site.ID, k.ID))
		_, err = f.s.GetPublicKey(f.ctx, f.site.ID, k.ID)
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeletePublicKey(f.ctx, f.site.ID, k.ID), store.ErrNotFound)
	}},
	{"SiteIsolation", func(f *fixture) {
		ou := f.userOn(f.other.ID, "them")
		theirs := store.PublicKey{SiteID: f.other.ID, UserID: ou.ID, Title: "theirs"}
		f.must(f.s.CreatePublicKey(f.ctx, &theirs))
		_, err := f.s.GetPublicKey(f.ctx, f.site.ID, theirs.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.UpdatePublicKey(f.ctx, f.site.ID, theirs.ID, func(k *store.PublicKey) error { k.Title = "x"; return nil })
		f.wantErr(err, store.ErrNotFound)
		f.wantErr(f.s.DeletePublicKey(f.ctx, f.site.ID, theirs.ID), store.ErrNotFound)
		list, err := f.s.ListPublicKeys(f.ctx, f.site.ID, store.KeyQuery{})
		f.must(err)
		wantIDs(f, ids(f, list))
		cross := store.PublicKey{SiteID: f.site.ID, UserID: ou.ID}
		f.wantErr(f.s.CreatePublicKey(f.ctx, &cross), store.ErrNotFound)
	}},
}
