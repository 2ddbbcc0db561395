// Package storetest is the conformance suite every store driver passes:
// each driver's tests call Run with a function that opens a fresh, empty
// store. The suite is the executable form of the doc comments in package
// store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Run runs every conformance test; open must return a new, empty store
// and arrange for it to be closed when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Sites", siteTests},
		{"Users", userTests},
		{"Groups", groupTests},
		{"GroupUsers", groupUserTests},
		{"Memberships", membershipTests},
		{"APIKeys", apiKeyTests},
		{"PublicKeys", publicKeyTests},
		{"Sessions", sessionTests},
		{"SSOSessions", ssoSessionTests},
		{"SSOStrategies", ssoStrategyTests},
		{"SCIMCredentials", scimCredentialTests},
		{"Events", eventTests},
		{"LoginState", loginStateTests},
		{"SAMLSPKeys", samlSPKeyTests},
		{"Locks", lockTests},
		{"DAVLocks", davLockTests},
		{"FileUploads", fileUploadTests},
		{"Tx", txTests},
		{"Values", valueTests},
		{"Filters", filterTests},
		{"Sorts", sortTests},
		{"AccountFeed", accountFeedTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(newFixture(t, open(t)))
				})
			}
		})
	}
}

type test struct {
	name string
	run  func(f *fixture)
}

// fixture is a store with two sites: the default one the tests work in,
// and another whose records must stay invisible to it.
type fixture struct {
	t     *testing.T
	s     store.Store
	ctx   context.Context
	site  store.Site
	other store.Site
}

func newFixture(t *testing.T, s store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, s: s, ctx: context.Background()}
	f.site = store.DefaultSiteSettings()
	f.site.Name, f.site.IsDefault = "Main", true
	f.must(s.CreateSite(f.ctx, &f.site))
	f.other = store.DefaultSiteSettings()
	f.other.Name, f.other.Subdomain = "Other", "other"
	f.must(s.CreateSite(f.ctx, &f.other))
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// wantErr fails unless errors.Is(err, target).
func (f *fixture) wantErr(err, target error) {
	f.t.Helper()
	if !errors.Is(err, target) {
		f.t.Fatalf("got error %v, want %v", err, target)
	}
}

// equal fails unless got and want are deeply equal.
func equal[T any](f *fixture, got, want T) {
	f.t.Helper()
	if !reflect.DeepEqual(got, want) {
		f.t.Fatalf("records differ\n got: %+v\nwant: %+v", got, want)
	}
}

// ids lists the ids of records in order.
func ids[T any](f *fixture, records []T) []int64 {
	f.t.Helper()
	out := []int64{}
	for _, r := range records {
		out = append(out, reflect.ValueOf(r).FieldByName("ID").Int())
	}
	return out
}

func wantIDs(f *fixture, got []int64, want ...int64) {
	f.t.Helper()
	if want == nil {
		want = []int64{}
	}
	if !reflect.DeepEqual(got, want) {
		f.t.Fatalf("got ids %v, want %v", got, want)
	}
}

// user creates a user on the main site; mods adjust it first.
func (f *fixture) user(username string, mods ...func(*store.User)) store.User {
	f.t.Helper()
	return f.userOn(f.site.ID, username, mods...)
}

func (f *fixture) userOn(siteID int64, username string, mods ...func(*store.User)) store.User {
	f.t.Helper()
	u := store.User{SiteID: siteID, Username: username, AuthenticationMethod: store.AuthPassword, RestAPIPermission: true}
	for _, m := range mods {
		m(&u)
	}
	f.must(f.s.CreateUser(f.ctx, &u))
	return u
}

func (f *fixture) group(name string, mods ...func(*store.Group)) store.Group {
	f.t.Helper()
	return f.groupOn(f.site.ID, name, mods...)
}

func (f *fixture) groupOn(siteID int64, name string, mods ...func(*store.Group)) store.Group {
	f.t.Helper()
	g := store.Group{SiteID: siteID, Name: name}
	for _, m := range mods {
		m(&g)
	}
	f.must(f.s.CreateGroup(f.ctx, &g))
	return g
}

var errFromFn = errors.New("storetest: fn refused")

// base is a fixed instant with nanoseconds and a zone, to check that
// stores normalise times.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*3600))

// at is base shifted by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// micro is t as a store returns it.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// name makes distinct names in loops.
func name(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }
