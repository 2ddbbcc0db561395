// Package transfertest builds what the FTP and WebDAV front ends' tests
// run against: a real SQLite store, the identity core, the local-disk
// storage, and users of each kind (password, federated SSO, with API keys).
package transfertest

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testpeer"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Password is every test user's password.
const Password = "correct horse battery staple"

// Harness is one test's store, identity core and storage.
type Harness struct {
	T       testing.TB
	Ctx     context.Context
	Store   store.Store
	Svc     *identity.Service
	Site    store.Site
	Storage *vfs.Storage
	Logs    *Buffer
	Logger  *slog.Logger
}

// New builds a harness whose files live in a temporary folder.
func New(t testing.TB) *Harness {
	t.Helper()
	return newHarness(t, nil)
}

// newHarness builds a harness; adjust may change the identity core's
// options before it is made (NewLDAP adds the directory service).
func newHarness(t testing.TB, adjust func(store.Store, *identity.Options)) *Harness {
	t.Helper()
	dir := t.TempDir()
	st := teststore.Open(t)
	sealer := identitytest.Sealer(t)
	var err error
	h := &Harness{T: t, Ctx: context.Background(), Store: st, Logs: &Buffer{}}
	h.Logger = slog.New(slog.NewJSONHandler(h.Logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts := identity.Options{Logger: h.Logger, Sealer: sealer,
		PasswordHashing: identitytest.CheapHashing()}
	if adjust != nil {
		adjust(st, &opts)
	}
	h.Svc = identity.New(st, opts)
	if h.Site, err = h.Svc.EnsureDefaultSite(h.Ctx); err != nil {
		t.Fatalf("default site: %v", err)
	}
	if h.Storage, err = vfs.New(filepath.Join(dir, "files"), st); err != nil {
		t.Fatal(err)
	}
	return h
}

// Files opens a user's view, as the front ends do.
func (h *Harness) Files(ctx context.Context, site store.Site, u store.User) (vfs.FS, error) {
	return h.Storage.For(ctx, site, u)
}

// PasswordUser creates a password user with every protocol permission.
func (h *Harness) PasswordUser(username string) store.User {
	h.T.Helper()
	pw, method, yes := Password, store.AuthPassword, true
	u, err := h.Svc.CreateUser(h.Ctx, identity.SystemActor, h.Site.ID, identity.UserChange{
		Username: &username, Password: &pw, AuthenticationMethod: &method,
		RestAPIPermission: &yes, FTPPermission: &yes, DAVPermission: &yes, SFTPPermission: &yes})
	if err != nil {
		h.T.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// SSOUser creates a user who signs in through single sign-on (a SAML or
// OIDC provider) but still holds the password hash of Password, so a test
// shows that the policy, not a wrong password, refuses it.
func (h *Harness) SSOUser(username string) store.User {
	h.T.Helper()
	u := h.PasswordUser(username)
	u, err := h.Store.UpdateUser(h.Ctx, h.Site.ID, u.ID, func(u *store.User) error {
		u.AuthenticationMethod = store.AuthSSO
		return nil
	})
	if err != nil {
		h.T.Fatalf("make %s an SSO user: %v", username, err)
	}
	return u
}

// APIKey creates an API key for u and returns the key itself.
func (h *Harness) APIKey(u store.User) string {
	h.T.Helper()
	name := "key " + strconv.FormatInt(time.Now().UnixNano(), 36)
	_, key, err := h.Svc.CreateAPIKey(h.Ctx, identity.SystemActor, h.Site.ID, identity.APIKeyChange{UserID: &u.ID, Name: &name})
	if err != nil {
		h.T.Fatalf("create API key: %v", err)
	}
	return key
}

// Disable disables u the way a provider does: straight in the store.
func (h *Harness) Disable(u store.User) {
	h.T.Helper()
	if _, err := h.Store.UpdateUser(h.Ctx, h.Site.ID, u.ID, func(u *store.User) error {
		u.Disabled = true
		return nil
	}); err != nil {
		h.T.Fatal(err)
	}
}

// User reads u again.
func (h *Harness) User(u store.User) store.User {
	h.T.Helper()
	got, err := h.Store.GetUser(h.Ctx, h.Site.ID, u.ID)
	if err != nil {
		h.T.Fatal(err)
	}
	return got
}

// LockOut locks u out of password sign-in for an hour, as enough wrong
// passwords from several addresses would.
func (h *Harness) LockOut(u store.User) {
	h.T.Helper()
	if _, err := h.Store.UpdateUser(h.Ctx, h.Site.ID, u.ID, func(u *store.User) error {
		u.LockoutExpires = time.Now().Add(time.Hour)
		return nil
	}); err != nil {
		h.T.Fatal(err)
	}
}

// SetLockout turns lockout on after tries failures.
func (h *Harness) SetLockout(tries int) {
	h.T.Helper()
	yes, hours := true, 1
	site, err := h.Svc.UpdateSite(h.Ctx, identity.SystemActor, h.Site.ID, identity.SiteChange{
		UserLockout: &yes, UserLockoutTries: &tries, UserLockoutWithin: &hours, UserLockoutLockPeriod: &hours})
	if err != nil {
		h.T.Fatal(err)
	}
	h.Site = site
}

// FreePort returns a loopback address nobody listens on right now
// (testpeer.FreeAddr, under the name the transfer tests know).
func FreePort(t testing.TB) string {
	t.Helper()
	return testpeer.FreeAddr(t)
}

// Buffer is a log sink safe for concurrent writes.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// SignInEvents returns the bodies of the transfer sign-in events with
// status ("success" or "failure").
func (h *Harness) SignInEvents(status string) []string {
	h.T.Helper()
	events, err := h.Store.ListExternalEvents(h.Ctx, h.Site.ID, store.EventQuery{EventType: identity.EventTypeTransferLogin, Status: status,
		ListOptions: store.ListOptions{Limit: 1000}})
	if err != nil {
		h.T.Fatal(err)
	}
	var bodies []string
	for _, e := range events {
		bodies = append(bodies, e.Body)
	}
	return bodies
}

// Group creates a group whose folder every member may write (members are
// made group admins, which is what makes a group folder writable).
func (h *Harness) Group(name string, members ...store.User) store.Group {
	h.T.Helper()
	g := store.Group{SiteID: h.Site.ID, Name: name}
	if err := h.Store.CreateGroup(h.Ctx, &g); err != nil {
		h.T.Fatal(err)
	}
	for _, u := range members {
		if err := h.Store.AddGroupUser(h.Ctx, &store.GroupUser{SiteID: h.Site.ID, GroupID: g.ID, UserID: u.ID, Admin: true}); err != nil {
			h.T.Fatal(err)
		}
	}
	return g
}
