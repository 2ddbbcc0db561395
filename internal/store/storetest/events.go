package storetest

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var eventTests = []test{
	{"SSOEvents", func(f *fixture) {
		mk := func(siteID int64, typ, status string, userID int64, username string, strategy int64, created time.Duration) int64 {
			e := store.SSOEvent{SiteID: siteID, EventType: typ, Status: status, Body: "body of " + typ,
				EventErrors: []string{"first", "second \"quoted\""}, UserID: userID, Username: username,
				IdPUID: "idp-" + username, Provider: "azure", ProviderLabel: "Entra", SSOStrategyID: strategy,
				IP: "192.0.2.1", Region: "eu", CreatedAt: at(created)}
			f.must(f.s.CreateSSOEvent(f.ctx, &e))
			return e.ID
		}
		a := mk(f.site.ID, "login", "success", 1, "ann", 1, 0)
		b := mk(f.site.ID, "login", "failure", 2, "bob", 1, time.Minute)
		c := mk(f.site.ID, "provision", "success", 2, "bob", 2, 2*time.Minute)
		mk(f.other.ID, "login", "success", 1, "ann", 1, 0)
		cases := []struct {
			q    store.EventQuery
			want []int64
		}{
			{store.EventQuery{}, []int64{a, b, c}},
			{store.EventQuery{EventType: "login"}, []int64{a, b}},
			{store.EventQuery{Status: "success"}, []int64{a, c}},
			{store.EventQuery{SSOStrategyID: 2}, []int64{c}},
			{store.EventQuery{UserID: 2}, []int64{b, c}},
			{store.EventQuery{Username: "ann"}, []int64{a}},
			{store.EventQuery{CreatedAfter: at(time.Minute)}, []int64{b, c}},      // inclusive
			{store.EventQuery{CreatedBefore: at(2 * time.Minute)}, []int64{a, b}}, // exclusive
			{store.EventQuery{CreatedAfter: at(30 * time.Second), CreatedBefore: at(90 * time.Second)}, []int64{b}},
			{store.EventQuery{ListOptions: store.ListOptions{AfterID: a, Limit: 1}}, []int64{b}},
		}
		for _, tc := range cases {
			list, err := f.s.ListSSOEvents(f.ctx, f.site.ID, tc.q)
			f.must(err)
			wantIDs(f, ids(f, list), tc.want...)
		}
		got, err := f.s.GetSSOEvent(f.ctx, f.site.ID, a)
		f.must(err)
		if len(got.EventErrors) != 2 || got.EventErrors[1] != "second \"quoted\"" || got.CreatedAt != micro(at(0)) {
			f.t.Fatalf("event read back as %+v", got)
		}
		bare := store.SSOEvent{SiteID: f.site.ID, EventType: "login"}
		f.must(f.s.CreateSSOEvent(f.ctx, &bare))
		if bare.CreatedAt.IsZero() {
			f.t.Fatal("CreateSSOEvent did not set CreatedAt")
		}
		got, err = f.s.GetSSOEvent(f.ctx, f.site.ID, bare.ID)
		f.must(err)
		equal(f, got, bare)
		theirs, err := f.s.ListSSOEvents(f.ctx, f.other.ID, store.EventQuery{})
		f.must(err)
		_, err = f.s.GetSSOEvent(f.ctx, f.site.ID, theirs[0].ID)
		f.wantErr(err, store.ErrNotFound)
	}},
	{"ExternalEvents", func(f *fixture) {
		e := store.ExternalEvent{SiteID: f.site.ID, EventType: "ldap_sync", Status: store.EventInProgress,
			Body: "started", SSOStrategyID: 4, CreatedAt: at(0)}
		f.must(f.s.CreateExternalEvent(f.ctx, &e))
		other := store.ExternalEvent{SiteID: f.site.ID, EventType: "lockout", Status: store.EventFailure, CreatedAt: at(time.Second)}
		f.must(f.s.CreateExternalEvent(f.ctx, &other))
		got, err := f.s.GetExternalEvent(f.ctx, f.site.ID, e.ID)
		f.must(err)
		equal(f, got, e)
		upd, err := f.s.UpdateExternalEvent(f.ctx, f.site.ID, e.ID, func(x *store.ExternalEvent) error {
			x.Status, x.Body = store.EventSuccess, "12 users updated"
			x.CreatedAt = at(time.Hour) // the time of the event does not move
			return nil
		})
		f.must(err)
		if upd.Status != store.EventSuccess || upd.CreatedAt != e.CreatedAt {
			f.t.Fatalf("update gave %+v", upd)
		}
		got, err = f.s.GetExternalEvent(f.ctx, f.site.ID, e.ID)
		f.must(err)
		equal(f, got, upd)
		for q, want := range map[store.EventQuery][]int64{
			{EventType: "lockout"}:         {other.ID},
			{Status: store.EventSuccess}:   {e.ID},
			{SSOStrategyID: 4}:             {e.ID},
			{UserID: 77, Username: "none"}: {e.ID, other.ID}, // not fields of this log
		} {
			list, err := f.s.ListExternalEvents(f.ctx, f.site.ID, q)
			f.must(err)
			wantIDs(f, ids(f, list), want...)
		}
		_, err = f.s.GetExternalEvent(f.ctx, f.other.ID, e.ID)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.UpdateExternalEvent(f.ctx, f.other.ID, e.ID, func(*store.ExternalEvent) error { return nil })
		f.wantErr(err, store.ErrNotFound)
	}},
	{"ScimLogs", func(f *fixture) {
		l := store.ScimLog{SiteID: f.site.ID, SSOStrategyID: 3, RequestPath: "/api/scim/Users?filter=userName eq \"a\"",
			RequestMethod: "GET", HTTPResponseCode: 200, UserAgent: "Azure AD SCIM", RequestJSON: `{}`,
			ResponseJSON: `{"totalResults":0}`, CreatedAt: at(0)}
		f.must(f.s.CreateScimLog(f.ctx, &l))
		l2 := store.ScimLog{SiteID: f.site.ID, SSOStrategyID: 4, HTTPResponseCode: 401, CreatedAt: at(time.Minute)}
		f.must(f.s.CreateScimLog(f.ctx, &l2))
		got, err := f.s.GetScimLog(f.ctx, f.site.ID, l.ID)
		f.must(err)
		equal(f, got, l)
		list, err := f.s.ListScimLogs(f.ctx, f.site.ID, store.EventQuery{SSOStrategyID: 4})
		f.must(err)
		wantIDs(f, ids(f, list), l2.ID)
		list, err = f.s.ListScimLogs(f.ctx, f.site.ID, store.EventQuery{CreatedBefore: at(time.Second), Status: "ignored"})
		f.must(err)
		wantIDs(f, ids(f, list), l.ID)
		_, err = f.s.GetScimLog(f.ctx, f.other.ID, l.ID)
		f.wantErr(err, store.ErrNotFound)
		list, err = f.s.ListScimLogs(f.ctx, f.other.ID, store.EventQuery{})
		f.must(err)
		wantIDs(f, ids(f, list))
	}},
	{"DeleteEventsBefore", func(f *fixture) {
		for _, siteID := range []int64{f.site.ID, f.other.ID} {
			for _, d := range []time.Duration{-2 * time.Hour, -time.Hour, 0, time.Hour} {
				f.must(f.s.CreateSSOEvent(f.ctx, &store.SSOEvent{SiteID: siteID, CreatedAt: at(d)}))
				f.must(f.s.CreateExternalEvent(f.ctx, &store.ExternalEvent{SiteID: siteID, CreatedAt: at(d)}))
				f.must(f.s.CreateScimLog(f.ctx, &store.ScimLog{SiteID: siteID, CreatedAt: at(d)}))
			}
		}
		n, err := f.s.DeleteEventsBefore(f.ctx, f.site.ID, at(0))
		f.must(err)
		if n != 6 {
			f.t.Fatalf("DeleteEventsBefore removed %d, want 6 (two of each log)", n)
		}
		sso, err := f.s.ListSSOEvents(f.ctx, f.site.ID, store.EventQuery{})
		f.must(err)
		ext, err := f.s.ListExternalEvents(f.ctx, f.site.ID, store.EventQuery{})
		f.must(err)
		scim, err := f.s.ListScimLogs(f.ctx, f.site.ID, store.EventQuery{})
		f.must(err)
		if len(sso) != 2 || len(ext) != 2 || len(scim) != 2 || sso[0].CreatedAt != micro(at(0)) {
			f.t.Fatalf("left %d SSO events, %d external events, %d SCIM logs; want 2 each from now on", len(sso), len(ext), len(scim))
		}
		theirs, err := f.s.ListSSOEvents(f.ctx, f.other.ID, store.EventQuery{})
		f.must(err)
		if len(theirs) != 4 {
			f.t.Fatalf("another site's events were deleted: %d left", len(theirs))
		}
	}},
}
