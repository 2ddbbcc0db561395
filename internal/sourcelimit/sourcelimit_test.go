package sourcelimit

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testclock"
)

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":      "2001:db8:1:2::/64",
		"2001:db8:1:3::1":           "2001:db8:1:3::/64",
		"not an address":            "not an address",
		"2001:db8:1:2:3:4:5:6%eth0": "2001:db8:1:2:3:4:5:6%eth0",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLimiterPace: Rate at once, then one per Per/Rate; refusals cost the
// source nothing; sources count apart, IPv6 by /64.
func TestLimiterPace(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l := New(Options{Rate: 20, Per: time.Minute, Clock: clock.Now})
	for i := range 20 {
		if ok, _ := l.Allow("192.0.2.1"); !ok {
			t.Fatalf("event %d of a burst of 20 refused", i)
		}
	}
	for range 100 {
		if ok, wait := l.Allow("192.0.2.1"); ok || wait != 3*time.Second {
			t.Fatalf("21st event: ok %v, wait %s; want refused, 3s", ok, wait)
		}
	}
	if ok, _ := l.Allow("192.0.2.2"); !ok {
		t.Fatal("another address refused")
	}
	clock.Advance(3 * time.Second)
	if ok, _ := l.Allow("192.0.2.1"); !ok {
		t.Fatal("refused after its wait")
	}
	if ok, _ := l.Allow("192.0.2.1"); ok {
		t.Fatal("two events allowed after one interval")
	}
	for i := range 20 {
		if ok, _ := l.Allow(fmt.Sprintf("2001:db8:1:2::%x", i+1)); !ok {
			t.Fatalf("IPv6 event %d refused", i)
		}
	}
	if ok, _ := l.Allow("2001:db8:1:2:ffff::9"); ok {
		t.Fatal("another address of the same /64 got a budget of its own")
	}
	if ok, _ := l.Allow("2001:db8:1:3::1"); !ok {
		t.Fatal("another /64 refused")
	}
	clock.Advance(time.Minute)
	for i := range 20 {
		if ok, _ := l.Allow("192.0.2.1"); !ok {
			t.Fatalf("event %d after a quiet minute refused", i)
		}
	}
}

// TestLimiterMemoryBound: however many sources send, at most MaxSources
// are remembered; those whose budget is whole go first, and a source in
// the middle of a burst keeps its count while the table has room for it.
func TestLimiterMemoryBound(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l := New(Options{Rate: 2, Per: time.Minute, MaxSources: 100, Clock: clock.Now})
	l.Allow("198.51.100.1")
	l.Allow("198.51.100.1")
	for i := range 10000 {
		l.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
		if i%500 == 0 {
			clock.Advance(time.Second)
		}
		if n := l.Sources(); n > 100 {
			t.Fatalf("%d sources remembered, want at most 100", n)
		}
	}
	clock.Advance(time.Minute)
	l.Allow("10.200.0.1")
	for range 200 {
		l.Allow(fmt.Sprintf("10.201.0.%d", l.Sources()))
	}
	if n := l.Sources(); n > 100 {
		t.Fatalf("%d sources remembered, want at most 100", n)
	}
}

// TestLimiterLogsRefusalsRarely: a flood of refusals makes one log line
// per LogEvery, with the count.
func TestLimiterLogsRefusalsRarely(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	var buf bytes.Buffer
	l := New(Options{Rate: 1, Per: time.Minute, Clock: clock.Now, What: "sign-in starts",
		Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	for range 1000 {
		l.Allow("192.0.2.1")
	}
	clock.Advance(10 * time.Second)
	for range 1000 {
		l.Allow("192.0.2.1")
	}
	out := buf.String()
	if n := strings.Count(out, "sign-in starts refused"); n != 2 || !strings.Contains(out, "refused=999") {
		t.Fatalf("log:\n%s\nwant two lines, the second counting the 999 refusals between them", out)
	}
}
