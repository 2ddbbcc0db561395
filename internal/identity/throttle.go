package identity

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/sourcelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The per-source throttle makes whoever guesses passwords pay for it, not
// the account they guess at. A user's lockout (UserLockoutTries failures
// within UserLockoutWithin hours) is what stops a guesser who spreads their
// guesses over many addresses; without a throttle in front of it, one
// address alone could lock any account, admin included, by typing six
// wrong passwords. So failed password sign-ins are also counted per source
// address, and an address that reached UserLockoutTries-1 failures within
// the last UserLockoutWithin hours may not try a password again until the
// oldest of them leaves that window. Attempts refused that way are never
// checked and never counted against a user. A single address therefore
// contributes at most tries-1 failures to any window of a user's count and
// cannot lock anyone by itself, under any site setting that allows more
// than one try; several addresses still can, which is what a lockout is for.
//
// The counts live in the memory of one node: they are forgotten when the
// process restarts, and behind a load balancer each of k nodes grants an
// address its own budget, so an address spread over k nodes gets
// k×(tries-1) failures per window. Keeping them in the store would make
// every wrong password a write shared by every node, which is the load an
// attacker would then choose.

// Bounds on the throttle's memory: at most maxThrottledSources addresses
// (each at most limit failure times) and maxTrackedUsers users' recent
// failure addresses (each at most maxSourcesPerUser); about 12.5 MiB when
// full with the default settings. When full, expired entries are dropped
// first and then the quarter whose last failure is oldest: an attacker
// must keep tens of thousands of addresses failing to push out one that
// is still guessing.
const (
	maxThrottledSources = 1 << 15
	maxTrackedUsers     = 1 << 14
	maxSourcesPerUser   = 8
)

// sourceKey is one source address of one site, keyed as every per-address
// count keys it (sourcelimit.Key: IPv6 by /64).
type sourceKey struct {
	siteID int64
	addr   string
}

type userKey struct{ siteID, userID int64 }

// sourceFailures are the times of an address's recent failures, oldest
// first, and its sign-ins being checked now.
type sourceFailures struct {
	times    []time.Time
	inflight int
	// changed is closed when an attempt ends, for the attempts waiting
	// their turn; made only when one waits, as few addresses ever queue.
	changed chan struct{}
}

// userSources are the addresses the failed sign-ins of one user came from,
// most recent last, so a lockout's event can name them.
type userSources struct {
	addrs []string
	last  time.Time
}

// failureThrottle is the per-node memory of failed password sign-ins.
type failureThrottle struct {
	mu      sync.Mutex
	sources map[sourceKey]*sourceFailures
	users   map[userKey]*userSources
}

func newFailureThrottle() *failureThrottle {
	return &failureThrottle{sources: map[sourceKey]*sourceFailures{}, users: map[userKey]*userSources{}}
}

// throttleRule is the throttle's limit on a site: at most limit failures
// per address within window.
type throttleRule struct {
	limit  int
	window time.Duration
}

// throttleRuleOf derives the rule from the site's lockout settings (a
// site that turned lockout off still throttles guessing, with the same
// numbers).
func throttleRuleOf(site store.Site) throttleRule {
	tries := site.UserLockoutTries
	if tries <= 0 {
		tries = store.DefaultSiteSettings().UserLockoutTries
	}
	hours := site.UserLockoutWithin
	if hours <= 0 {
		hours = store.DefaultSiteSettings().UserLockoutWithin
	}
	return throttleRule{limit: min(max(tries-1, 1), maxLockoutTries), window: time.Duration(hours) * time.Hour}
}

// sourceOf is the key an address is counted under.
func sourceOf(siteID int64, ip string) sourceKey {
	return sourceKey{siteID, sourcelimit.Key(ip)}
}

// attempt is one password sign-in of an address that the throttle let
// through. Exactly one of fail and end must be called when it is decided.
type attempt struct {
	t     *failureThrottle
	k     sourceKey
	f     *sourceFailures
	r     throttleRule
	ip    string
	ended bool
}

// begin lets one password sign-in of ip go ahead, or says how long the
// address must wait. At most limit-recentFailures sign-ins of one address
// are checked at once and the others wait their turn (or until ctx ends):
// otherwise a burst of concurrent guesses would all pass the throttle
// before the first of them failed, and one address could lock an account
// after all. People who share an address (a NAT, an office) only queue.
func (t *failureThrottle) begin(ctx context.Context, siteID int64, ip string, r throttleRule, now func() time.Time) (*attempt, time.Duration, error) {
	k := sourceOf(siteID, ip)
	for {
		t.mu.Lock()
		f := t.sources[k]
		if f == nil {
			if len(t.sources) >= maxThrottledSources {
				t.evictSources(now(), r)
			}
			f = &sourceFailures{}
			t.sources[k] = f
		}
		f.prune(now(), r)
		if len(f.times) >= r.limit {
			wait := f.until(r).Sub(now())
			t.mu.Unlock()
			return nil, wait, nil
		}
		if len(f.times)+f.inflight < r.limit {
			f.inflight++
			t.mu.Unlock()
			return &attempt{t: t, k: k, f: f, r: r, ip: ip}, 0, nil
		}
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		changed := f.changed
		t.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("identity: waiting for the password sign-ins of the same address: %w", ctx.Err())
		}
	}
}

// until is when an address at its limit may try again: when its oldest
// counted failure leaves the window.
func (f *sourceFailures) until(r throttleRule) time.Time {
	return f.times[len(f.times)-r.limit].Add(r.window)
}

// prune forgets failures older than the window, and more than the limit.
func (f *sourceFailures) prune(now time.Time, r throttleRule) {
	cut := 0
	for cut < len(f.times) && !now.Before(f.times[cut].Add(r.window)) {
		cut++
	}
	if extra := len(f.times) - cut - r.limit; extra > 0 {
		cut += extra
	}
	f.times = f.times[cut:]
}

// end closes an attempt that was no failed guess (a success, a policy
// refusal, an error of the server).
func (a *attempt) end() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.finish()
}

// fail closes an attempt that failed: a wrong password, an unknown
// username, a locked account. userID is the user it named (0: none). When
// this failure brought the address to its limit, fail returns until when
// the address is refused and started true: an episode begins, which the
// caller reports once (an address reaches its limit again only after a
// failure left the window, so there are at most limit reports per window
// however much it sends).
func (a *attempt) fail(userID int64, now time.Time) (until time.Time, started bool) {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	if a.ended {
		return time.Time{}, false
	}
	if a.f.times == nil {
		a.f.times = make([]time.Time, 0, a.r.limit)
	}
	a.f.times = append(a.f.times, now)
	a.f.prune(now, a.r)
	if len(a.f.times) == a.r.limit {
		until, started = a.f.until(a.r), true
	}
	if userID != 0 {
		a.t.noteUserSource(userKey{a.k.siteID, userID}, a.ip, now)
	}
	a.finish()
	return until, started
}

// finish releases the attempt's place and wakes the address's waiters.
func (a *attempt) finish() {
	if a.ended {
		return
	}
	a.ended = true
	a.f.inflight--
	if a.f.changed != nil {
		close(a.f.changed)
		a.f.changed = nil
	}
	if len(a.f.times) == 0 && a.f.inflight == 0 && a.t.sources[a.k] == a.f {
		delete(a.t.sources, a.k)
	}
}

// noteUserSource remembers that a failed sign-in of the user came from ip.
func (t *failureThrottle) noteUserSource(uk userKey, ip string, now time.Time) {
	u := t.users[uk]
	if u == nil {
		if len(t.users) >= maxTrackedUsers {
			t.evictUsers()
		}
		u = &userSources{}
		t.users[uk] = u
	}
	u.last = now
	u.addrs = slices.DeleteFunc(u.addrs, func(a string) bool { return a == ip })
	u.addrs = append(u.addrs, ip)
	if len(u.addrs) > maxSourcesPerUser {
		u.addrs = u.addrs[len(u.addrs)-maxSourcesPerUser:]
	}
}

// takeSources returns the addresses the user's failed sign-ins came from
// and forgets them (the caller has just locked the user).
func (t *failureThrottle) takeSources(siteID, userID int64) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	uk := userKey{siteID, userID}
	u := t.users[uk]
	delete(t.users, uk)
	if u == nil {
		return nil
	}
	return u.addrs
}

// evictSources makes room: expired entries go, and if none had, the
// quarter idle longest. Each rule's window is the one of the site being
// counted, which is close enough for a bound on memory.
func (t *failureThrottle) evictSources(now time.Time, r throttleRule) {
	for k, f := range t.sources {
		if f.prune(now, r); len(f.times) == 0 && f.inflight == 0 {
			delete(t.sources, k)
		}
	}
	if len(t.sources) < maxThrottledSources {
		return
	}
	type aged struct {
		k    sourceKey
		last time.Time
	}
	all := make([]aged, 0, len(t.sources))
	for k, f := range t.sources {
		if f.inflight > 0 || len(f.times) == 0 {
			continue // being checked: its attempts still hold it
		}
		all = append(all, aged{k, f.times[len(f.times)-1]})
	}
	slices.SortFunc(all, func(a, b aged) int { return a.last.Compare(b.last) })
	for _, a := range all[:len(all)/4] {
		delete(t.sources, a.k)
	}
}

// evictUsers drops the quarter of users whose last failure is oldest.
func (t *failureThrottle) evictUsers() {
	type aged struct {
		k    userKey
		last time.Time
	}
	all := make([]aged, 0, len(t.users))
	for k, u := range t.users {
		all = append(all, aged{k, u.last})
	}
	slices.SortFunc(all, func(a, b aged) int { return a.last.Compare(b.last) })
	for _, a := range all[:len(all)/4] {
		delete(t.users, a.k)
	}
}
