package provision

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events/eventstest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	openSQLite   = teststore.SQLite
	openPostgres = teststore.Postgres
)

// env is one store with a site, a provider and an engine.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	e     *Engine
	clock *testclock.Clock
	notes *eventstest.Recorder
	site  store.Site
	p     store.SSOStrategy
}

var start = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// eachStore runs fn on SQLite and on PostgreSQL, with a provider that
// provisions and deprovisions users and groups; mods adjust it.
func eachStore(t *testing.T, fn func(v *env), mods ...func(*store.SSOStrategy)) {
	t.Helper()
	for _, d := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(d.name, func(t *testing.T) {
			fn(newEnv(t, d.open(t), mods...))
		})
	}
}

func newEnv(t *testing.T, st store.Store, mods ...func(*store.SSOStrategy)) *env {
	t.Helper()
	v := &env{t: t, ctx: context.Background(), st: st, clock: testclock.New(start), notes: &eventstest.Recorder{}}
	v.e = New(st, Options{Clock: v.clock.Now, Notifier: v.notes, BatchSize: 3})
	v.site = store.DefaultSiteSettings()
	v.site.Name, v.site.IsDefault = "Main", true
	v.must(st.CreateSite(v.ctx, &v.site))
	v.p = store.SSOStrategy{SiteID: v.site.ID, Protocol: "active_directory", Provider: "ldap", Label: "Corp AD",
		Enabled: true, ProvisionUsers: true, ProvisionGroups: true, DeprovisionUsers: true, DeprovisionGroups: true,
		DeprovisionBehavior: "disable"}
	for _, m := range mods {
		m(&v.p)
	}
	v.must(st.CreateSSOStrategy(v.ctx, &v.p))
	return v
}

func (v *env) must(err error) {
	v.t.Helper()
	if err != nil {
		v.t.Fatal(err)
	}
}

// setProvider changes the provider's settings.
func (v *env) setProvider(fn func(*store.SSOStrategy)) {
	v.t.Helper()
	p, err := v.st.UpdateSSOStrategy(v.ctx, v.site.ID, v.p.ID, func(p *store.SSOStrategy) error { fn(p); return nil })
	v.must(err)
	v.p = p
}

func person(ext, username string, groups ...string) ExternalIdentity {
	x := ExternalIdentity{ExternalID: ext, Username: username, Email: username + "@example.com",
		GivenName: "Given", FamilyName: username, Active: true}
	for _, g := range groups {
		x.Groups = append(x.Groups, GroupRef{ExternalID: "gid-" + g, Name: g})
	}
	return x
}

func (v *env) upsert(x ExternalIdentity) Result {
	v.t.Helper()
	res, err := v.e.Upsert(v.ctx, v.site.ID, v.p.ID, x)
	v.must(err)
	return res
}

func (v *env) reconcile(users ...ExternalIdentity) *Report {
	v.t.Helper()
	rep, err := v.e.Reconcile(v.ctx, v.site.ID, v.p.ID, Snapshot{Users: users})
	v.must(err)
	return rep
}

func (v *env) user(username string) store.User {
	v.t.Helper()
	u, err := v.st.GetUserByUsername(v.ctx, v.site.ID, username)
	v.must(err)
	return u
}

func (v *env) noUser(username string) {
	v.t.Helper()
	if u, err := v.st.GetUserByUsername(v.ctx, v.site.ID, username); err == nil {
		v.t.Fatalf("user %q exists: %+v", username, u)
	}
}

// localUser creates a user outside provisioning.
func (v *env) localUser(username string, mod ...func(*store.User)) store.User {
	v.t.Helper()
	u := store.User{SiteID: v.site.ID, Username: username, AuthenticationMethod: store.AuthPassword}
	for _, m := range mod {
		m(&u)
	}
	v.must(v.st.CreateUser(v.ctx, &u))
	return u
}

// groupsOf lists the names of a user's groups.
func (v *env) groupsOf(username string) []string {
	v.t.Helper()
	gs, err := v.st.GroupsOfUser(v.ctx, v.site.ID, v.user(username).ID)
	v.must(err)
	out := []string{}
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func (v *env) group(name string) store.Group {
	v.t.Helper()
	gs, err := v.st.ListGroups(v.ctx, v.site.ID, store.GroupQuery{Name: name})
	v.must(err)
	if len(gs) != 1 {
		v.t.Fatalf("group %q: found %d", name, len(gs))
	}
	return gs[0]
}

// ssoEvents lists the SSO events of a type.
func (v *env) ssoEvents(typ string) []store.SSOEvent {
	v.t.Helper()
	evs, err := v.st.ListSSOEvents(v.ctx, v.site.ID, store.EventQuery{EventType: typ})
	v.must(err)
	return evs
}

func (v *env) syncEvent(id int64) (store.ExternalEvent, map[string]any) {
	v.t.Helper()
	ev, err := v.st.GetExternalEvent(v.ctx, v.site.ID, id)
	v.must(err)
	var body map[string]any
	v.must(json.Unmarshal([]byte(ev.Body), &body))
	return ev, body
}

func wantNames(t *testing.T, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
