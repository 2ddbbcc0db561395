package storetest

import (
	"sync"
	"time"
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
}
