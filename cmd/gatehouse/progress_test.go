package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/ldapsync"
)

// TestSyncProgress: on a terminal the bar is redrawn in place and sized by
// the expected users; elsewhere plain lines come at each phase and at most
// every few seconds while reading.
func TestSyncProgress(t *testing.T) {
	var out lockedBuffer
	bar := &syncProgress{w: &out, terminal: true, now: time.Now}
	bar.update(ldapsync.Progress{Phase: ldapsync.PhaseReading, Users: 500, Groups: 10, Expected: 1000})
	bar.update(ldapsync.Progress{Phase: ldapsync.PhaseApplying, Users: 1000, Groups: 20})
	bar.finish()
	got := out.String()
	if !strings.Contains(got, "\r\033[Kreading   ["+strings.Repeat("#", 15)+strings.Repeat(".", 15)+"] 500/~1000 users, 10 groups") ||
		!strings.Contains(got, "applying  [") || strings.Contains(got, "\n") {
		t.Fatalf("terminal bar: %q", got)
	}

	var plain lockedBuffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lines := &syncProgress{w: &plain, now: func() time.Time { return now }}
	lines.update(ldapsync.Progress{Phase: ldapsync.PhaseReading})
	for i := 1; i <= 10; i++ {
		now = now.Add(time.Second)
		lines.update(ldapsync.Progress{Phase: ldapsync.PhaseReading, Users: i * 1000})
	}
	lines.update(ldapsync.Progress{Phase: ldapsync.PhaseApplying, Users: 10000})
	lines.finish()
	want := "reading the directory…\nreading the directory: 5000 users, 0 groups\nreading the directory: 10000 users, 0 groups\n" +
		"read 10000 users and 0 groups; applying the changes\n"
	if plain.String() != want {
		t.Fatalf("plain lines:\n%s\nwant:\n%s", plain.String(), want)
	}
}
