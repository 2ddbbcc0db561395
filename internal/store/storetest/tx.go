package storetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/gatehouse/gatehouse/internal/store"
)

var txTests = []test{
	{"Commit", func(f *fixture) {
		var id int64
		f.must(f.s.Tx(f.ctx, func(ctx context.Context) error {
			u := store.User{SiteID: f.site.ID, Username: "in-tx"}
			if err := f.s.CreateUser(ctx, &u); err != nil {
				return err
			}
			id = u.ID
			// Reads inside the transaction see its writes.
			_, err := f.s.GetUser(ctx, f.site.ID, u.ID)
			return err
		}))
		_, err := f.s.GetUser(f.ctx, f.site.ID, id)
		f.must(err)
	}},
	{"RollbackOnError", func(f *fixture) {
		kept := f.user("kept")
		err := f.s.Tx(f.ctx, func(ctx context.Context) error {
			u := store.User{SiteID: f.site.ID, Username: "rolled-back"}
			if err := f.s.CreateUser(ctx, &u); err != nil {
				return err
			}
			if _, err := f.s.UpdateUser(ctx, f.site.ID, kept.ID, func(u *store.User) error { u.Name = "changed"; return nil }); err != nil {
				return err
			}
			return errFromFn
		})
		f.wantErr(err, errFromFn)
		_, err = f.s.GetUserByUsername(f.ctx, f.site.ID, "rolled-back")
		f.wantErr(err, store.ErrNotFound)
		got, err := f.s.GetUser(f.ctx, f.site.ID, kept.ID)
		f.must(err)
		equal(f, got, kept)
	}},
	{"RollbackOnPanic", func(f *fixture) {
		func() {
			defer func() { _ = recover() }()
			_ = f.s.Tx(f.ctx, func(ctx context.Context) error {
				u := store.User{SiteID: f.site.ID, Username: "panicked"}
				f.must(f.s.CreateUser(ctx, &u))
				panic("boom")
			})
		}()
		_, err := f.s.GetUserByUsername(f.ctx, f.site.ID, "panicked")
		f.wantErr(err, store.ErrNotFound)
		f.user("after-panic") // the store still works
	}},
	{"NestedJoins", func(f *fixture) {
		err := f.s.Tx(f.ctx, func(ctx context.Context) error {
			if err := f.s.Tx(ctx, func(ctx context.Context) error {
				u := store.User{SiteID: f.site.ID, Username: "inner"}
				return f.s.CreateUser(ctx, &u)
			}); err != nil {
				return err
			}
			// The inner transaction's write is visible to the outer one...
			if _, err := f.s.GetUserByUsername(ctx, f.site.ID, "inner"); err != nil {
				return err
			}
			return errFromFn
		})
		f.wantErr(err, errFromFn)
		// ...and rolled back with it.
		_, err = f.s.GetUserByUsername(f.ctx, f.site.ID, "inner")
		f.wantErr(err, store.ErrNotFound)
		f.must(f.s.Tx(f.ctx, func(ctx context.Context) error {
			return f.s.Tx(ctx, func(ctx context.Context) error {
				u := store.User{SiteID: f.site.ID, Username: "inner-kept"}
				return f.s.CreateUser(ctx, &u)
			})
		}))
		_, err = f.s.GetUserByUsername(f.ctx, f.site.ID, "inner-kept")
		f.must(err)
	}},
	{"ConflictInsideTx", func(f *fixture) {
		f.user("taken")
		err := f.s.Tx(f.ctx, func(ctx context.Context) error {
			u := store.User{SiteID: f.site.ID, Username: "TAKEN"}
			return f.s.CreateUser(ctx, &u)
		})
		f.wantErr(err, store.ErrConflict)
	}},
	{"LockSite", func(f *fixture) {
		if err := f.s.LockSite(f.ctx, f.site.ID); err == nil {
			f.t.Fatal("LockSite outside a transaction succeeded")
		}
		f.must(f.s.Tx(f.ctx, func(ctx context.Context) error { return f.s.LockSite(ctx, f.site.ID) }))
		err := f.s.Tx(f.ctx, func(ctx context.Context) error { return f.s.LockSite(ctx, 777777) })
		f.wantErr(err, store.ErrNotFound)
	}},
	{"GuardKeepsOneAdminUnderConcurrency", guardTest},
	{"Ping", func(f *fixture) { f.must(f.s.Ping(f.ctx)) }},
}

// guardTest runs the pattern that keeps a site reachable - lock the site,
// count the password admins, demote one only if another remains - from
// many goroutines at once, interleaved with promotions. If LockSite did
// not serialise the guards, two of them could each see two admins and
// demote both.
func guardTest(f *fixture) {
	const workers, rounds = 8, 25
	var admins []int64
	for i := range 4 {
		admins = append(admins, f.user(name("admin", i), func(u *store.User) { u.SiteAdmin = true }).ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range rounds {
				var err error
				if rng.IntN(3) == 0 {
					err = SetAdmin(f.ctx, f.s, f.site.ID, admins[rng.IntN(len(admins))], true)
				} else {
					_, err = DemoteIfOthersRemain(f.ctx, f.s, f.site.ID, admins[rng.IntN(len(admins))])
				}
				if err != nil {
					errs <- err
					return
				}
				n, err := f.s.CountEnabledPasswordAdmins(f.ctx, f.site.ID)
				if err == nil && n < 1 {
					err = errors.New("the site was left without a password admin")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.t.Fatal(err)
	}
	n, err := f.s.CountEnabledPasswordAdmins(f.ctx, f.site.ID)
	f.must(err)
	if n < 1 {
		f.t.Fatal("the site was left without a password admin")
	}
}

// DemoteIfOthersRemain removes site admin from a user unless that would
// leave the site without an enabled password admin, the guard pattern of
// store.LockSite. It says whether it demoted.
func DemoteIfOthersRemain(ctx context.Context, s store.Store, siteID, userID int64) (bool, error) {
	demoted := false
	err := s.Tx(ctx, func(ctx context.Context) error {
		if err := s.LockSite(ctx, siteID); err != nil {
			return err
		}
		n, err := s.CountEnabledPasswordAdmins(ctx, siteID)
		if err != nil || n <= 1 {
			return err
		}
		_, err = s.UpdateUser(ctx, siteID, userID, func(u *store.User) error {
			demoted = u.SiteAdmin
			u.SiteAdmin = false
			return nil
		})
		return err
	})
	return demoted && err == nil, err
}

// SetAdmin sets or clears a user's site admin flag under the site lock.
func SetAdmin(ctx context.Context, s store.Store, siteID, userID int64, admin bool) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		if err := s.LockSite(ctx, siteID); err != nil {
			return err
		}
		_, err := s.UpdateUser(ctx, siteID, userID, func(u *store.User) error { u.SiteAdmin = admin; return nil })
		return err
	})
}
