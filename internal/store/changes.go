package store

// AccountChange names the accounts a committed write may have changed the
// standing of: what the login policy answers for them on an open
// file-transfer connection (the user, their groups and memberships, their
// provider, their API and SSH keys, their sessions, their site).
//
// A change is a hint to read again, never the new state itself, so a
// change that names too much (a whole site, every site) is always
// correct, only more expensive.
type AccountChange struct {
	SiteID int64 // 0: every site
	UserID int64 // 0: every user of the site
}

// AccountWatcher is told of account changes by a store's feed (see
// Store.WatchAccounts). Its methods are called one at a time, from the
// writer's goroutine or the feed's, and must return quickly.
type AccountWatcher interface {
	// AccountChanged says that the accounts c names may stand
	// differently now. It is called after the write committed.
	AccountChanged(c AccountChange)
	// AccountFeedLive says whether the feed tells of every change from
	// now on. While it is not live (before it started, after its
	// connection to the database was lost) a watcher must not trust
	// what it remembers; when it becomes live again, every change made
	// while it was not is unknown, so everything it remembers is stale.
	AccountFeedLive(live bool)
}
