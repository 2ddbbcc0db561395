package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The account feed (store.Store.WatchAccounts) tells open file-transfer
// connections, through the identity core's cache, that an account may
// stand differently, so that they read it again at their next request
// instead of at every one.
//
// Every write method that changes what the login policy reads for an
// account (a user, their memberships, a group, a provider, a key, a
// session, a site) calls changed after the write succeeds. Inside a
// transaction the change waits for the commit and is dropped by a
// rollback; outside one the write has committed already. The dialect's
// Notify, when set, also announces the change to the other processes on
// the database (PostgreSQL's NOTIFY, which the database delivers at
// commit); Options.Listen is how this process hears theirs.

// AccountsChannel is the PostgreSQL notification channel of account
// changes; its payload is "siteID:userID" (0 meaning every one).
const AccountsChannel = "gatehouse_accounts"

// EncodeAccountChange is the payload of a change on AccountsChannel.
func EncodeAccountChange(c store.AccountChange) string {
	return strconv.FormatInt(c.SiteID, 10) + ":" + strconv.FormatInt(c.UserID, 10)
}

// DecodeAccountChange reads a payload of AccountsChannel. A payload it
// cannot read is a change to every account: reading too much again is
// safe, missing a change is not.
func DecodeAccountChange(p string) store.AccountChange {
	site, user, ok := strings.Cut(p, ":")
	s, err1 := strconv.ParseInt(site, 10, 64)
	u, err2 := strconv.ParseInt(user, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return store.AccountChange{}
	}
	return store.AccountChange{SiteID: s, UserID: u}
}

// feed fans the changes out to the watchers of one Store.
type feed struct {
	listen func(ctx context.Context, w store.AccountWatcher)

	// mu serialises the calls to watchers, as AccountWatcher promises.
	mu       sync.Mutex
	watchers map[int]store.AccountWatcher
	nextID   int
	live     bool
	started  bool // the listener was started, or the store closed first
	stop     context.CancelFunc
	done     chan struct{}
}

// WatchAccounts tells w of account changes until stop is called. The
// first watcher starts the driver's listener (Options.Listen), so that
// processes that never watch (the CLI's commands) hold no connection for
// it.
func (s *Store) WatchAccounts(w store.AccountWatcher) (stop func()) {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watchers == nil {
		f.watchers = map[int]store.AccountWatcher{}
	}
	id := f.nextID
	f.nextID++
	f.watchers[id] = w
	if !f.started {
		f.started = true
		if f.listen == nil {
			f.live = true // every write is this process's own
		} else {
			ctx, cancel := context.WithCancel(context.Background())
			f.stop, f.done = cancel, make(chan struct{})
			go func() {
				defer close(f.done)
				f.listen(ctx, f)
			}()
		}
	}
	w.AccountFeedLive(f.live)
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.watchers, id)
	}
}

// AccountChanged passes a change on to every watcher.
func (f *feed) AccountChanged(c store.AccountChange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.watchers {
		w.AccountChanged(c)
	}
}

// AccountFeedLive passes the listener's state on to every watcher.
func (f *feed) AccountFeedLive(live bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = live
	for _, w := range f.watchers {
		w.AccountFeedLive(live)
	}
}

// close stops the listener and waits for it.
func (f *feed) close() {
	f.mu.Lock()
	stop, done := f.stop, f.done
	f.started = true // a watcher after Close starts no listener
	f.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// changed records that a write changed the accounts c names: at once
// outside a transaction, at its commit inside one. With a dialect that
// notifies, the other processes are told in the same transaction.
func (s *Store) changed(ctx context.Context, c store.AccountChange) error {
	if s.d.Notify != "" {
		if _, err := s.exec(ctx, s.d.Notify, AccountsChannel, EncodeAccountChange(c)); err != nil {
			return fmt.Errorf("store: announce an account change: %w", err)
		}
	}
	if t := s.txFrom(ctx); t != nil {
		t.mu.Lock()
		t.changes = append(t.changes, c)
		t.mu.Unlock()
		return nil
	}
	s.feed.AccountChanged(c)
	return nil
}

// userChanged is changed for one user.
func (s *Store) userChanged(ctx context.Context, siteID, userID int64) error {
	return s.changed(ctx, store.AccountChange{SiteID: siteID, UserID: userID})
}

// siteChanged is changed for every user of a site.
func (s *Store) siteChanged(ctx context.Context, siteID int64) error {
	return s.changed(ctx, store.AccountChange{SiteID: siteID})
}

// changing runs a write and records the change it makes, in one
// transaction (the caller's, when it has one).
func changing[R any](ctx context.Context, s *Store, c store.AccountChange, write func(ctx context.Context) (R, error)) (R, error) {
	var out R
	err := s.Tx(ctx, func(ctx context.Context) error {
		r, err := write(ctx)
		if err != nil {
			return err
		}
		out = r
		return s.changed(ctx, c)
	})
	return out, err
}

// ownerOf reads the user a row of a per-user table (keys, sessions)
// belongs to, before it is deleted, so that the change names that user
// rather than the whole site. A row that is not there changes nobody.
func (s *Store) ownerOf(ctx context.Context, table string, siteID, id int64) (int64, bool, error) {
	var userID int64
	err := s.queryRow(ctx, false, "SELECT user_id FROM "+table+" WHERE id = ? AND site_id = ?", id, siteID).Scan(&userID)
	if err != nil {
		if err = s.mapErr(err, table, ""); errors.Is(err, store.ErrNotFound) {
			return 0, false, nil
		}
		return 0, false, err
	}
	return userID, true, nil
}

// deleteOwned deletes one row of a per-user table and records the change
// to its owner.
func (s *Store) deleteOwned(ctx context.Context, table, what string, siteID, id int64) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		userID, found, err := s.ownerOf(ctx, table, siteID, id)
		if err != nil {
			return err
		}
		if err := deleteOne(ctx, s, table, what, "id = ? AND site_id = ?", id, siteID); err != nil {
			return err
		}
		if !found {
			return nil
		}
		return s.userChanged(ctx, siteID, userID)
	})
}
