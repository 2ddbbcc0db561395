package storetest

import (
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// recorder is an AccountWatcher that keeps what it was told.
type recorder struct {
	mu      sync.Mutex
	changes []store.AccountChange
	live    bool
}

func (r *recorder) AccountChanged(c store.AccountChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
}

func (r *recorder) AccountFeedLive(live bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live = live
}

// take returns the changes told so far and forgets them.
func (r *recorder) take() []store.AccountChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	return out
}

// covers reports whether a change names the user.
func covers(c store.AccountChange, siteID, userID int64) bool {
	return c.SiteID == 0 || c.SiteID == siteID && (c.UserID == 0 || c.UserID == userID)
}

// watch subscribes a recorder and waits until the feed is live.
func (f *fixture) watch() *recorder {
	r := &recorder{}
	stop := f.s.WatchAccounts(r)
	f.t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		live := r.live
		r.mu.Unlock()
		if live {
			return r
		}
		if time.Now().After(deadline) {
			f.t.Fatal("the account feed did not become live")
		}
	}
}

// told fails the test unless a change naming the user was told since the
// last call, by the time write returned.
func (f *fixture) told(r *recorder, what string, siteID, userID int64, write func() error) {
	f.t.Helper()
	r.take()
	f.must(write())
	for _, c := range r.take() {
		if covers(c, siteID, userID) {
			return
		}
	}
	f.t.Errorf("%s told the account feed nothing about user %d", what, userID)
}

var accountFeedTests = []test{
	// Every write that can change what the login policy answers for an
	// open connection tells the feed, by the time it returns.
	{"EveryAccountWriteIsTold", func(f *fixture) {
		r := f.watch()
		u := f.user("watched")
		s := f.site.ID
		f.told(r, "UpdateUser", s, u.ID, func() error {
			_, err := f.s.UpdateUser(f.ctx, s, u.ID, func(u *store.User) error { u.Disabled = true; return nil })
			return err
		})
		g := f.group("g")
		f.told(r, "AddGroupUser", s, u.ID, func() error {
			return f.s.AddGroupUser(f.ctx, &store.GroupUser{SiteID: s, GroupID: g.ID, UserID: u.ID})
		})
		f.told(r, "UpdateGroupUser", s, u.ID, func() error {
			_, err := f.s.UpdateGroupUser(f.ctx, s, g.ID, u.ID, func(gu *store.GroupUser) error { gu.Admin = true; return nil })
			return err
		})
		f.told(r, "UpdateGroup", s, u.ID, func() error {
			_, err := f.s.UpdateGroup(f.ctx, s, g.ID, func(g *store.Group) error { g.SFTPPermission = true; return nil })
			return err
		})
		f.told(r, "RemoveGroupUser", s, u.ID, func() error { return f.s.RemoveGroupUser(f.ctx, s, g.ID, u.ID) })
		f.told(r, "AddMemberships", s, u.ID, func() error {
			_, err := f.s.AddMemberships(f.ctx, s, []store.Membership{{GroupID: g.ID, UserID: u.ID}}, time.Time{})
			return err
		})
		f.told(r, "RemoveMemberships", s, u.ID, func() error {
			_, err := f.s.RemoveMemberships(f.ctx, s, []store.Membership{{GroupID: g.ID, UserID: u.ID}})
			return err
		})
		f.told(r, "DeleteGroup", s, u.ID, func() error { return f.s.DeleteGroup(f.ctx, s, g.ID) })

		k := store.APIKey{SiteID: s, UserID: u.ID, Name: "k", KeyHash: []byte("feed key")}
		f.must(f.s.CreateAPIKey(f.ctx, &k))
		f.told(r, "UpdateAPIKey", s, u.ID, func() error {
			_, err := f.s.UpdateAPIKey(f.ctx, s, k.ID, func(k *store.APIKey) error { k.PermissionSet = "none"; return nil })
			return err
		})
		f.told(r, "DeleteAPIKey", s, u.ID, func() error { return f.s.DeleteAPIKey(f.ctx, s, k.ID) })
		pk := store.PublicKey{SiteID: s, UserID: u.ID, Title: "k", PublicKey: "ssh-ed25519 AAAA", FingerprintSHA256: "SHA256:feed"}
		f.must(f.s.CreatePublicKey(f.ctx, &pk))
		f.told(r, "UpdatePublicKey", s, u.ID, func() error {
			_, err := f.s.UpdatePublicKey(f.ctx, s, pk.ID, func(k *store.PublicKey) error { k.Title = "t"; return nil })
			return err
		})
		f.told(r, "DeletePublicKey", s, u.ID, func() error { return f.s.DeletePublicKey(f.ctx, s, pk.ID) })
		se := store.Session{SiteID: s, UserID: u.ID, TokenHash: []byte("feed session"), ExpiresAt: time.Now().Add(time.Hour)}
		f.must(f.s.CreateSession(f.ctx, &se))
		f.told(r, "DeleteSession", s, u.ID, func() error { return f.s.DeleteSession(f.ctx, s, se.ID) })
		f.told(r, "DeleteUserSessions", s, u.ID, func() error { _, err := f.s.DeleteUserSessions(f.ctx, s, u.ID); return err })

		p := store.SSOStrategy{SiteID: s, Protocol: "saml", Provider: "okta", Enabled: true}
		f.must(f.s.CreateSSOStrategy(f.ctx, &p))
		f.told(r, "UpdateSSOStrategy", s, u.ID, func() error {
			_, err := f.s.UpdateSSOStrategy(f.ctx, s, p.ID, func(p *store.SSOStrategy) error { p.Enabled = false; return nil })
			return err
		})
		f.told(r, "DeleteSSOStrategy", s, u.ID, func() error { return f.s.DeleteSSOStrategy(f.ctx, s, p.ID) })
		f.told(r, "UpdateSite", s, u.ID, func() error {
			_, err := f.s.UpdateSite(f.ctx, s, func(site *store.Site) error { site.Name = "Renamed"; return nil })
			return err
		})
		f.told(r, "DeleteUser", s, u.ID, func() error { return f.s.DeleteUser(f.ctx, s, u.ID) })
	}},
}
