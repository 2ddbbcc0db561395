package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// TestSSOEventAbout: an event names its provider (by its protocol when it
// has no kind) and carries the time; an event about no provider names none.
func TestSSOEventAbout(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ev := SSOEventAbout(store.SSOEvent{SiteID: 1, EventType: "saml_login"},
		store.SSOStrategy{ID: 7, Protocol: "saml", Provider: "azure", Label: "Contoso"}, at)
	if ev.SSOStrategyID != 7 || ev.Provider != "azure" || ev.ProviderLabel != "Contoso" || !ev.CreatedAt.Equal(at) {
		t.Fatalf("event about a provider: %+v", ev)
	}
	if ev := SSOEventAbout(store.SSOEvent{}, store.SSOStrategy{ID: 7, Protocol: "saml"}, at); ev.Provider != "saml" {
		t.Fatalf("a provider without a kind is named %q, want its protocol", ev.Provider)
	}
	ev = SSOEventAbout(store.SSOEvent{SiteID: 1}, store.SSOStrategy{Protocol: "saml", Provider: "azure", Label: "x"}, at)
	if ev.SSOStrategyID != 0 || ev.Provider != "" || ev.ProviderLabel != "" || !ev.CreatedAt.Equal(at) {
		t.Fatalf("event about no provider: %+v", ev)
	}
}

// failingWriter refuses every event.
type failingWriter struct{ calls int }

func (f *failingWriter) CreateSSOEvent(ctx context.Context, _ *store.SSOEvent) error {
	f.calls++
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.New("disk full")
}

// TestSSOLogRecordAndWrite: Record writes through a cancelled request (the
// event is about what already happened) and swallows a failure; Write
// returns it, for a transaction to roll back.
func TestSSOLogRecordAndWrite(t *testing.T) {
	w := newWorld(t)
	l := NewSSOLog(w.st, nil, w.clock.Now, nil)
	ctx, cancel := context.WithCancel(w.ctx)
	cancel()
	p := store.SSOStrategy{ID: 0}
	l.Record(ctx, store.SSOEvent{SiteID: w.site.ID, EventType: "saml_login", Status: store.EventSuccess}, p)
	evs, err := w.st.ListSSOEvents(w.ctx, w.site.ID, store.EventQuery{})
	w.must(err)
	if len(evs) != 1 || !evs[0].CreatedAt.Equal(w.clock.Now()) {
		t.Fatalf("events %+v: want the one recorded, stamped now", evs)
	}
	f := &failingWriter{}
	NewSSOLog(f, nil, w.clock.Now, nil).Record(w.ctx, store.SSOEvent{SiteID: w.site.ID}, p)
	if err := NewSSOLog(f, nil, w.clock.Now, nil).Write(w.ctx, store.SSOEvent{SiteID: w.site.ID}, p); err == nil || f.calls != 2 {
		t.Fatalf("Write: %v after %d calls; want the writer's error", err, f.calls)
	}
}
