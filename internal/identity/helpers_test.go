package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// cheapHashing keeps argon2id fast in tests; production cost is tested
// nowhere near a loop.
var cheapHashing = PasswordParams{Memory: 64, Iterations: 1, Parallelism: 1, MaxConcurrent: 4}

// env is a Service over a real store with a default site.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	svc   *Service
	clock *testclock.Clock
	site  store.Site
}

// openSQLite opens a fresh SQLite store in the test's temp dir.
func openSQLite(t *testing.T) store.Store {
	t.Helper()
	st := teststore.SQLite(t)
	return st
}

func newEnv(t *testing.T) *env {
	return newEnvOn(t, openSQLite(t), Options{})
}

// newEnvOn builds an env over st; o may set a Directory.
func newEnvOn(t *testing.T, st store.Store, o Options) *env {
	t.Helper()
	key := make([]byte, secret.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	o.Clock = clock.Now
	o.Sealer = sealer
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	hashing := cheapHashing
	o.PasswordHashing = &hashing
	svc := New(st, o)
	ctx := context.Background()
	site, err := svc.EnsureDefaultSite(ctx)
	if err != nil {
		t.Fatalf("EnsureDefaultSite: %v", err)
	}
	return &env{t: t, ctx: ctx, st: st, svc: svc, clock: clock, site: site}
}

func ptr[T any](v T) *T { return &v }

const testPassword = "correct horse battery staple"

// user creates a user with the given change on top of a username and the
// test password, failing the test on error.
func (e *env) user(username string, c UserChange) store.User {
	e.t.Helper()
	c.Username = &username
	if c.Password == nil && (c.AuthenticationMethod == nil || *c.AuthenticationMethod == store.AuthPassword) {
		c.Password = ptr(testPassword)
	}
	u, err := e.svc.CreateUser(e.ctx, SystemActor, e.site.ID, c)
	if err != nil {
		e.t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// admin creates an enabled password site admin.
func (e *env) admin(username string) store.User {
	e.t.Helper()
	return e.user(username, UserChange{SiteAdmin: ptr(true)})
}

// provider creates an SSO provider of the given protocol.
func (e *env) provider(protocol string) store.SSOStrategy {
	e.t.Helper()
	c := SSOStrategyChange{Protocol: &protocol}
	if protocol == ProtocolOAuth2 {
		c.Provider = ptr("okta")
	}
	p, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, e.site.ID, c)
	if err != nil {
		e.t.Fatalf("CreateSSOStrategy(%s): %v", protocol, err)
	}
	return p
}

// otherSite creates a second site.
func (e *env) otherSite() store.Site {
	e.t.Helper()
	s := store.DefaultSiteSettings()
	s.Name = "Other"
	s.Subdomain = "other"
	if err := e.st.CreateSite(e.ctx, &s); err != nil {
		e.t.Fatalf("CreateSite: %v", err)
	}
	return s
}

func (e *env) login(username, password string, ch Channel) (store.User, error) {
	return e.loginFrom("192.0.2.1", username, password, ch)
}

// loginFrom is login from a given source address.
func (e *env) loginFrom(ip, username, password string, ch Channel) (store.User, error) {
	return e.svc.LoginWithPassword(e.ctx, PasswordLogin{SiteID: e.site.ID, Username: username, Password: password, Channel: ch, IP: ip})
}

// wantErr fails unless err matches want (nil means success).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && err == nil:
		t.Fatalf("%s: succeeded, want %v", what, want)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

// events returns the site's external events of one type.
func (e *env) events(eventType string) []store.ExternalEvent {
	e.t.Helper()
	evs, err := e.svc.ListExternalEvents(e.ctx, e.site.ID, store.EventQuery{EventType: eventType})
	if err != nil {
		e.t.Fatalf("ListExternalEvents: %v", err)
	}
	return evs
}

// newAuthorizedKey returns a fresh Ed25519 public key as an authorized_keys
// line with a comment.
func newAuthorizedKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " ann@laptop"
}
