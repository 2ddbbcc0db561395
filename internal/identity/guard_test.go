package identity

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/pgtest"
	"github.com/gatehouse/gatehouse/internal/store/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// storeEngines are the stores the guard tests run on: the guard's promise
// is about concurrent transactions, which each engine keeps differently.
var storeEngines = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", openSQLite},
	{"postgres", func(t *testing.T) store.Store {
		url := pgtest.Database(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}},
}

func forEachEngine(t *testing.T, fn func(t *testing.T, newEnv func() *env)) {
	for _, engine := range storeEngines {
		t.Run(engine.name, func(t *testing.T) {
			fn(t, func() *env { return newEnvOn(t, engine.open(t), Options{}) })
		})
	}
}

// demotion is one of the ways to take an admin out of the password admins.
type demotion struct {
	name string
	do   func(e *env, a Actor, id int64, force bool) error
}

func demotions(samlID func(e *env) int64) []demotion {
	update := func(c func(e *env) UserChange) func(e *env, a Actor, id int64, force bool) error {
		return func(e *env, a Actor, id int64, force bool) error {
			_, err := e.svc.UpdateUser(e.ctx, a, e.site.ID, id, c(e), force)
			return err
		}
	}
	return []demotion{
		{"switch to sso", update(func(e *env) UserChange {
			return UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: ptr(samlID(e))}
		})},
		{"switch to none", update(func(*env) UserChange { return UserChange{AuthenticationMethod: ptr(store.AuthNone)} })},
		{"disable", update(func(*env) UserChange { return UserChange{Disabled: ptr(true)} })},
		{"remove site_admin", update(func(*env) UserChange { return UserChange{SiteAdmin: ptr(false)} })},
		{"delete", func(e *env, a Actor, id int64, force bool) error {
			return e.svc.DeleteUser(e.ctx, a, e.site.ID, id, force)
		}},
	}
}

func TestGuardKeepsOnePasswordAdmin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, newEnv func() *env) {
		samlID := func(e *env) int64 { return e.provider(ProtocolSAML).ID }
		for _, d := range demotions(samlID) {
			t.Run(d.name, func(t *testing.T) {
				e := newEnv()
				root := e.admin("root")
				actor := ActorFor(root, "198.51.100.7")
				// An SSO admin and a disabled password admin do not keep
				// the site reachable, so they do not count.
				e.user("ssoadmin", UserChange{SiteAdmin: ptr(true), AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: ptr(samlID(e))})
				e.user("offadmin", UserChange{SiteAdmin: ptr(true), Disabled: ptr(true)})

				// Refused for the last one, and nothing changes.
				err := d.do(e, actor, root.ID, false)
				wantErr(t, "demote last password admin", err, ErrLastPasswordAdmin)
				if e := AsError(err); e.Status != http.StatusConflict || !strings.Contains(e.Message, "force=true") {
					t.Errorf("refusal %d %q should be a 409 that mentions force=true", e.Status, e.Message)
				}
				after, err := e.svc.GetUser(e.ctx, e.site.ID, root.ID)
				wantErr(t, "root still there", err, nil)
				if !isPasswordAdmin(after) {
					t.Fatalf("refused change was applied: %+v", after)
				}
				refusals := e.events(EventTypeAdminGuard)
				if len(refusals) != 1 || refusals[0].Status != store.EventFailure ||
					!containsAll(refusals[0].Body, `"root"`, "refused", "198.51.100.7") {
					t.Fatalf("refusal events = %+v, want one failure naming root and the actor", refusals)
				}

				// Allowed when a second password admin remains.
				second := e.admin("second")
				wantErr(t, "demote with a second admin", d.do(e, actor, root.ID, false), nil)
				if n, _ := e.st.CountEnabledPasswordAdmins(e.ctx, e.site.ID); n != 1 {
					t.Fatalf("password admins = %d, want 1", n)
				}

				// The second is now the last: force overrides, and says so.
				wantErr(t, "demote the last with force", d.do(e, SystemActor, second.ID, true), nil)
				if n, _ := e.st.CountEnabledPasswordAdmins(e.ctx, e.site.ID); n != 0 {
					t.Fatalf("password admins = %d after a forced demotion, want 0", n)
				}
				evs := e.events(EventTypeAdminGuard)
				if len(evs) != 2 || evs[1].Status != store.EventSuccess || !containsAll(evs[1].Body, "forced", `"second"`) {
					t.Fatalf("events = %+v, want the refusal and then a forced override naming second", evs)
				}
			})
		}
	})
}

func TestGuardIgnoresHarmlessChanges(t *testing.T) {
	e := newEnv(t)
	root := e.admin("root")
	// Changes that keep root a password admin need no second admin.
	for _, c := range []UserChange{
		{Name: ptr("Root")},
		{Disabled: ptr(false)},
		{SiteAdmin: ptr(true)},
		{AuthenticationMethod: ptr(store.AuthPassword)},
		{Password: ptr("another long password")},
	} {
		_, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, root.ID, c, false)
		wantErr(t, "harmless change", err, nil)
	}
	// Demoting someone who is not a password admin is not the guard's business.
	bob := e.user("bob", UserChange{})
	wantErr(t, "disable plain user", func() error {
		_, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, bob.ID, UserChange{Disabled: ptr(true)}, false)
		return err
	}(), nil)
	wantErr(t, "delete plain user", e.svc.DeleteUser(e.ctx, SystemActor, e.site.ID, bob.ID, false), nil)
	if evs := e.events(EventTypeAdminGuard); len(evs) != 0 {
		t.Fatalf("guard events for harmless changes: %+v", evs)
	}
}

// TestGuardConcurrentDemotions demotes the last two password admins at
// the same time from two goroutines: exactly one may win.
func TestGuardConcurrentDemotions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, newEnv func() *env) {
		e := newEnv()
		a := e.admin("alpha")
		b := e.admin("bravo")
		for round := range 5 {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range []int64{a.ID, b.ID} {
				wg.Go(func() {
					_, errs[i] = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, id, UserChange{Disabled: ptr(true)}, false)
				})
			}
			wg.Wait()
			var won, refused int
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, ErrLastPasswordAdmin):
					refused++
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			n, err := e.st.CountEnabledPasswordAdmins(e.ctx, e.site.ID)
			if err != nil {
				t.Fatal(err)
			}
			if won != 1 || refused != 1 || n != 1 {
				t.Fatalf("round %d: %d won, %d refused, %d password admins left; want 1, 1, 1", round, won, refused, n)
			}
			for _, id := range []int64{a.ID, b.ID} {
				if _, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, id, UserChange{Disabled: ptr(false)}, false); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
