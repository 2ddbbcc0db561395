package storetest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var lockTests = []test{
	{"TakeRenewRelease", func(f *fixture) {
		ok, err := f.s.TryLock(f.ctx, "ldap-sync:1", "node-a", at(0), at(time.Minute))
		f.must(err)
		if !ok {
			f.t.Fatal("a free lock was not taken")
		}
		ok, err = f.s.TryLock(f.ctx, "ldap-sync:1", "node-b", at(30*time.Second), at(2*time.Minute))
		f.must(err)
		if ok {
			f.t.Fatal("a lock held by another holder was taken")
		}
		// The holder renews: the lock now lasts past its first expiry.
		ok, err = f.s.TryLock(f.ctx, "ldap-sync:1", "node-a", at(50*time.Second), at(3*time.Minute))
		f.must(err)
		if !ok {
			f.t.Fatal("the holder could not renew its lock")
		}
		ok, err = f.s.TryLock(f.ctx, "ldap-sync:1", "node-b", at(2*time.Minute), at(4*time.Minute))
		f.must(err)
		if ok {
			f.t.Fatal("a renewed lock was taken before its new expiry")
		}
		// Other names are other locks.
		ok, err = f.s.TryLock(f.ctx, "ldap-sync:2", "node-b", at(0), at(time.Minute))
		f.must(err)
		if !ok {
			f.t.Fatal("a lock of another name was refused")
		}
		// Only the holder releases it.
		f.must(f.s.Unlock(f.ctx, "ldap-sync:1", "node-b"))
		ok, err = f.s.TryLock(f.ctx, "ldap-sync:1", "node-c", at(time.Minute), at(2*time.Minute))
		f.must(err)
		if ok {
			f.t.Fatal("another holder's Unlock released the lock")
		}
		f.must(f.s.Unlock(f.ctx, "ldap-sync:1", "node-a"))
		ok, err = f.s.TryLock(f.ctx, "ldap-sync:1", "node-c", at(time.Minute), at(2*time.Minute))
		f.must(err)
		if !ok {
			f.t.Fatal("a released lock was not taken")
		}
		f.must(f.s.Unlock(f.ctx, "never-taken", "node-a"))
	}},
	{"Expiry", func(f *fixture) {
		ok, err := f.s.TryLock(f.ctx, "job", "dead-node", at(0), at(time.Minute))
		f.must(err)
		if !ok {
			f.t.Fatal("a free lock was not taken")
		}
		ok, err = f.s.TryLock(f.ctx, "job", "live-node", at(time.Minute-time.Microsecond), at(2*time.Minute))
		f.must(err)
		if ok {
			f.t.Fatal("a lock was taken a microsecond before it expired")
		}
		ok, err = f.s.TryLock(f.ctx, "job", "live-node", at(time.Minute), at(2*time.Minute))
		f.must(err)
		if !ok {
			f.t.Fatal("an expired lock was not taken over")
		}
		// The dead node, back, does not get it back.
		ok, err = f.s.TryLock(f.ctx, "job", "dead-node", at(90*time.Second), at(3*time.Minute))
		f.must(err)
		if ok {
			f.t.Fatal("the former holder took back a lock another holder took over")
		}
	}},
	{"Refused", func(f *fixture) {
		for _, c := range []struct {
			name, holder string
			until        time.Time
		}{{"", "h", at(time.Minute)}, {"n", "", at(time.Minute)}, {"n", "h", at(0)}, {"n", "h", at(-time.Second)}} {
			if ok, err := f.s.TryLock(f.ctx, c.name, c.holder, at(0), c.until); err == nil || ok {
				f.t.Fatalf("TryLock(%q, %q, until %v) = %v, %v; want a refusal", c.name, c.holder, c.until, ok, err)
			}
		}
		ok, err := f.s.TryLock(f.ctx, hostile[0], hostile[1], at(0), at(time.Minute))
		f.must(err)
		if !ok {
			f.t.Fatal("a lock with unusual characters in its name was not taken")
		}
	}},
	{"ConcurrentHoldersOneWins", func(f *fixture) {
		const callers = 16
		var wg sync.WaitGroup
		wins := make(chan string, callers)
		errs := make(chan error, callers)
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				holder := name("node-", i)
				ok, err := f.s.TryLock(f.ctx, "contended", holder, at(0), at(time.Minute))
				if err != nil {
					errs <- err
					return
				}
				if ok {
					wins <- holder
				}
			}()
		}
		wg.Wait()
		close(wins)
		close(errs)
		for err := range errs {
			f.must(err)
		}
		if n := len(wins); n != 1 {
			f.t.Fatalf("%d concurrent callers took the same lock, want exactly 1", n)
		}
	}},
	{"FencingTokens", func(f *fixture) {
		take := func(holder string, now, until time.Duration) int64 {
			f.t.Helper()
			token, err := f.s.TryLockFenced(f.ctx, "ldap-sync:7", holder, at(now), at(until))
			f.must(err)
			return token
		}
		check := func(token int64) error {
			return f.s.Tx(f.ctx, func(ctx context.Context) error {
				return f.s.CheckFence(ctx, store.Fence{Lock: "ldap-sync:7", Token: token})
			})
		}
		a1 := take("node-a", 0, time.Minute)
		if a1 <= 0 {
			f.t.Fatalf("a free lock was taken with token %d, want a positive one", a1)
		}
		f.must(check(a1))
		// Renewing, with either call, keeps the token: the holding goes on.
		if got := take("node-a", 30*time.Second, 2*time.Minute); got != a1 {
			f.t.Fatalf("a renewal changed the token from %d to %d", a1, got)
		}
		if ok, err := f.s.TryLock(f.ctx, "ldap-sync:7", "node-a", at(40*time.Second), at(2*time.Minute)); err != nil || !ok {
			f.t.Fatalf("TryLock renewal: %v, %v", ok, err)
		}
		f.must(check(a1))
		if got := take("node-b", time.Minute, 3*time.Minute); got != 0 {
			f.t.Fatalf("a held lock was taken by another holder with token %d", got)
		}
		// node-a stalls past the expiry; node-b takes over with a greater
		// token, and node-a's is refused from then on, even if node-a
		// wakes up and "renews" after node-b let go.
		b := take("node-b", 2*time.Minute, 4*time.Minute)
		if b <= a1 {
			f.t.Fatalf("a takeover got token %d, not greater than the old holder's %d", b, a1)
		}
		f.wantErr(check(a1), store.ErrFenced)
		f.must(check(b))
		if got := take("node-a", 3*time.Minute, 5*time.Minute); got != 0 {
			f.t.Fatalf("the old holder took the lock back while it was held: token %d", got)
		}
		f.must(f.s.Unlock(f.ctx, "ldap-sync:7", "node-b"))
		f.wantErr(check(b), store.ErrFenced)
		a2 := take("node-a", 3*time.Minute, 5*time.Minute)
		if a2 <= b {
			f.t.Fatalf("taking a released lock got token %d, not greater than %d", a2, b)
		}
		f.wantErr(check(a1), store.ErrFenced)
		f.wantErr(check(b), store.ErrFenced)
		f.must(check(a2))
		// The same holder taking its own released lock again starts a new
		// holding: the token of the one it ended is refused.
		f.must(f.s.Unlock(f.ctx, "ldap-sync:7", "node-a"))
		a3 := take("node-a", 4*time.Minute, 5*time.Minute)
		if a3 <= a2 {
			f.t.Fatalf("retaking a released lock got token %d, not greater than %d", a3, a2)
		}
		f.wantErr(check(a2), store.ErrFenced)
		// A lock nobody ever took, and the zero token, are refused; the
		// check needs a transaction to hold the lock in.
		f.wantErr(f.s.Tx(f.ctx, func(ctx context.Context) error {
			return f.s.CheckFence(ctx, store.Fence{Lock: "never-taken", Token: 1})
		}), store.ErrFenced)
		f.wantErr(check(0), store.ErrFenced)
		if err := f.s.CheckFence(f.ctx, store.Fence{Lock: "ldap-sync:7", Token: a3}); err == nil {
			f.t.Fatal("CheckFence outside a transaction succeeded")
		}
		// A refused take returns 0 and no error, as TryLock returns false.
		if got, err := f.s.TryLockFenced(f.ctx, "ldap-sync:7", "node-c", at(4*time.Minute), at(6*time.Minute)); err != nil || got != 0 {
			f.t.Fatalf("a held lock: TryLockFenced = %d, %v; want 0, nil", got, err)
		}
	}},
	{"FenceHoldsOffTakeover", func(f *fixture) {
		// Between a holder's CheckFence and its commit, the lock cannot pass
		// to another holder, even though it expired: whatever the holder
		// writes is committed before the next holding begins.
		a, err := f.s.TryLockFenced(f.ctx, "job", "node-a", at(0), at(time.Minute))
		f.must(err)
		f.must(f.s.Tx(f.ctx, func(ctx context.Context) error {
			if err := f.s.CheckFence(ctx, store.Fence{Lock: "job", Token: a}); err != nil {
				return err
			}
			// node-b, on another connection, tries to take the expired
			// lock; it must still be waiting when its deadline comes.
			done := make(chan error, 1)
			go func() {
				wait, cancel := context.WithTimeout(f.ctx, 300*time.Millisecond)
				defer cancel()
				token, err := f.s.TryLockFenced(wait, "job", "node-b", at(2*time.Minute), at(3*time.Minute))
				if err == nil && token != 0 {
					err = errTookOver
				}
				done <- err
			}()
			if err := <-done; err == nil || errors.Is(err, errTookOver) {
				f.t.Errorf("another holder was not held off while a fenced transaction ran: %v", err)
			}
			return nil
		}))
		b, err := f.s.TryLockFenced(f.ctx, "job", "node-b", at(2*time.Minute), at(3*time.Minute))
		f.must(err)
		if b <= a {
			f.t.Fatalf("after the commit, the takeover got token %d, want more than %d", b, a)
		}
	}},
}

var errTookOver = errors.New("took the lock over")
