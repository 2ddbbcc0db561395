package events

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The RefusalLimiter counts refusals the same way whichever log they go
// to; a refusalRow is one row of one log, which knows how to store itself
// and what its window's summary row looks like in that log.
type refusalRow interface {
	write(ctx context.Context, st store.Store) error
	// summary is the row standing for a window's counted refusals, made
	// from the last of them.
	summary(s windowSummary) refusalRow
	// describe names the row's site and log, for the error log.
	describe() (siteID int64, log string)
}

// windowSummary is what a closed window knew about the refusals it
// counted.
type windowSummary struct {
	kind        refusalKind
	counted     int
	first, last time.Time
	lastIP      string
	rule        string // which refusals are counted; "" for the log's own wording
	subjects    string // "; they named …", or ""
	burst       int
	window      time.Duration
	now         time.Time
}

// text is the summary's sentence: "<n> more <what> like this (<check>)
// from … to … were counted, not recorded one by one: <rule> at most <burst>
// times per <window> for each kind; the last came from <ip>".
func (s windowSummary) text(what, rule string) string {
	if s.rule != "" {
		rule = s.rule
	}
	return fmt.Sprintf("%d more %s like this (%s) from %s to %s were counted, not recorded one by one: "+
		"%s at most %d times per %s for each kind; the last came from %s%s",
		s.counted, what, s.kind.check, s.first.UTC().Format(time.RFC3339), s.last.UTC().Format(time.RFC3339),
		rule, s.burst, s.window, s.lastIP, s.subjects)
}

// ssoRow is an SSO event.
type ssoRow struct{ ev store.SSOEvent }

func (r ssoRow) write(ctx context.Context, st store.Store) error {
	return st.CreateSSOEvent(ctx, &r.ev)
}

func (r ssoRow) describe() (int64, string) { return r.ev.SiteID, string(logSSO) }

func (r ssoRow) summary(s windowSummary) refusalRow {
	// The summary is about the provider its refusals were about.
	about := store.SSOStrategy{ID: r.ev.SSOStrategyID, Provider: r.ev.Provider, Label: r.ev.ProviderLabel}
	ev := SSOEventAbout(store.SSOEvent{SiteID: s.kind.siteID, EventType: s.kind.eventType, Status: store.EventFailure, IP: s.lastIP},
		about, s.now)
	if s.kind.check != "" {
		ev.EventErrors = []string{s.kind.check}
	}
	ev.Body = s.text("refusals", "a refusal that proves nothing about who sent it is recorded")
	return ssoRow{ev}
}

// externalRow is an external event.
type externalRow struct{ ev store.ExternalEvent }

func (r externalRow) write(ctx context.Context, st store.Store) error {
	return st.CreateExternalEvent(ctx, &r.ev)
}

func (r externalRow) describe() (int64, string) { return r.ev.SiteID, string(logExternal) }

func (r externalRow) summary(s windowSummary) refusalRow {
	return externalRow{store.ExternalEvent{SiteID: s.kind.siteID, EventType: s.kind.eventType, Status: store.EventFailure,
		SSOStrategyID: s.kind.providerID, CreatedAt: s.now,
		Body: s.text("events", "an event that a request without valid credentials can cause is recorded")}}
}

// scimRow is a SCIM log entry.
type scimRow struct{ sl store.ScimLog }

func (r scimRow) write(ctx context.Context, st store.Store) error {
	return st.CreateScimLog(ctx, &r.sl)
}

func (r scimRow) describe() (int64, string) { return r.sl.SiteID, string(logSCIM) }

// summary keeps the last request's path, method, status and user agent,
// and says in the response what the entry stands for.
func (r scimRow) summary(s windowSummary) refusalRow {
	return scimRow{store.ScimLog{SiteID: s.kind.siteID, SSOStrategyID: s.kind.providerID, RequestPath: r.sl.RequestPath,
		RequestMethod: r.sl.RequestMethod, HTTPResponseCode: r.sl.HTTPResponseCode, UserAgent: r.sl.UserAgent, CreatedAt: s.now,
		ResponseJSON: s.text("requests", "a SCIM request without valid credentials is recorded")}}
}
