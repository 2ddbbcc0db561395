package events

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// logAged writes one entry to each of the three logs of a site, age before now.
func (w *world) logAged(siteID int64, age time.Duration) {
	w.t.Helper()
	at := w.clock.Now().Add(-age)
	w.must(w.st.CreateSSOEvent(w.ctx, &store.SSOEvent{SiteID: siteID, EventType: "saml_login", Status: "success", CreatedAt: at}))
	w.must(w.st.CreateExternalEvent(w.ctx, &store.ExternalEvent{SiteID: siteID, EventType: "ldap_sync", Status: "success", CreatedAt: at}))
	w.must(w.st.CreateScimLog(w.ctx, &store.ScimLog{SiteID: siteID, RequestPath: "/api/scim/Users", RequestMethod: "GET",
		HTTPResponseCode: 200, CreatedAt: at}))
}

// logSizes counts the entries of each log of a site.
func (w *world) logSizes(siteID int64) [3]int {
	w.t.Helper()
	q := store.EventQuery{}
	sso, err := w.st.ListSSOEvents(w.ctx, siteID, q)
	w.must(err)
	ext, err := w.st.ListExternalEvents(w.ctx, siteID, q)
	w.must(err)
	scim, err := w.st.ListScimLogs(w.ctx, siteID, q)
	w.must(err)
	return [3]int{len(sso), len(ext), len(scim)}
}

func TestRetentionDeletesOnlyOldEventsPerSite(t *testing.T) {
	w := newWorld(t) // the default site keeps 90 days
	week := store.Site{Name: "Week", Subdomain: "week", EventRetentionDays: 7}
	forever := store.Site{Name: "Forever", Subdomain: "forever", EventRetentionDays: 0}
	w.must(w.st.CreateSite(w.ctx, &week))
	w.must(w.st.CreateSite(w.ctx, &forever))
	day := 24 * time.Hour
	for _, site := range []int64{w.site.ID, week.ID, forever.ID} {
		for _, age := range []time.Duration{time.Hour, 6 * day, 8 * day, 89 * day, 91 * day, 400 * day} {
			w.logAged(site, age)
		}
	}
	r := NewRetention(w.st, RetentionOptions{Clock: w.clock.Now, Logger: quiet})
	w.must(r.Once(w.ctx))
	for _, c := range []struct {
		site int64
		want int
	}{{w.site.ID, 4}, {week.ID, 2}, {forever.ID, 6}} {
		if got := w.logSizes(c.site); got != [3]int{c.want, c.want, c.want} {
			t.Errorf("site %d keeps %v entries, want %d of each", c.site, got, c.want)
		}
	}
	// Time passes: the next pass deletes what has aged out since.
	w.clock.Advance(2 * day)
	w.must(r.Once(w.ctx))
	if got := w.logSizes(week.ID); got != [3]int{1, 1, 1} {
		t.Errorf("after two days the week site keeps %v", got)
	}
	if got := w.logSizes(w.site.ID); got != [3]int{3, 3, 3} {
		t.Errorf("after two days the default site keeps %v", got)
	}
}

func TestRetentionRunPassesAtOnceAndStops(t *testing.T) {
	w := newWorld(t)
	w.logAged(w.site.ID, 100*24*time.Hour)
	r := NewRetention(w.st, RetentionOptions{Clock: w.clock.Now, Logger: quiet, Interval: time.Hour})
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.logSizes(w.site.ID) != [3]int{} {
		if time.Now().After(deadline) {
			t.Fatal("the first pass did not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
