package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// SSO events (sso_events) are written by every part of Gatehouse that
// deals with an identity provider or directory: the single sign-on core
// and its SAML and OpenID Connect adapters, the directory password check,
// the provisioning engine, and the refusal limiter's summaries. They all
// make their events with SSOEventAbout and write them through an SSOLog,
// so an event names its provider, carries its time and reaches the log
// the same way whichever of them wrote it.

// SSOEventAbout completes ev as an event about provider p: p's id, kind
// and label (none when p.ID is 0: the request named no provider), stamped
// at. A provider stored without a kind is named by its protocol, as the
// identity core names every provider it saves.
func SSOEventAbout(ev store.SSOEvent, p store.SSOStrategy, at time.Time) store.SSOEvent {
	if p.ID != 0 {
		ev.SSOStrategyID, ev.Provider, ev.ProviderLabel = p.ID, p.Provider, p.Label
		if ev.Provider == "" {
			ev.Provider = p.Protocol
		}
	}
	ev.CreatedAt = at
	return ev
}

// SSOEventWriter is where SSO events are stored; store.Store is one.
type SSOEventWriter interface {
	CreateSSOEvent(ctx context.Context, e *store.SSOEvent) error
}

// SSOLog writes SSO events: one by one, or, for refusals a request proved
// nothing about, through a RefusalLimiter. It is safe for concurrent use.
type SSOLog struct {
	w        SSOEventWriter
	refusals *RefusalLimiter
	now      func() time.Time
	log      *slog.Logger
}

// NewSSOLog returns the log writing to w. refusals may be nil when the
// writer never records anonymous refusals; clock and logger default to
// time.Now and slog.Default().
func NewSSOLog(w SSOEventWriter, refusals *RefusalLimiter, clock func() time.Time, logger *slog.Logger) *SSOLog {
	l := &SSOLog{w: w, refusals: refusals, now: clock, log: logger}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	return l
}

// Record writes ev about p (see SSOEventAbout). What the event is about
// has already happened, and its answer does not depend on the log: the
// event is written even when the request that caused it has gone, and a
// failure to write it is logged, not returned.
func (l *SSOLog) Record(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) {
	ev = SSOEventAbout(ev, p, l.now())
	if err := l.w.CreateSSOEvent(context.WithoutCancel(ctx), &ev); err != nil {
		l.log.Error("cannot record an SSO event", "site_id", ev.SiteID, "sso_strategy_id", ev.SSOStrategyID,
			"event_type", ev.EventType, "error", err)
	}
}

// Write writes ev about p in the transaction ctx carries and returns a
// failure, so that the event and the change it records are kept or rolled
// back together (the provisioning engine's changes).
func (l *SSOLog) Write(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) error {
	ev = SSOEventAbout(ev, p, l.now())
	return l.w.CreateSSOEvent(ctx, &ev)
}

// RecordUnproven records ev about p, a refused single sign-on that named
// no sign-in this server started and carried no valid signature, through
// the refusal limiter (RefusalLimiter.Record): the first few of a kind
// are written, the rest counted.
func (l *SSOLog) RecordUnproven(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy) {
	l.refusals.Record(ctx, SSOEventAbout(ev, p, l.now()))
}

// RecordRefusal records ev about p, a refusal a request proved nothing
// about, through the refusal limiter with r saying what makes it alike to
// others (RefusalLimiter.RecordSSOEvent).
func (l *SSOLog) RecordRefusal(ctx context.Context, ev store.SSOEvent, p store.SSOStrategy, r Refusal) {
	l.refusals.RecordSSOEvent(ctx, SSOEventAbout(ev, p, l.now()), r)
}
