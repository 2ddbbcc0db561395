package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// RefusalLimiter keeps a flood of anonymous refused sign-ins from filling
// the SSO event log. Anyone can send a made-up SAMLResponse, callback or
// handoff link, each costing the sender nothing and the log a row; so a
// refusal the request proved nothing about — no sign-in this server
// started, no valid signature of a trusted identity provider — goes
// through Record, which writes the first Burst of each kind (site, event
// type, provider, check) per Window and only counts the rest. When the
// window ends, one summary event says how many more there were, from when
// to when, and the last address. A refusal that names a real sign-in or
// user is not anonymous: the sign-in services write those themselves,
// every one.
//
// Memory is bounded: at most MaxKinds kinds are counted at once; past
// that, new kinds are dropped and their number logged. Each node counts on
// its own, so with N nodes a kind gets at most N×Burst rows per window.
// Run closes windows as they end; the server calls FlushAll when it stops,
// so no count is lost.
type RefusalLimiter struct {
	st       store.Store
	now      func() time.Time
	log      *slog.Logger
	window   time.Duration
	burst    int
	maxKinds int

	mu      sync.Mutex
	kinds   map[refusalKind]*refusalWindow
	dropped int // refusals of kinds not counted because the table was full
}

// RefusalLimits configure a RefusalLimiter. Zero values pick defaults.
type RefusalLimits struct {
	Window   time.Duration    // default one minute
	Burst    int              // refusals of a kind written per window; default 5
	MaxKinds int              // kinds counted at once; default 10,000
	Clock    func() time.Time // default time.Now
	Logger   *slog.Logger     // default slog.Default()
}

// refusalKind is what makes two refusals "alike".
type refusalKind struct {
	siteID, providerID int64
	eventType, check   string
}

// refusalWindow counts one kind's refusals in the current window.
type refusalWindow struct {
	start       time.Time
	written     int
	counted     int            // refusals beyond Burst, not written
	first, last time.Time      // of the counted ones
	lastIP      string         // of the last counted one
	like        store.SSOEvent // the last counted one, whose provider fields the summary keeps
}

// NewRefusalLimiter returns a limiter writing to st; start Run for the life
// of the server.
func NewRefusalLimiter(st store.Store, o RefusalLimits) *RefusalLimiter {
	l := &RefusalLimiter{st: st, now: o.Clock, log: o.Logger, window: o.Window, burst: o.Burst, maxKinds: o.MaxKinds,
		kinds: map[refusalKind]*refusalWindow{}}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.window <= 0 {
		l.window = time.Minute
	}
	if l.burst <= 0 {
		l.burst = 5
	}
	if l.maxKinds <= 0 {
		l.maxKinds = 10000
	}
	return l
}

// Record writes ev, an anonymous refusal (Status failure, its check the
// first of EventErrors), unless Burst of its kind were written in the
// current window; then it only counts it for the window's summary.
func (l *RefusalLimiter) Record(ctx context.Context, ev store.SSOEvent) {
	k := refusalKind{siteID: ev.SiteID, providerID: ev.SSOStrategyID, eventType: ev.EventType}
	if len(ev.EventErrors) > 0 {
		k.check = ev.EventErrors[0]
	}
	now := l.now()
	var summary *store.SSOEvent
	l.mu.Lock()
	w := l.kinds[k]
	if w != nil && !now.Before(w.start.Add(l.window)) {
		summary = l.summary(k, w, now)
		delete(l.kinds, k)
		w = nil
	}
	if w == nil && len(l.kinds) >= l.maxKinds {
		l.dropped++
		l.mu.Unlock()
		l.write(ctx, summary)
		return
	}
	if w == nil {
		w = &refusalWindow{start: now}
		l.kinds[k] = w
	}
	write := w.written < l.burst
	if write {
		w.written++
	} else {
		if w.counted == 0 {
			w.first = now
		}
		w.counted++
		w.last, w.lastIP, w.like = now, ev.IP, ev
	}
	l.mu.Unlock()
	l.write(ctx, summary)
	if write {
		l.write(ctx, &ev)
	}
}

// Flush closes the windows that have ended: it writes their summaries and
// forgets them, which is what keeps memory to the kinds seen lately.
func (l *RefusalLimiter) Flush(ctx context.Context) { l.flush(ctx, false) }

// FlushAll closes every window, ended or not; for a server that stops.
func (l *RefusalLimiter) FlushAll(ctx context.Context) { l.flush(ctx, true) }

func (l *RefusalLimiter) flush(ctx context.Context, all bool) {
	now := l.now()
	var summaries []*store.SSOEvent
	l.mu.Lock()
	for k, w := range l.kinds {
		if !all && now.Before(w.start.Add(l.window)) {
			continue
		}
		if s := l.summary(k, w, now); s != nil {
			summaries = append(summaries, s)
		}
		delete(l.kinds, k)
	}
	dropped := l.dropped
	l.dropped = 0
	l.mu.Unlock()
	for _, s := range summaries {
		l.write(ctx, s)
	}
	if dropped > 0 {
		l.log.Warn("SSO refusals not recorded: too many kinds of anonymous refusals at once", "refusals", dropped, "kinds", l.maxKinds)
	}
}

// Run flushes every window length until ctx ends.
func (l *RefusalLimiter) Run(ctx context.Context) {
	t := time.NewTicker(l.window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.Flush(ctx)
		}
	}
}

// summary is the event that stands for w's counted refusals, or nil when
// there were none. Called with l.mu held.
func (l *RefusalLimiter) summary(k refusalKind, w *refusalWindow, now time.Time) *store.SSOEvent {
	if w.counted == 0 {
		return nil
	}
	ev := store.SSOEvent{SiteID: k.siteID, EventType: k.eventType, Status: store.EventFailure, IP: w.lastIP,
		SSOStrategyID: w.like.SSOStrategyID, Provider: w.like.Provider, ProviderLabel: w.like.ProviderLabel, CreatedAt: now}
	if k.check != "" {
		ev.EventErrors = []string{k.check}
	}
	ev.Body = fmt.Sprintf("%d more refusals like this (%s) from %s to %s were counted, not recorded one by one: "+
		"a refusal that names no sign-in this server started and carries no valid signature is recorded at most %d times per %s for each kind; the last came from %s",
		w.counted, k.check, w.first.UTC().Format(time.RFC3339), w.last.UTC().Format(time.RFC3339), l.burst, l.window, w.lastIP)
	return &ev
}

// write stores ev (nil: nothing) and logs a failure to; the answer to the
// request never depends on it.
func (l *RefusalLimiter) write(ctx context.Context, ev *store.SSOEvent) {
	if ev == nil {
		return
	}
	if err := l.st.CreateSSOEvent(context.WithoutCancel(ctx), ev); err != nil {
		l.log.Error("cannot record an SSO event", "site_id", ev.SiteID, "event_type", ev.EventType, "error", err)
	}
}
