package access

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
	"github.com/gatehouse/gatehouse/internal/store/sqlite"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// TestMain stops the PostgreSQL server the cross-node tests started.
func TestMain(m *testing.M) { pgtest.Main(m) }

// counting is the identity core, counting the accounts it reads again.
type counting struct {
	*identity.Service
	readmits atomic.Int64
}

func (c *counting) Readmit(ctx context.Context, in identity.TransferSignIn) (identity.Standing, error) {
	c.readmits.Add(1)
	return c.Service.Readmit(ctx, in)
}

// layout lays out an empty view: these tests look at who may go on, not
// at files.
func layout(store.Site, store.User, []store.GroupUser) vfs.FS { return emptyFS{} }

type emptyFS struct{ vfs.FS }

func ptr[T any](v T) *T { return &v }

// node is one Gatehouse process's identity core over a store.
type node struct {
	st store.Store
	id *counting
}

func newNode(t *testing.T, st store.Store, clock func() time.Time) node {
	t.Cleanup(func() { _ = st.Close() })
	return node{st: st, id: &counting{Service: identitytest.New(t, st, identity.Options{Clock: clock})}}
}

// user creates an SFTP user with a password on the node's default site.
func (n node) user(t *testing.T, name string) (store.Site, store.User) {
	t.Helper()
	site, err := n.id.EnsureDefaultSite(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	u, err := n.id.CreateUser(t.Context(), identity.SystemActor, site.ID, identity.UserChange{Username: ptr(name),
		AuthenticationMethod: ptr(store.AuthPassword), Password: ptr("a long enough password 1"), SFTPPermission: ptr(true),
		FTPPermission: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	return site, u
}

// open signs a connection of u in on n, a moment after the user was made.
func (n node) open(t *testing.T, site store.Site, u store.User, in identity.TransferSignIn) *Session {
	t.Helper()
	in.SiteID, in.UserID = site.ID, u.ID
	if in.Channel == "" {
		in.Channel = identity.ChannelSFTP
	}
	if in.Credential == "" {
		in.Credential, in.At = identity.CredentialPassword, n.id.Now().Add(time.Second)
	}
	s, _, err := Open(t.Context(), n.id, layout, site, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checks runs k checks that must pass and answers how many of them read
// the account.
func checks(t *testing.T, n node, s *Session, k int) int64 {
	t.Helper()
	before := n.id.readmits.Load()
	for range k {
		if _, err := s.Check(t.Context()); err != nil {
			t.Fatalf("check refused: %v", err)
		}
	}
	return n.id.readmits.Load() - before
}

// refusedWithin waits until a check refuses, ending the connection.
func refusedWithin(t *testing.T, s *Session, d time.Duration) error {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		_, err := s.Check(t.Context())
		if err != nil {
			if !Ends(err) {
				t.Fatalf("the check failed without ending the connection: %v", err)
			}
			return err
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection still goes on %s after its right was revoked", d)
		}
	}
}

// TestCheckReadsTheAccountOnlyWhenItChanged: while nothing changes, a
// request costs no read of the account; a change to another user costs
// none either; a change to the user, their group or their site makes the
// next request read it, and a revoked right ends the connection there.
func TestCheckReadsTheAccountOnlyWhenItChanged(t *testing.T) {
	n := newNode(t, sqliteStore(t, filepath.Join(t.TempDir(), "gatehouse.db")), nil)
	site, alice := n.user(t, "alice")
	_, bob := n.user(t, "bob")
	s := n.open(t, site, alice, identity.TransferSignIn{})
	waitLive(t, n)
	checks(t, n, s, 1) // the reading taken while the feed started

	if got := checks(t, n, s, 50); got != 0 {
		t.Fatalf("50 requests with nothing changed read the account %d times, want 0", got)
	}
	if _, err := n.id.UpdateUser(t.Context(), identity.SystemActor, site.ID, bob.ID, identity.UserChange{Name: ptr("Bob")}, true); err != nil {
		t.Fatal(err)
	}
	if got := checks(t, n, s, 10); got != 0 {
		t.Errorf("a change to another user made alice's requests read her account %d times, want 0", got)
	}
	if _, err := n.id.UpdateUser(t.Context(), identity.SystemActor, site.ID, alice.ID, identity.UserChange{Name: ptr("Alice")}, true); err != nil {
		t.Fatal(err)
	}
	if got := checks(t, n, s, 10); got != 1 {
		t.Errorf("after a change to alice, 10 requests read her account %d times, want 1", got)
	}
	g := store.Group{SiteID: site.ID, Name: "eng"}
	if err := n.st.CreateGroup(t.Context(), &g); err != nil {
		t.Fatal(err)
	}
	if err := n.st.AddGroupUser(t.Context(), &store.GroupUser{SiteID: site.ID, GroupID: g.ID, UserID: alice.ID}); err != nil {
		t.Fatal(err)
	}
	if got := checks(t, n, s, 10); got != 1 {
		t.Errorf("after alice joined a group, 10 requests read her account %d times, want 1", got)
	}
	if _, err := n.st.UpdateGroup(t.Context(), site.ID, g.ID, func(g *store.Group) error { g.Name = "engineering"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := checks(t, n, s, 10); got != 1 {
		t.Errorf("after her group changed, 10 requests read alice's account %d times, want 1", got)
	}

	if _, err := n.st.UpdateUser(t.Context(), site.ID, alice.ID, func(u *store.User) error { u.SFTPPermission = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check(t.Context()); !Ends(err) {
		t.Fatalf("the request after sftp_permission was taken away: %v, want the connection ended", err)
	}
}

// TestRolledBackChangeIsNoChange: a write rolled back tells the feed
// nothing, and a committed one inside a transaction tells it at commit.
func TestRolledBackChangeIsNoChange(t *testing.T) {
	n := newNode(t, sqliteStore(t, filepath.Join(t.TempDir(), "gatehouse.db")), nil)
	site, alice := n.user(t, "alice")
	s := n.open(t, site, alice, identity.TransferSignIn{})
	waitLive(t, n)
	checks(t, n, s, 1)
	errAbort := errors.New("abort")
	err := n.st.Tx(t.Context(), func(ctx context.Context) error {
		if _, err := n.st.UpdateUser(ctx, site.ID, alice.ID, func(u *store.User) error { u.Name = "x"; return nil }); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatal(err)
	}
	if got := checks(t, n, s, 5); got != 0 {
		t.Errorf("a rolled-back change made the requests read the account %d times, want 0", got)
	}
}

// TestCheckReadsAgainAtTheKeysExpiry: an API key that expires while the
// (FTP) connection is open ends it at its first request after the expiry,
// although no write announced anything.
func TestCheckReadsAgainAtTheKeysExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	n := newNode(t, sqliteStore(t, filepath.Join(t.TempDir(), "gatehouse.db")), clock)
	site, alice := n.user(t, "alice")
	k := store.APIKey{SiteID: site.ID, UserID: alice.ID, Name: "k", KeyHash: []byte("hash of a key"), PermissionSet: "full",
		ExpiresAt: now.Add(time.Hour)}
	if err := n.st.CreateAPIKey(t.Context(), &k); err != nil {
		t.Fatal(err)
	}
	s := n.open(t, site, alice, identity.TransferSignIn{Channel: identity.ChannelFTP,
		Credential: identity.CredentialAPIKey, APIKeyID: k.ID, At: now})
	waitLive(t, n)
	checks(t, n, s, 1)
	if got := checks(t, n, s, 10); got != 0 {
		t.Fatalf("requests before the expiry read the account %d times, want 0", got)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	_, err := s.Check(t.Context())
	if !errors.Is(err, identity.ErrInvalidAPIKey) {
		t.Fatalf("the request after the key expired: %v, want %v", err, identity.ErrInvalidAPIKey)
	}
}

// TestRevocationReachesAnotherNode: two Gatehouse nodes share one
// PostgreSQL database; a right revoked through the first ends the
// second's open connection at its next request, carried by LISTEN/NOTIFY,
// while requests before the change read nothing.
func TestRevocationReachesAnotherNode(t *testing.T) {
	url := pgtest.Database(t)
	open := func() store.Store {
		st, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, b := newNode(t, open(), nil), newNode(t, open(), nil)
	site, alice := a.user(t, "alice")
	s := b.open(t, site, alice, identity.TransferSignIn{})
	waitLive(t, b)
	checks(t, b, s, 1) // the reading taken while the feed started
	if got := checks(t, b, s, 20); got != 0 {
		t.Fatalf("20 requests on node b with nothing changed read the account %d times, want 0", got)
	}

	if _, err := a.id.UpdateUser(t.Context(), identity.SystemActor, site.ID, alice.ID,
		identity.UserChange{SFTPPermission: ptr(false)}, true); err != nil {
		t.Fatal(err)
	}
	if err := refusedWithin(t, s, 10*time.Second); !strings.Contains(Message(err), "sftp_permission") {
		t.Fatalf("refused with %q, want the missing sftp_permission named", Message(err))
	}
}

// TestRevocationByAnotherProcessOnSQLite: a change made by another
// process on the same SQLite file (an admin's gatehouse command) ends
// the open connection too; the serving process hears of it through
// data_version.
func TestRevocationByAnotherProcessOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	server := newNode(t, sqliteStore(t, path), nil)
	site, alice := server.user(t, "alice")
	s := server.open(t, site, alice, identity.TransferSignIn{})
	waitLive(t, server)
	checks(t, server, s, 1)
	if got := checks(t, server, s, 20); got != 0 {
		t.Fatalf("20 requests with nothing changed read the account %d times, want 0", got)
	}

	cli := sqliteStore(t, path)
	defer cli.Close()
	if _, err := cli.UpdateUser(t.Context(), site.ID, alice.ID, func(u *store.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := refusedWithin(t, s, 10*time.Second); !errors.Is(err, identity.ErrUserDisabled) {
		t.Fatalf("refused with %v, want %v", err, identity.ErrUserDisabled)
	}
}

func sqliteStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitLive waits until the node's feed tells of every change.
func waitLive(t *testing.T, n node) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, live := n.id.AccountVersion(1, 1); live {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the account feed did not become live")
		}
	}
}
