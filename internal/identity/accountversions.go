package identity

import (
	"sync"

	"github.com/gatehouse/gatehouse/internal/store"
)

// An open file-transfer connection (package transfer/access) asks at each
// request whether its account still lets it in. Asking the store every
// time costs two to four reads per request, and a connection that sends
// nothing would have to poll to notice a revocation. Instead the store's
// account feed (store.Store.WatchAccounts: in-process writes, PostgreSQL's
// LISTEN/NOTIFY across nodes, SQLite's data_version for other processes)
// moves an account's version here whenever a write may have changed its
// standing, and a connection reads its account again (Readmit) only when
// the version moved since its last reading. One cache per Service serves
// every channel.

// maxVersionedUsers bounds the versions remembered per user; past it they
// are forgotten and every account counts as changed, once.
const maxVersionedUsers = 100_000

// AccountVersion is an account's place in the feed of account changes:
// it moves whenever a write may have changed the account's standing.
// Equal versions mean nothing that Readmit reads changed in between.
type AccountVersion uint64

// accountVersions is the cache: a counter of changes, and for each site
// and user the count at its last change. It subscribes to the store's
// feed on first use, so that processes that serve no transfer
// connections (the CLI's commands) never listen.
type accountVersions struct {
	once sync.Once

	mu    sync.Mutex
	live  bool
	seq   uint64
	all   uint64 // the last change to every account
	sites map[int64]uint64
	users map[[2]int64]uint64
	// changed is closed, and replaced, at each change (see Changes).
	changed chan struct{}
}

// AccountVersion answers the version of an account now, without reading
// the store, and whether it can be trusted: it cannot while the store's
// feed is not live (starting, or its connection to the database lost),
// and then the caller must read the account (Readmit) at every request.
//
// Read the version before reading the account: a change made between the
// two then shows as a newer version at the next request.
func (s *Service) AccountVersion(siteID, userID int64) (AccountVersion, bool) {
	v := &s.versions
	v.once.Do(func() { s.st.WatchAccounts(v) })
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.live {
		return 0, false
	}
	return AccountVersion(max(v.all, v.sites[siteID], v.users[[2]int64{siteID, userID}])), true
}

// AccountChanges returns a channel closed at the next account change (or
// when the feed's state changes), so that a front end can check its open
// connections then, with one goroutine for all of them, instead of each
// connection polling: an idle connection whose account did not change
// costs nothing.
func (s *Service) AccountChanges() <-chan struct{} {
	v := &s.versions
	v.once.Do(func() { s.st.WatchAccounts(v) })
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.changed == nil {
		v.changed = make(chan struct{})
	}
	return v.changed
}

// AccountChanged implements store.AccountWatcher.
func (v *accountVersions) AccountChanged(c store.AccountChange) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	switch {
	case c.SiteID == 0:
		v.all = v.seq
	case c.UserID == 0:
		if v.sites == nil {
			v.sites = map[int64]uint64{}
		}
		v.sites[c.SiteID] = v.seq
	default:
		if len(v.users) >= maxVersionedUsers {
			v.users = nil
			v.all = v.seq // forgotten versions count as changed
		}
		if v.users == nil {
			v.users = map[[2]int64]uint64{}
		}
		v.users[[2]int64{c.SiteID, c.UserID}] = v.seq
	}
	v.wake()
}

// AccountFeedLive implements store.AccountWatcher. Either way, whatever
// was read before is stale: going down, changes may be missed from now
// on; coming up, those made while down were.
func (v *accountVersions) AccountFeedLive(live bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.live = live
	v.seq++
	v.all = v.seq
	v.sites, v.users = nil, nil
	v.wake()
}

// wake closes the channel AccountChanges handed out; under mu.
func (v *accountVersions) wake() {
	if v.changed != nil {
		close(v.changed)
		v.changed = nil
	}
}
