// Package sourcelimit counts what each source address does, for the
// requests anyone may send without a credential but that cost the server
// more than an answer: a sign-in start stores the sign-in in flight, a
// password guess spends a hash. Two things live here so that every such
// count agrees on them: which addresses are one source (Key), and a
// bounded-memory rate limit per source (Limiter).
package sourcelimit

import (
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"
)

// Key is the key an address is counted under. IPv6 addresses count by
// their /64, the block one subscriber line or host usually holds, so an
// attacker cannot get a fresh budget for every address of their own
// network; IPv4 addresses (also when written IPv4-mapped) count alone.
// What does not parse as an address is its own key.
func Key(ip string) string {
	a := net.ParseIP(ip)
	switch {
	case a == nil:
		return ip
	case a.To4() != nil:
		return a.To4().String()
	}
	return a.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// Options configure a Limiter. Rate and Per are required; zero values of
// the rest pick defaults.
type Options struct {
	// Rate events per Per are allowed to each source, Rate of them at
	// once: a source that sends faster is refused until its pace is back
	// under Rate per Per.
	Rate int
	Per  time.Duration
	// MaxSources bounds the sources remembered at once (default 1<<15,
	// a few MiB).
	MaxSources int
	Clock      func() time.Time // default time.Now
	Logger     *slog.Logger     // default slog.Default()
	// What names the events in the log line about refusals, e.g.
	// "sign-in starts".
	What string
	// LogEvery is the least time between two log lines about refusals
	// (default 10 seconds): a flood tells the admin without flooding the
	// log.
	LogEvery time.Duration
}

// Limiter allows each source Rate events per Per. It keeps one time per
// source, the moment its budget is whole again (the generic cell rate
// algorithm), and forgets sources whose budget is whole. It is safe for
// concurrent use.
type Limiter struct {
	o        Options
	interval time.Duration // Per / Rate: the pace one event costs

	mu      sync.Mutex
	due     map[string]time.Time // per source: when its budget is whole again
	refused int                  // refusals since the last log line
	lastLog time.Time
}

// New returns a Limiter; it panics when Rate or Per is not positive, a
// programming error.
func New(o Options) *Limiter {
	if o.Rate <= 0 || o.Per <= 0 {
		panic(fmt.Sprintf("sourcelimit: rate %d per %s", o.Rate, o.Per))
	}
	if o.MaxSources <= 0 {
		o.MaxSources = 1 << 15
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.What == "" {
		o.What = "requests"
	}
	if o.LogEvery <= 0 {
		o.LogEvery = 10 * time.Second
	}
	return &Limiter{o: o, interval: o.Per / time.Duration(o.Rate), due: map[string]time.Time{}}
}

// Allow counts one event of the address ip and reports whether it may go
// ahead; when it may not, wait says how long until it may. A refused
// event costs the source nothing more.
func (l *Limiter) Allow(ip string) (ok bool, wait time.Duration) {
	k := Key(ip)
	now := l.o.Clock()
	l.mu.Lock()
	due, known := l.due[k]
	if due.Before(now) {
		due = now
	}
	next := due.Add(l.interval)
	if ahead := next.Sub(now); ahead > l.o.Per {
		wait = ahead - l.o.Per
		l.refused++
		var n int
		if now.Sub(l.lastLog) >= l.o.LogEvery {
			n, l.refused, l.lastLog = l.refused, 0, now
		}
		l.mu.Unlock()
		if n > 0 {
			l.o.Logger.Warn(l.o.What+" refused: an address went over its limit", "refused", n, "last_ip", ip,
				"limit", fmt.Sprintf("%d per %s", l.o.Rate, l.o.Per))
		}
		return false, wait
	}
	if !known && len(l.due) >= l.o.MaxSources {
		l.makeRoom(now)
	}
	l.due[k] = next
	l.mu.Unlock()
	return true, 0
}

// makeRoom forgets sources whose budget is whole (nothing is lost: a new
// source starts whole), and when that is not a quarter of them, those
// nearest to whole too, until three quarters remain. Called with l.mu held.
func (l *Limiter) makeRoom(now time.Time) {
	for k, due := range l.due {
		if !due.After(now) {
			delete(l.due, k)
		}
	}
	keep := l.o.MaxSources * 3 / 4
	if len(l.due) <= keep {
		return
	}
	type source struct {
		k   string
		due time.Time
	}
	all := make([]source, 0, len(l.due))
	for k, due := range l.due {
		all = append(all, source{k, due})
	}
	slices.SortFunc(all, func(a, b source) int { return a.due.Compare(b.due) })
	for _, s := range all[:len(all)-keep] {
		delete(l.due, s.k)
	}
}

// Sources is how many sources the limiter remembers now.
func (l *Limiter) Sources() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.due)
}
