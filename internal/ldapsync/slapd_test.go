package ldapsync

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/connector/ldap/ldaptest"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// slapdProvider creates an OpenLDAP provider reading srv over LDAPS, with
// the test CA as its CA bundle; options are merged into its Options.
func (w *world) slapdProvider(srv *ldaptest.Server, options map[string]any, mods ...func(*identity.SSOStrategyChange)) store.SSOStrategy {
	w.t.Helper()
	opts := map[string]any{directory.OptionCABundle: srv.CAPEM()}
	for k, v := range options {
		opts[k] = v
	}
	raw, err := json.Marshal(opts)
	w.must(err)
	msg := json.RawMessage(raw)
	return w.provider(append([]func(*identity.SSOStrategyChange){func(c *identity.SSOStrategyChange) {
		c.LDAPHost, c.LDAPPort, c.LDAPSecure = ptr(srv.Host()), ptr(srv.LDAPSPort), ptr(true)
		c.LDAPBaseDN, c.LDAPUsername, c.LDAPPassword = ptr(ldaptest.BaseDN), ptr(ldaptest.ServiceDN), ptr(ldaptest.ServicePassword)
		c.LDAPUsernameField, c.Options = ptr("uid"), &msg
	}}, mods...)...)
}

func wantStatus(t *testing.T, res *Result, status string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %s, want %s: %+v", res.Status, status, res)
	}
}

// TestSyncAgainstSlapd follows one directory through its life: the first
// sync creates the members of the required group with their nested groups;
// an unchanged run changes nothing; a preview shows a new person without
// creating them; a user moved out of the required group, a user disabled
// in the directory and a user renamed (same entryUUID) are disabled,
// disabled and renamed by the next run; every run is an external event
// with its counts.
func TestSyncAgainstSlapd(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	w := newWorld(t, openSQLite(t))
	p := w.slapdProvider(srv, nil, func(c *identity.SSOStrategyChange) { c.ProvisionGroupRequired = ptr("staff") })
	// nina is in backend, nested in engineers, nested in staff.
	nina := srv.AddUser(t, "nina", "Nina", "Novak")
	srv.Modify(t, ldaptest.GroupDN("backend"), map[string][]string{"member": {ldaptest.OddDN, nina}})
	// An entry whose uid is no valid login name, in staff.
	bad := srv.AddUser(t, `bad*name\x`, "Bad", "Name")
	srv.Modify(t, ldaptest.GroupDN("staff"), map[string][]string{"member": {ldaptest.UserDN(ldaptest.UserAlice),
		ldaptest.UserDN(ldaptest.UserBob), ldaptest.GroupDN("engineers"), bad}})

	res := w.sync(p)
	// The bad entry alone is refused; the run says so and goes on.
	wantStatus(t, res, store.EventPartialFailure)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "bad*name") || res.Counts.Refused != 1 {
		t.Fatalf("errors %q, counts %+v", res.Errors, res.Counts)
	}
	// alice and bob directly, zoe through engineers, nina and the entry
	// with metacharacters in its name and DN through backend -> engineers
	// -> staff; carol and dave are only in ops: skipped.
	users := w.users(p)
	for _, name := range []string{ldaptest.UserAlice, ldaptest.UserBob, ldaptest.UserZoe, "nina", ldaptest.UserOdd} {
		if u, ok := users[name]; !ok || u.Disabled || !u.ExternallyManaged {
			t.Fatalf("%s after the first sync: %+v (have %v)", name, u, users)
		}
	}
	if len(users) != 5 {
		t.Fatalf("first sync made %d accounts, want 5: %v", len(users), users)
	}
	if g := w.groupsOf(users[ldaptest.UserOdd]); !g["backend"] || !g["engineers"] || !g["staff"] {
		t.Fatalf("nested groups of %s: %v", ldaptest.UserOdd, g)
	}
	if g := w.groupsOf(users["nina"]); !g["backend"] || !g["engineers"] || !g["staff"] {
		t.Fatalf("nested groups of nina: %v", g)
	}
	if g := w.groupsOf(users[ldaptest.UserZoe]); !g["engineers"] || !g["staff"] || g["backend"] {
		t.Fatalf("nested groups of zoe: %v", g)
	}
	if u := users[ldaptest.UserZoe]; u.Email != "zoe@example.test" || !strings.Contains(u.Name, "Zoë") {
		t.Fatalf("zoe's profile: %+v", u)
	}
	if res.Counts.Created != 5 || res.Counts.Skipped != 2 || res.Counts.Seen != res.Directory.Users || res.Directory.Users != 8 ||
		res.Directory.Groups != 4 || res.Directory.Memberships == 0 || res.Counts.MembershipsAdded == 0 {
		t.Fatalf("first run counts: %+v / %+v", res.Counts, res.Directory)
	}
	evs := w.syncEvents(p)
	if len(evs) != 1 || evs[0].ID != res.EventID || evs[0].Status != store.EventPartialFailure {
		t.Fatalf("events %+v", evs)
	}
	var body struct {
		Source    string           `json:"source"`
		Counts    provision.Counts `json:"counts"`
		Directory DirectoryCounts  `json:"directory"`
	}
	w.must(json.Unmarshal([]byte(evs[0].Body), &body))
	if body.Source != Source || body.Counts.Created != 5 || body.Directory != res.Directory {
		t.Fatalf("event body %s", evs[0].Body)
	}

	srv.Delete(t, bad)
	res = w.sync(p)
	wantStatus(t, res, store.EventSuccess)
	if c := res.Counts; c.Created+c.Updated+c.Renamed+c.Disabled+c.Deleted+c.MembershipsAdded+c.MembershipsRemoved != 0 || c.Unchanged != 5 {
		t.Fatalf("unchanged run: %+v", c)
	}

	// Preview: a new member of staff is shown, not created.
	erin := srv.AddUser(t, "erin", "Erin", "Ellis")
	srv.Modify(t, ldaptest.GroupDN("staff"), map[string][]string{"member": {ldaptest.UserDN(ldaptest.UserAlice),
		ldaptest.UserDN(ldaptest.UserBob), ldaptest.GroupDN("engineers"), erin}})
	eventsBefore := len(w.syncEvents(p))
	pre, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: p.ID, Preview: true})
	w.must(err)
	if pre.Status != StatusPreview || pre.EventID != 0 || pre.Counts.Created != 1 || !hasChange(pre.Changes, provision.ActionCreate, "erin") {
		t.Fatalf("preview: %+v", pre)
	}
	if _, ok := w.users(p)["erin"]; ok || len(w.syncEvents(p)) != eventsBefore {
		t.Fatal("the preview created an account or recorded a run")
	}

	// bob leaves staff, zoe is disabled in the directory, alice is renamed.
	// (The test slapd has no referential-integrity overlay, so the group is
	// pointed at alice's new DN by hand, as AD's linked attributes would.)
	srv.Modify(t, ldaptest.GroupDN("staff"), map[string][]string{"member": {ldaptest.UserDN("alicia"),
		ldaptest.GroupDN("engineers"), erin}})
	srv.Disable(t, ldaptest.UserDN(ldaptest.UserZoe))
	aliceID := w.users(p)[ldaptest.UserAlice].ID
	srv.Rename(t, ldaptest.UserDN(ldaptest.UserAlice), "uid=alicia")

	res = w.sync(p)
	wantStatus(t, res, store.EventSuccess)
	users = w.users(p)
	if u := users["alicia"]; u.ID != aliceID || u.Disabled {
		t.Fatalf("alice was not renamed in place: %+v (have %v)", u, users)
	}
	if _, ok := users[ldaptest.UserAlice]; ok {
		t.Fatal("the old name of alice is still an account")
	}
	if !users[ldaptest.UserBob].Disabled {
		t.Fatal("bob, out of the required group, is still enabled")
	}
	if !users[ldaptest.UserZoe].Disabled {
		t.Fatal("zoe, disabled in the directory, is still enabled")
	}
	if u := users["erin"]; u.ID == 0 || u.Disabled {
		t.Fatalf("erin: %+v", u)
	}
	if c := res.Counts; c.Renamed != 1 || c.Disabled != 2 || c.Created != 1 {
		t.Fatalf("counts of the changing run: %+v", c)
	}
	if n := len(w.syncEvents(p)); n != eventsBefore+1 {
		t.Fatalf("%d sync events, want %d", n, eventsBefore+1)
	}
}

func hasChange(changes []provision.Change, action provision.Action, username string) bool {
	for _, c := range changes {
		if c.Action == action && c.Username == username {
			return true
		}
	}
	return false
}

// TestFilterTypoTripsTheSafetyLimit: a user filter that selects nobody, or
// only a few, never deprovisions the rest: an empty answer fails the run
// and a small one is stopped by the safety limit; both alert.
func TestFilterTypoTripsTheSafetyLimit(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{NoSeed: true, BulkUsers: 40, BulkGroups: 4})
	w := newWorld(t, openSQLite(t))
	p := w.slapdProvider(srv, nil)
	wantStatus(t, w.sync(p), store.EventSuccess)
	if n := len(w.users(p)); n != 40 {
		t.Fatalf("%d accounts after the first sync, want 40", n)
	}
	allEnabled := func(when string) {
		t.Helper()
		for name, u := range w.users(p) {
			if u.Disabled {
				t.Fatalf("%s: %s was disabled", when, name)
			}
		}
	}
	setFilter := func(filter string) {
		raw, err := json.Marshal(map[string]any{directory.OptionCABundle: srv.CAPEM(), directory.OptionUserFilter: filter})
		w.must(err)
		msg := json.RawMessage(raw)
		p = w.update(p, identity.SSOStrategyChange{Options: &msg})
	}

	w.notes.Reset()
	setFilter("(&(objectClass=inetOrgPerson)(uid=usr*))") // typo: nobody matches
	res := w.sync(p)
	wantStatus(t, res, store.EventFailure)
	if res.Safety == nil || !res.Safety.EmptySnapshot || res.Directory.Users != 0 {
		t.Fatalf("empty answer: %+v", res)
	}
	allEnabled("empty answer")

	setFilter("(&(objectClass=inetOrgPerson)(uid=user0000*))") // 10 of 40
	res = w.sync(p)
	wantStatus(t, res, store.EventPartialFailure)
	if res.Safety == nil || res.Safety.Deprovisions != 30 || res.Counts.Disabled != 0 {
		t.Fatalf("small answer: %+v", res)
	}
	allEnabled("small answer")
	if len(w.notes.All()) < 2 {
		t.Fatalf("alerts: %+v", w.notes.All())
	}
}

// TestDirectoryStopsMidSync: slapd stops after the first page of users.
// The run fails, nobody is deprovisioned, and once the directory is back
// the next run succeeds.
func TestDirectoryStopsMidSync(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{NoSeed: true, BulkUsers: 600, BulkGroups: 6})
	w := newWorld(t, openSQLite(t))
	p := w.slapdProvider(srv, map[string]any{directory.OptionPageSize: 100})
	wantStatus(t, w.sync(p), store.EventSuccess)

	w.notes.Reset()
	stopped := false
	res, err := w.svc.Sync(w.ctx, Request{SiteID: w.site.ID, ProviderID: p.ID, Progress: func(pr Progress) {
		if pr.Phase == PhaseReading && pr.Users >= 100 && !stopped {
			stopped = true
			srv.Stop()
		}
	}})
	w.must(err)
	wantStatus(t, res, store.EventFailure)
	if !stopped || res.Directory.Users < 100 || res.Directory.Users >= 600 {
		t.Fatalf("the directory was not stopped mid-read: %+v", res)
	}
	for name, u := range w.users(p) {
		if u.Disabled {
			t.Fatalf("%s was disabled by a run that read part of the directory", name)
		}
	}
	if n := len(w.users(p)); n != 600 {
		t.Fatalf("%d accounts, want 600", n)
	}
	if notes := w.notes.All(); len(notes) != 1 || !strings.Contains(notes[0].Body, "could not be read completely") {
		t.Fatalf("alerts: %+v", notes)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, w.sync(p), store.EventSuccess)
}

// TestConnectionTest: every step passes against slapd, and a wrong
// service password fails the bind step in plain words.
func TestConnectionTest(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{})
	w := newWorld(t, openSQLite(t))
	p := w.slapdProvider(srv, nil)
	rep, err := w.svc.Test(context.Background(), w.site.ID, p.ID, ldaptest.UserAlice)
	w.must(err)
	if !rep.OK || len(rep.Steps) < 4 {
		t.Fatalf("test against a healthy directory: %+v", rep)
	}
	p = w.update(p, identity.SSOStrategyChange{LDAPPassword: ptr("wrong")})
	rep, err = w.svc.Test(context.Background(), w.site.ID, p.ID, ldaptest.UserAlice)
	w.must(err)
	if rep.OK {
		t.Fatalf("a wrong service password passed: %+v", rep)
	}
	for _, st := range rep.Steps {
		if strings.Contains(st.Detail, "wrong") {
			t.Fatalf("a step shows the password: %+v", st)
		}
	}
}
