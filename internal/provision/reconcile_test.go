package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/store"
)

func people(n int, groups ...string) []ExternalIdentity {
	out := make([]ExternalIdentity, n)
	for i := range out {
		out[i] = person(fmt.Sprintf("e%03d", i), fmt.Sprintf("user%03d", i), groups...)
	}
	return out
}

func TestReconcile(t *testing.T) {
	cases := []struct {
		name string
		run  func(v *env)
	}{
		{"CreatesThenUnchanged", func(v *env) {
			rep := v.reconcile(people(7, "Eng", "Ops")...)
			c := rep.Plan.Counts
			if rep.Status != store.EventSuccess || c.Created != 7 || c.GroupsCreated != 2 || c.MembershipsAdded != 14 || c.Seen != 7 {
				v.t.Fatalf("first run %s %+v %v", rep.Status, c, rep.Errors)
			}
			ev, body := v.syncEvent(rep.EventID)
			if ev.Status != store.EventSuccess || ev.EventType != EventSync || body["counts"] == nil {
				v.t.Fatalf("sync event %+v", ev)
			}
			n := len(v.ssoEvents(""))
			rep = v.reconcile(people(7, "Eng", "Ops")...)
			if c := rep.Plan.Counts; c.Unchanged != 7 || c.Created+c.Updated+c.MembershipsAdded+c.MembershipsRemoved != 0 {
				v.t.Fatalf("second run %+v", c)
			}
			if len(v.ssoEvents("")) != n {
				v.t.Fatal("an unchanged run wrote SSO events")
			}
		}},
		{"MissingUsersAreDeprovisioned", func(v *env) {
			v.reconcile(people(12, "Eng")...)
			rep := v.reconcile(people(10, "Eng")...)
			if rep.Plan.Counts.Disabled != 2 || !v.user("user011").Disabled || v.user("user009").Disabled {
				v.t.Fatalf("counts %+v", rep.Plan.Counts)
			}
			// A local user and an admin-created SSO user without id are never touched.
			v.localUser("local")
			v.reconcile(people(10, "Eng")...)
			if v.user("local").Disabled {
				v.t.Fatal("local user deprovisioned")
			}
		}},
		{"SafetyLimit", func(v *env) {
			v.reconcile(people(60, "Eng")...)
			// 60 users: limit max(10, 12) = 12; 13 missing is too many.
			snap := people(47, "Eng", "New")
			rep := v.reconcile(snap...)
			c := rep.Plan.Counts
			if rep.Status != store.EventPartialFailure || c.Disabled != 0 || c.MembershipsAdded != 47 || rep.Plan.SafetyStop == nil {
				v.t.Fatalf("%s %+v", rep.Status, c)
			}
			if v.user("user059").Disabled {
				v.t.Fatal("deprovisioned past the limit")
			}
			ev, body := v.syncEvent(rep.EventID)
			stop, _ := body["safety_stop"].(map[string]any)
			if ev.Status != store.EventPartialFailure || stop == nil || stop["deprovisions"] != float64(13) || stop["allowed"] != float64(12) {
				v.t.Fatalf("event %s body %v", ev.Status, body)
			}
			notes := v.notes.All()
			if len(notes) != 1 || notes[0].Kind != events.NoticeSafetyLimit || notes[0].SSOStrategyID != v.p.ID ||
				!strings.Contains(notes[0].Body, "13") {
				v.t.Fatalf("notices %+v", notes)
			}
			// 12 missing is within the limit.
			rep = v.reconcile(people(48, "Eng", "New")...)
			if rep.Plan.Counts.Disabled != 12 || rep.Status != store.EventSuccess {
				v.t.Fatalf("%s %+v", rep.Status, rep.Plan.Counts)
			}
		}},
		{"SafetyLimitFromOptions", func(v *env) {
			v.setProvider(func(p *store.SSOStrategy) {
				p.Options = `{"deprovision_limit_users": 1, "deprovision_limit_percent": 0}`
			})
			v.reconcile(people(5)...)
			if rep := v.reconcile(people(3)...); rep.Plan.SafetyStop == nil || rep.Plan.Counts.Disabled != 0 {
				v.t.Fatalf("%+v", rep.Plan.Counts)
			}
			if rep := v.reconcile(people(4)...); rep.Plan.Counts.Disabled != 1 {
				v.t.Fatalf("%+v", rep.Plan.Counts)
			}
		}},
		{"SafetyLimitHoldsBackInactiveFlags", func(v *env) {
			v.reconcile(people(20)...)
			all := people(20)
			for i := range all {
				all[i].Active = false
				all[i].Company = "Changed"
			}
			rep := v.reconcile(all...)
			if rep.Plan.SafetyStop == nil || v.user("user000").Disabled || v.user("user000").Company != "Changed" {
				v.t.Fatalf("%+v", rep.Plan.Counts)
			}
		}},
		{"EmptySnapshotChangesNothing", func(v *env) {
			v.reconcile(people(3, "Eng")...)
			rep, err := v.e.Reconcile(v.ctx, v.site.ID, v.p.ID, Snapshot{Groups: []GroupRef{{ExternalID: "gid-x", Name: "X"}}})
			v.must(err)
			if rep.Status != store.EventFailure || v.user("user000").Disabled || !rep.Plan.SafetyStop.EmptySnapshot {
				v.t.Fatalf("%s %+v", rep.Status, rep.Plan.Counts)
			}
			if _, err := v.st.ListGroups(v.ctx, v.site.ID, store.GroupQuery{Name: "X"}); err != nil {
				v.t.Fatal(err)
			}
			if gs, _ := v.st.ListGroups(v.ctx, v.site.ID, store.GroupQuery{Name: "X"}); len(gs) != 0 {
				v.t.Fatal("a refused run created a group")
			}
			if n := v.notes.All(); len(n) != 1 || n[0].Kind != events.NoticeSafetyLimit {
				v.t.Fatalf("notices %+v", n)
			}
			ev, _ := v.syncEvent(rep.EventID)
			if ev.Status != store.EventFailure {
				v.t.Fatalf("event %+v", ev)
			}
		}},
		{"EmptySnapshotOfEmptyProviderIsFine", func(v *env) {
			if rep := v.reconcile(); rep.Status != store.EventSuccess {
				v.t.Fatalf("%s", rep.Status)
			}
		}},
		{"MissingGroupsDeleted", func(v *env) {
			v.reconcile(person("e1", "ann", "Eng", "Old"))
			rep := v.reconcile(person("e1", "ann", "Eng"))
			if rep.Plan.Counts.GroupsDeleted != 1 {
				v.t.Fatalf("%+v", rep.Plan.Counts)
			}
			wantNames(v.t, v.groupsOf("ann"), "Eng")
		}},
		{"GroupRenameByID", func(v *env) {
			v.reconcile(person("e1", "ann", "Eng"))
			x := person("e1", "ann")
			x.Groups = []GroupRef{{ExternalID: "gid-Eng", Name: "Engineering"}}
			rep := v.reconcile(x)
			if rep.Plan.Counts.GroupsRenamed != 1 {
				v.t.Fatalf("%+v", rep.Plan.Counts)
			}
			wantNames(v.t, v.groupsOf("ann"), "Engineering")
		}},
		{"SkippedWhenProviderDisabled", func(v *env) {
			v.setProvider(func(p *store.SSOStrategy) { p.Enabled = false })
			rep := v.reconcile(people(2)...)
			if rep.Status != store.EventSkipped {
				v.t.Fatalf("%s", rep.Status)
			}
			v.noUser("user000")
		}},
		{"PreviewWritesNothing", func(v *env) {
			v.reconcile(people(12, "Eng")...)
			snap := people(11, "Eng", "Ops")
			snap[0].Username = "renamed"
			snap = append(snap, person("new", "newbie", "Eng"))
			v.localUser("taken")
			snap = append(snap, person("x", "taken"), ExternalIdentity{Username: "noid"})
			evBefore := len(v.ssoEvents(""))
			plan, err := v.e.Preview(v.ctx, v.site.ID, v.p.ID, Snapshot{Users: snap})
			v.must(err)
			c := plan.Counts
			if c.Created != 1 || c.Renamed != 1 || c.Disabled != 1 || c.GroupsCreated != 1 || c.MembershipsAdded != 12 ||
				c.Conflicts != 1 || c.Refused != 1 {
				v.t.Fatalf("counts %+v", c)
			}
			out := plan.String()
			for _, want := range []string{"create newbie", "rename user000 to renamed", "disable user011", `create group "Ops"`,
				"taken", "immutable id is empty", "1 create"} {
				if !strings.Contains(out, want) {
					v.t.Errorf("preview lacks %q:\n%s", want, out)
				}
			}
			v.noUser("newbie")
			if v.user("user011").Disabled || len(v.ssoEvents("")) != evBefore {
				v.t.Fatal("preview wrote")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { eachStore(t, tc.run) })
	}
}

// TestBadInput: each bad identity is refused with an event, and the rest
// of the batch is applied.
func TestBadInput(t *testing.T) {
	eachStore(t, func(v *env) {
		t := v.t
		other := store.SSOStrategy{SiteID: v.site.ID, Protocol: "oidc", Provider: "okta", Label: "Okta"}
		v.must(v.st.CreateSSOStrategy(v.ctx, &other))
		v.localUser("foreign", func(u *store.User) {
			u.SSOStrategyID, u.AuthenticationMethod, u.ExternalID = other.ID, store.AuthSSO, "o1"
		})
		v.reconcile(person("keep", "keeper"))
		long := strings.Repeat("n", 300)
		bad := []ExternalIdentity{
			{Username: "noid", Active: true},
			person("dup", "dup1"), person("dup", "dup2"),
			person("f1", "foreign"),
			person("ctl", "bad\x01name"),
			{ExternalID: "long", Username: "longname", GivenName: long, Active: true},
			{ExternalID: "mail", Username: "mailer", Email: "not an address", Active: true},
			{ExternalID: "grp", Username: "grouper", Active: true, Groups: []GroupRef{{}}},
			{ExternalID: "keep", Username: "keeper\x00", Active: true}, // an existing user's bad update
			person("twin-a", "twin"), person("twin-b", "TWIN"),
		}
		good := people(5, "Eng")
		snap := append(append([]ExternalIdentity{}, good[:2]...), bad...)
		snap = append(snap, good[2:]...)
		rep := v.reconcile(snap...)
		c := rep.Plan.Counts
		if c.Created != 6 || rep.Status != store.EventPartialFailure {
			v.t.Fatalf("%s %+v %v", rep.Status, c, rep.Errors)
		}
		if c.Refused+c.Conflicts != 10 {
			v.t.Fatalf("refusals %+v: %v", c, rep.Errors)
		}
		for _, g := range good {
			v.user(g.Username)
		}
		v.user("twin")
		if v.user("keeper").Disabled {
			t.Fatal("a user whose update was refused was deprovisioned")
		}
		for _, name := range []string{"dup1", "dup2", "mailer", "grouper", "longname"} {
			v.noUser(name)
		}
		if n := len(v.ssoEvents(EventRefused)) + len(v.ssoEvents(EventConflict)); n != 10 {
			t.Fatalf("%d refusal events", n)
		}
		ev, body := v.syncEvent(rep.EventID)
		if ev.Status != store.EventPartialFailure || len(body["errors"].([]any)) != 10 {
			t.Fatalf("event %s %v", ev.Status, body)
		}
	})
}

// failingStore refuses to create one username, standing in for any
// write-time failure (a constraint, a full disk) of one user of a batch.
type failingStore struct {
	store.Store
	refuse string
}

func (f failingStore) CreateUser(ctx context.Context, u *store.User) error {
	if u.Username == f.refuse {
		return errors.New("disk full")
	}
	return f.Store.CreateUser(ctx, u)
}

// TestBatchRetry: a batch that fails is retried user by user, so one
// identity that fails at write time loses nothing else.
func TestBatchRetry(t *testing.T) {
	eachStore(t, func(v *env) {
		t := v.t
		v.e = New(failingStore{Store: v.st, refuse: "user004"}, Options{Clock: v.clock.Now, Notifier: v.notes, BatchSize: 3})
		snap := people(8, "Eng")
		rep := v.reconcile(snap...)
		if rep.Plan.Counts.Created != 7 || rep.Status != store.EventPartialFailure || len(rep.Errors) != 1 {
			t.Fatalf("%s %+v %v", rep.Status, rep.Plan.Counts, rep.Errors)
		}
		for i, x := range snap {
			if i == 4 {
				v.noUser(x.Username)
				continue
			}
			if got := v.groupsOf(x.Username); len(got) != 1 {
				t.Fatalf("%s in %v", x.Username, got)
			}
		}
		// The next run creates the user that failed.
		v.e = New(v.st, Options{Clock: v.clock.Now, Notifier: v.notes})
		if rep := v.reconcile(snap...); rep.Plan.Counts.Created != 1 || rep.Status != store.EventSuccess {
			t.Fatalf("%+v", rep.Plan.Counts)
		}
	})
}

// TestReconcileReportsProgress: a run told where to report hears the
// counts applied so far after each transaction (batches of 3 here), each
// count growing, the last report short of the whole run, which the
// report itself gives.
func TestReconcileReportsProgress(t *testing.T) {
	eachStore(t, func(v *env) {
		var seen []Counts
		snap := Snapshot{Users: people(10, "Eng")}
		rep, err := v.e.ReconcileWithProgress(v.ctx, v.site.ID, v.p.ID, snap, store.Fence{}, func(c Counts) { seen = append(seen, c) })
		if err != nil || rep.Plan.Counts.Created != 10 {
			v.t.Fatalf("run: %v %+v", err, rep)
		}
		want := []int{3, 6, 9}
		if len(seen) != len(want) {
			v.t.Fatalf("progress reports: %+v", seen)
		}
		for i, c := range seen {
			if c.Created != want[i] {
				v.t.Fatalf("report %d: %+v, want %d created", i, c, want[i])
			}
		}
	})
}
