package events

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

func refusalOf(siteID int64, check, ip string) store.SSOEvent {
	return store.SSOEvent{SiteID: siteID, EventType: "saml_login", Status: store.EventFailure, Body: "sign-in refused",
		EventErrors: []string{check}, IP: ip}
}

// TestRefusalLimiterWindows: per kind, the first Burst of a window are
// written and the rest summed up in one event when the window ends, either
// at the next refusal of the kind or at a flush; kinds count apart.
func TestRefusalLimiterWindows(t *testing.T) {
	w := newWorld(t)
	l := NewRefusalLimiter(w.st, RefusalLimits{Clock: w.clock.Now, Burst: 3, Window: time.Minute})
	for i := range 10 {
		l.Record(w.ctx, refusalOf(w.site.ID, "malformed", fmt.Sprintf("192.0.2.%d", i)))
		l.Record(w.ctx, refusalOf(w.site.ID, "state", "198.51.100.1"))
	}
	evs, err := w.st.ListSSOEvents(w.ctx, w.site.ID, store.EventQuery{})
	w.must(err)
	if len(evs) != 6 {
		t.Fatalf("%d events written in the window, want 3 of each kind", len(evs))
	}
	w.clock.Advance(time.Minute)
	// The next refusal of a kind closes its window: the summary, then the
	// refusal itself as the first of a new window.
	l.Record(w.ctx, refusalOf(w.site.ID, "malformed", "192.0.2.99"))
	l.Flush(w.ctx)
	evs, err = w.st.ListSSOEvents(w.ctx, w.site.ID, store.EventQuery{})
	w.must(err)
	var summaries []string
	for _, ev := range evs {
		if strings.Contains(ev.Body, "more refusals like this") {
			summaries = append(summaries, ev.EventErrors[0]+": "+ev.Body)
			if ev.Status != store.EventFailure || ev.SiteID != w.site.ID {
				t.Errorf("summary %+v", ev)
			}
		}
	}
	if len(evs) != 9 || len(summaries) != 2 || !strings.HasPrefix(summaries[0], "malformed: 7 more") && !strings.HasPrefix(summaries[1], "malformed: 7 more") {
		t.Fatalf("%d events, summaries %q; want 3+3 written, 2 summaries of 7, and the new window's first", len(evs), summaries)
	}
	for _, s := range summaries {
		if !strings.Contains(s, "7 more") || !strings.Contains(s, "the last came from") {
			t.Errorf("summary %q", s)
		}
	}
}

// TestRefusalLimiterMemoryBound: no more than MaxKinds kinds are counted
// at once; further kinds are dropped (and logged), and a flush frees the
// table.
func TestRefusalLimiterMemoryBound(t *testing.T) {
	w := newWorld(t)
	l := NewRefusalLimiter(w.st, RefusalLimits{Clock: w.clock.Now, MaxKinds: 4})
	for i := range 100 {
		l.Record(w.ctx, refusalOf(w.site.ID, fmt.Sprintf("check-%d", i), "192.0.2.1"))
	}
	if n := len(l.kinds); n != 4 {
		t.Fatalf("%d kinds counted, want at most 4", n)
	}
	evs, err := w.st.ListSSOEvents(w.ctx, w.site.ID, store.EventQuery{})
	w.must(err)
	if len(evs) != 4 {
		t.Fatalf("%d events, want only those of the counted kinds", len(evs))
	}
	w.clock.Advance(time.Minute)
	l.Flush(w.ctx)
	if n := len(l.kinds); n != 0 {
		t.Fatalf("%d kinds left after their windows ended", n)
	}
}

// TestRefusalLimiterLogs: one limiter counts the refusals of every log,
// each kind apart, and a window's summary goes to the log its refusals
// were for, in that log's shape: the external event names the accounts
// the refusals named (the first few one by one), the SCIM entry keeps the
// last request's path, method and status.
func TestRefusalLimiterLogs(t *testing.T) {
	w := newWorld(t)
	l := NewRefusalLimiter(w.st, RefusalLimits{Clock: w.clock.Now, Burst: 2, Window: time.Minute})
	for i := range 30 {
		name := "bob"
		if i%3 == 0 {
			name = fmt.Sprintf("made-up-%d", i)
		}
		l.RecordExternalEvent(w.ctx, store.ExternalEvent{SiteID: w.site.ID, EventType: "transfer_login", Status: store.EventFailure,
			Body: "refused"}, Refusal{Check: "ftp password: wrong", IP: "192.0.2.7", Subject: name})
		l.RecordScimLog(w.ctx, store.ScimLog{SiteID: w.site.ID, RequestPath: fmt.Sprintf("/api/scim/Users?n=%d", i),
			RequestMethod: "GET", HTTPResponseCode: 401}, Refusal{Check: "401 unknown token", IP: "192.0.2.8"})
		l.Record(w.ctx, refusalOf(w.site.ID, "malformed", "192.0.2.9"))
	}
	w.clock.Advance(time.Minute)
	l.Flush(w.ctx)

	ext, err := w.st.ListExternalEvents(w.ctx, w.site.ID, store.EventQuery{})
	w.must(err)
	if len(ext) != 3 || !strings.HasPrefix(ext[2].Body, "28 more events like this (ftp password: wrong)") ||
		ext[2].EventType != "transfer_login" || ext[2].Status != store.EventFailure {
		t.Fatalf("external events %+v: want 2 written and a summary of 28", ext)
	}
	if s := ext[2].Body; !strings.Contains(s, `"bob" 19×`) || !strings.Contains(s, "others 2×") || !strings.Contains(s, "192.0.2.7") {
		t.Errorf("summary %q: want bob counted, 7 made-up names one by one and the rest as others, and the address", s)
	}
	logs, err := w.st.ListScimLogs(w.ctx, w.site.ID, store.EventQuery{})
	w.must(err)
	if len(logs) != 3 || logs[2].RequestPath != "/api/scim/Users?n=29" || logs[2].HTTPResponseCode != 401 ||
		!strings.HasPrefix(logs[2].ResponseJSON, "28 more requests like this (401 unknown token)") {
		t.Fatalf("SCIM log %+v: want 2 written and a summary of 28 with the last request", logs)
	}
	sso, err := w.st.ListSSOEvents(w.ctx, w.site.ID, store.EventQuery{})
	w.must(err)
	if len(sso) != 3 || !strings.HasPrefix(sso[2].Body, "28 more refusals like this (malformed)") {
		t.Fatalf("SSO events %+v: want 2 written and a summary of 28", sso)
	}
}
