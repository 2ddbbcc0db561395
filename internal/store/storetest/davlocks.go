package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var davLockTests = []test{
	{"CreateGetListDelete", func(f *fixture) {
		l := store.DAVLock{SiteID: f.site.ID, Token: "urn:uuid:1", Root: "/u/alice/doc.txt", ZeroDepth: true,
			OwnerXML: "<D:href>alice</D:href>", Timeout: 10 * time.Minute, ExpiresAt: at(10 * time.Minute), CreatedAt: at(0)}
		f.must(f.s.CreateDAVLock(f.ctx, &l))
		got, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:1")
		f.must(err)
		if got != l {
			f.t.Fatalf("GetDAVLock = %+v, want %+v", got, l)
		}
		if err := f.s.CreateDAVLock(f.ctx, &l); !errors.Is(err, store.ErrConflict) {
			f.t.Fatalf("a second lock with the same token: want ErrConflict, got %v", err)
		}
		forever := store.DAVLock{SiteID: f.site.ID, Token: "urn:uuid:2", Root: "/g/eng", Timeout: -1, CreatedAt: at(0)}
		f.must(f.s.CreateDAVLock(f.ctx, &forever))
		if got, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:2"); err != nil || got.Timeout != -1 || !got.ExpiresAt.IsZero() || got.ZeroDepth {
			f.t.Fatalf("infinite lock read back as %+v (err %v)", got, err)
		}
		live, err := f.s.ListDAVLocks(f.ctx, f.site.ID, at(time.Minute))
		f.must(err)
		if len(live) != 2 || live[0].Token != "urn:uuid:2" || live[1].Token != "urn:uuid:1" {
			f.t.Fatalf("ListDAVLocks = %+v, want both, by root", live)
		}
		// Expired locks are not listed, but can still be read and removed.
		live, err = f.s.ListDAVLocks(f.ctx, f.site.ID, at(10*time.Minute))
		f.must(err)
		if len(live) != 1 || live[0].Token != "urn:uuid:2" {
			f.t.Fatalf("ListDAVLocks after expiry = %+v, want only the infinite lock", live)
		}
		f.must(f.s.RefreshDAVLock(f.ctx, f.site.ID, "urn:uuid:1", at(time.Hour)))
		live, err = f.s.ListDAVLocks(f.ctx, f.site.ID, at(30*time.Minute))
		f.must(err)
		if len(live) != 2 {
			f.t.Fatalf("a refreshed lock is not listed: %+v", live)
		}
		f.must(f.s.DeleteDAVLock(f.ctx, f.site.ID, "urn:uuid:1"))
		if _, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:1"); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("a deleted lock: want ErrNotFound, got %v", err)
		}
		if err := f.s.DeleteDAVLock(f.ctx, f.site.ID, "urn:uuid:1"); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("deleting twice: want ErrNotFound, got %v", err)
		}
		if err := f.s.RefreshDAVLock(f.ctx, f.site.ID, "urn:uuid:nope", at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("refreshing a missing lock: want ErrNotFound, got %v", err)
		}
	}},
	{"SitesAreSeparate", func(f *fixture) {
		l := store.DAVLock{SiteID: f.other.ID, Token: "urn:uuid:other", Root: "/u/bob", Timeout: time.Minute, ExpiresAt: at(time.Minute), CreatedAt: at(0)}
		f.must(f.s.CreateDAVLock(f.ctx, &l))
		if _, err := f.s.GetDAVLock(f.ctx, f.site.ID, l.Token); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("another site's lock by token: want ErrNotFound, got %v", err)
		}
		if live, err := f.s.ListDAVLocks(f.ctx, f.site.ID, at(0)); err != nil || len(live) != 0 {
			f.t.Fatalf("another site's locks listed: %+v (err %v)", live, err)
		}
		if err := f.s.DeleteDAVLock(f.ctx, f.site.ID, l.Token); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("deleting another site's lock: want ErrNotFound, got %v", err)
		}
		if err := f.s.RefreshDAVLock(f.ctx, f.site.ID, l.Token, at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("refreshing another site's lock: want ErrNotFound, got %v", err)
		}
	}},
	{"CreatorAndDeletedUser", func(f *fixture) {
		alice, bob := f.user("alice"), f.user("bob")
		for _, l := range []store.DAVLock{
			{SiteID: f.site.ID, UserID: alice.ID, Token: "urn:uuid:alice", Root: "/users/alice/a", Timeout: -1, CreatedAt: at(0)},
			{SiteID: f.site.ID, UserID: bob.ID, Token: "urn:uuid:bob", Root: "/users/bob/b", Timeout: -1, CreatedAt: at(0)},
		} {
			f.must(f.s.CreateDAVLock(f.ctx, &l))
		}
		got, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:alice")
		f.must(err)
		if got.UserID != alice.ID {
			f.t.Fatalf("the lock's creator read back as %d, want %d", got.UserID, alice.ID)
		}
		f.must(f.s.DeleteUser(f.ctx, f.site.ID, alice.ID))
		if _, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:alice"); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatalf("a deleted user's lock: want ErrNotFound, got %v", err)
		}
		if got, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:bob"); err != nil || got.UserID != bob.ID {
			f.t.Fatalf("another user's lock after the deletion: %+v (err %v)", got, err)
		}
	}},
	{"SweepExpired", func(f *fixture) {
		for i, exp := range []time.Duration{time.Minute, time.Hour, -1} {
			l := store.DAVLock{SiteID: f.site.ID, Token: "urn:uuid:" + string(rune('a'+i)), Root: "/r", Timeout: exp, CreatedAt: at(0)}
			if exp > 0 {
				l.ExpiresAt = at(exp)
			}
			f.must(f.s.CreateDAVLock(f.ctx, &l))
		}
		n, err := f.s.DeleteExpiredDAVLocks(f.ctx, at(30*time.Minute))
		f.must(err)
		if n != 1 {
			f.t.Fatalf("DeleteExpiredDAVLocks removed %d, want 1", n)
		}
		if _, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:a"); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatal("an expired lock survived the sweep")
		}
	}},
	{"CheckThenCreateInTx", func(f *fixture) {
		// The front end's pattern: inside Tx after LockSite, list, decide,
		// create. A failed decision rolls the lock back.
		err := f.s.Tx(f.ctx, func(ctx context.Context) error {
			f.must(f.s.LockSite(ctx, f.site.ID))
			live, err := f.s.ListDAVLocks(ctx, f.site.ID, at(0))
			f.must(err)
			if len(live) != 0 {
				f.t.Fatalf("fresh site has locks: %+v", live)
			}
			l := store.DAVLock{SiteID: f.site.ID, Token: "urn:uuid:tx", Root: "/x", Timeout: -1, CreatedAt: at(0)}
			f.must(f.s.CreateDAVLock(ctx, &l))
			return errors.New("conflict found")
		})
		if err == nil {
			f.t.Fatal("Tx did not return fn's error")
		}
		if _, err := f.s.GetDAVLock(f.ctx, f.site.ID, "urn:uuid:tx"); !errors.Is(err, store.ErrNotFound) {
			f.t.Fatal("a lock created in a rolled-back Tx exists")
		}
	}},
}
