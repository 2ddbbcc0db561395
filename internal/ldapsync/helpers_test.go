package ldapsync

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/events/eventstest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/outbound"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// world is a store with a site, the identity core, the engine, the
// directory service and a sync Service over them, on a hand-moved clock.
type world struct {
	t      testing.TB
	ctx    context.Context
	st     store.Store
	clock  *testclock.Clock
	notes  *eventstest.Recorder
	id     *identity.Service
	engine *provision.Engine
	dirs   *directory.Service
	svc    *Service
	site   store.Site
}

var start = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	openSQLite   = teststore.SQLite
	openPostgres = teststore.Postgres
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newWorld(tb testing.TB, st store.Store) *world {
	tb.Helper()
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		tb.Fatal(err)
	}
	w := &world{t: tb, ctx: context.Background(), st: st, clock: testclock.New(start), notes: &eventstest.Recorder{}}
	w.id = identity.New(st, identity.Options{Sealer: sealer, Clock: w.clock.Now, Logger: quietLogger()})
	w.engine = provision.New(st, provision.Options{Clock: w.clock.Now, Notifier: w.notes, Logger: quietLogger()})
	w.dirs = directory.New(directory.Options{Store: st, Secrets: w.id, Logger: quietLogger(), Outbound: outbound.AllowPrivate()})
	tb.Cleanup(func() { _ = w.dirs.Close() })
	w.svc, err = New(Options{Store: st, Engine: w.engine, Directories: w.dirs, Notifier: w.notes,
		Logger: quietLogger(), Clock: w.clock.Now, Holder: "test-node"})
	if err != nil {
		tb.Fatal(err)
	}
	if w.site, err = w.id.EnsureDefaultSite(w.ctx); err != nil {
		tb.Fatal(err)
	}
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// provider creates an LDAP provider that provisions and deprovisions
// users and groups; mods adjust the change before it is made.
func (w *world) provider(mods ...func(*identity.SSOStrategyChange)) store.SSOStrategy {
	w.t.Helper()
	c := identity.SSOStrategyChange{
		Protocol: ptr(identity.ProtocolOpenLDAP), Provider: ptr("ldap"), Label: ptr("Corp LDAP"), Enabled: ptr(true),
		LDAPHost: ptr("127.0.0.1"), LDAPPort: ptr(1), LDAPBaseDN: ptr("dc=example,dc=org"),
		LDAPUsername: ptr("cn=admin,dc=example,dc=org"), LDAPPassword: ptr("secret"), LDAPUsernameField: ptr("uid"),
		ProvisionUsers: ptr(true), ProvisionGroups: ptr(true), DeprovisionUsers: ptr(true), DeprovisionGroups: ptr(true),
		DeprovisionBehavior: ptr("disable"),
	}
	for _, m := range mods {
		m(&c)
	}
	p, err := w.id.CreateSSOStrategy(w.ctx, identity.SystemActor, w.site.ID, c)
	w.must(err)
	return p
}

// update changes a provider's settings.
func (w *world) update(p store.SSOStrategy, c identity.SSOStrategyChange) store.SSOStrategy {
	w.t.Helper()
	p, err := w.id.UpdateSSOStrategy(w.ctx, identity.SystemActor, w.site.ID, p.ID, c)
	w.must(err)
	return p
}

// sync runs a sync of p and fails the test on an error.
func (w *world) sync(p store.SSOStrategy) *Result {
	w.t.Helper()
	res, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: p.ID})
	w.must(err)
	return res
}

// users returns the provider's accounts by login name.
func (w *world) users(p store.SSOStrategy) map[string]store.User {
	w.t.Helper()
	list, err := w.st.ListUsers(w.ctx, w.site.ID, store.UserQuery{SSOStrategyID: p.ID, ListOptions: store.ListOptions{Limit: 10000}})
	w.must(err)
	out := map[string]store.User{}
	for _, u := range list {
		out[u.Username] = u
	}
	return out
}

// groupsOf returns the names of a user's groups.
func (w *world) groupsOf(u store.User) map[string]bool {
	w.t.Helper()
	gs, err := w.st.GroupsOfUser(w.ctx, w.site.ID, u.ID)
	w.must(err)
	out := map[string]bool{}
	for _, g := range gs {
		out[g.Name] = true
	}
	return out
}

// syncEvents lists the provider's sync runs, oldest first.
func (w *world) syncEvents(p store.SSOStrategy) []store.ExternalEvent {
	w.t.Helper()
	list, err := w.st.ListExternalEvents(w.ctx, w.site.ID, store.EventQuery{EventType: provision.EventSync, SSOStrategyID: p.ID})
	w.must(err)
	return list
}

// body decodes an event body.
func (w *world) body(ev store.ExternalEvent) map[string]json.RawMessage {
	w.t.Helper()
	var m map[string]json.RawMessage
	w.must(json.Unmarshal([]byte(ev.Body), &m))
	return m
}
