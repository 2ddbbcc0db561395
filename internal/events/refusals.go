package events

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// RefusalLimiter keeps floods of anonymous requests from filling the logs
// admins read: the SSO events, the external events and the SCIM log.
// Anyone can send a made-up SAMLResponse, a wrong FTP password or a SCIM
// request with a guessed token, each costing the sender nothing and the
// log a row. So a refusal the request proved nothing about — no credential
// that checked out, no sign-in this server started, no valid signature of
// a trusted identity provider — goes through the limiter, which writes the
// first Burst of each kind per Window and only counts the rest. When the
// window ends, one summary row in the same log says how many more there
// were, from when to when, the last address and the first few names they
// gave, with their counts.
// A refusal that proves something (a response the identity provider
// signed, an authenticated SCIM request) and every success are written by
// their services, every one.
//
// A kind is the log, the site, the event type, the provider and the check
// that refused; callers make checks from small fixed sets (error types,
// check names), never from what a client sent, so kinds stay few however
// much is sent. Memory is bounded besides: at most MaxKinds kinds are
// counted at once; past that, new kinds are dropped and their number
// logged. Each node counts on its own, so with N nodes a kind gets at most
// N×Burst rows per window. Run closes windows as they end; the server
// calls FlushAll when it stops, so no count is lost.
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

// Refusal says what makes an anonymous refusal alike to others, and what
// its window's summary keeps of it.
type Refusal struct {
	// Check is what refused it (an error type, the name of a check); with
	// the log, site, event type and provider it is the refusal's kind. It
	// must come from a small fixed set, never from what the client sent,
	// or every request would be a kind of its own.
	Check string
	// IP is where it came from; the summary names the last one.
	IP string
	// Subject is the username (or address) it was about, if any: the
	// summary counts the first few subjects one by one, the rest together.
	Subject string
	// Rule says, for the summary, which refusals are counted rather than
	// written; empty picks the log's own wording.
	Rule string
}

// maxSubjects bounds the subjects a window counts one by one (and
// maxSubjectLen each one's length), so a spray of made-up usernames costs
// a fixed amount of memory and summary text.
const (
	maxSubjects   = 8
	maxSubjectLen = 64
)

// refusalKind is what makes two refusals "alike".
type refusalKind struct {
	log                logName
	siteID, providerID int64
	eventType, check   string
}

// logName names the log a kind's rows go to.
type logName string

const (
	logSSO      logName = "sso_events"
	logExternal logName = "external_events"
	logSCIM     logName = "scim_logs"
)

// refusalWindow counts one kind's refusals in the current window.
type refusalWindow struct {
	start       time.Time
	written     int
	counted     int            // refusals beyond Burst, not written
	first, last time.Time      // of the counted ones
	lastIP      string         // of the last counted one
	rule        string         // of the last counted one
	like        refusalRow     // the last counted one, whose fields the summary keeps
	subjects    map[string]int // counted refusals per subject, at most maxSubjects
	others      int            // counted refusals of further subjects
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

// Record writes ev, an anonymous refusal of a SAML or OpenID Connect
// sign-in (Status failure, its check the first of EventErrors), unless
// Burst of its kind were written in the current window; then it only
// counts it for the window's summary.
func (l *RefusalLimiter) Record(ctx context.Context, ev store.SSOEvent) {
	r := Refusal{IP: ev.IP, Rule: "a refusal that names no sign-in this server started and carries no valid signature is recorded"}
	if len(ev.EventErrors) > 0 {
		r.Check = ev.EventErrors[0]
	}
	l.RecordSSOEvent(ctx, ev, r)
}

// RecordSSOEvent is Record for any SSO event, with its kind's check given.
func (l *RefusalLimiter) RecordSSOEvent(ctx context.Context, ev store.SSOEvent, r Refusal) {
	l.record(ctx, refusalKind{log: logSSO, siteID: ev.SiteID, providerID: ev.SSOStrategyID, eventType: ev.EventType, check: r.Check},
		ssoRow{ev}, r)
}

// RecordExternalEvent writes ev, an external event an anonymous request
// caused (a refused sign-in on a file channel, say), or counts it.
func (l *RefusalLimiter) RecordExternalEvent(ctx context.Context, ev store.ExternalEvent, r Refusal) {
	l.record(ctx, refusalKind{log: logExternal, siteID: ev.SiteID, providerID: ev.SSOStrategyID, eventType: ev.EventType, check: r.Check},
		externalRow{ev}, r)
}

// RecordScimLog writes sl, the log entry of a SCIM request refused for
// want of valid credentials, or counts it.
func (l *RefusalLimiter) RecordScimLog(ctx context.Context, sl store.ScimLog, r Refusal) {
	l.record(ctx, refusalKind{log: logSCIM, siteID: sl.SiteID, providerID: sl.SSOStrategyID, check: r.Check}, scimRow{sl}, r)
}

// record is the one counting mechanism behind every Record method.
func (l *RefusalLimiter) record(ctx context.Context, k refusalKind, row refusalRow, r Refusal) {
	now := l.now()
	var summary refusalRow
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
		w.count(now, row, r)
	}
	l.mu.Unlock()
	l.write(ctx, summary)
	if write {
		l.write(ctx, row)
	}
}

// count adds one refusal to the window's summary.
func (w *refusalWindow) count(now time.Time, row refusalRow, r Refusal) {
	if w.counted == 0 {
		w.first = now
	}
	w.counted++
	w.last, w.lastIP, w.rule, w.like = now, r.IP, r.Rule, row
	if r.Subject == "" {
		return
	}
	subject := clipSubject(r.Subject)
	if _, ok := w.subjects[subject]; !ok && len(w.subjects) >= maxSubjects {
		w.others++
		return
	}
	if w.subjects == nil {
		w.subjects = map[string]int{}
	}
	w.subjects[subject]++
}

// Flush closes the windows that have ended: it writes their summaries and
// forgets them, which is what keeps memory to the kinds seen lately.
func (l *RefusalLimiter) Flush(ctx context.Context) { l.flush(ctx, false) }

// FlushAll closes every window, ended or not; for a server that stops.
func (l *RefusalLimiter) FlushAll(ctx context.Context) { l.flush(ctx, true) }

func (l *RefusalLimiter) flush(ctx context.Context, all bool) {
	now := l.now()
	var summaries []refusalRow
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
		l.log.Warn("refusals not recorded: too many kinds of anonymous refusals at once", "refusals", dropped, "kinds", l.maxKinds)
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

// summary is the row that stands for w's counted refusals, or nil when
// there were none. Called with l.mu held.
func (l *RefusalLimiter) summary(k refusalKind, w *refusalWindow, now time.Time) refusalRow {
	if w.counted == 0 {
		return nil
	}
	return w.like.summary(windowSummary{kind: k, counted: w.counted, first: w.first, last: w.last, lastIP: w.lastIP,
		rule: w.rule, subjects: w.subjectsText(), burst: l.burst, window: l.window, now: now})
}

// subjectsText lists the subjects counted one by one, most frequent
// first, then the others together: "" when the refusals named none.
func (w *refusalWindow) subjectsText() string {
	if len(w.subjects) == 0 {
		return ""
	}
	names := make([]string, 0, len(w.subjects))
	for s := range w.subjects {
		names = append(names, s)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := w.subjects[names[i]], w.subjects[names[j]]
		return a > b || a == b && names[i] < names[j]
	})
	parts := make([]string, 0, len(names)+1)
	for _, s := range names {
		parts = append(parts, fmt.Sprintf("%q %d×", s, w.subjects[s]))
	}
	if w.others > 0 {
		parts = append(parts, fmt.Sprintf("others %d×", w.others))
	}
	return "; they named " + strings.Join(parts, ", ")
}

// clipSubject keeps a subject short and printable.
func clipSubject(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > maxSubjectLen {
		s = strings.ToValidUTF8(s[:maxSubjectLen], "") + "…"
	}
	return s
}

// write stores row (nil: nothing) and logs a failure to; the answer to the
// request never depends on it.
func (l *RefusalLimiter) write(ctx context.Context, row refusalRow) {
	if row == nil {
		return
	}
	if err := row.write(context.WithoutCancel(ctx), l.st); err != nil {
		siteID, what := row.describe()
		l.log.Error("cannot record a refusal", "log", what, "site_id", siteID, "error", err)
	}
}
