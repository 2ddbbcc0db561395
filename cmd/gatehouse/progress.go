package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/ldapsync"
)

// syncProgress shows how far a sync has come: a bar redrawn in place on a
// terminal, and otherwise (a log file, a pipe, CI) a plain line now and
// then, so that logs stay readable.
type syncProgress struct {
	w        io.Writer
	terminal bool
	now      func() time.Time

	mu        sync.Mutex
	phase     string
	lastLine  time.Time
	lastUsers int
	drawn     bool
}

// plainEvery is how often a plain progress line is written while reading.
const plainEvery = 5 * time.Second

func newSyncProgress(w io.Writer) *syncProgress {
	return &syncProgress{w: w, terminal: isTerminal(w), now: time.Now}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update is the ldapsync Progress callback.
func (p *syncProgress) update(pr ldapsync.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		p.draw(pr)
		return
	}
	now := p.now()
	switch {
	case pr.Phase != p.phase:
		p.phase = pr.Phase
	case pr.Phase == ldapsync.PhaseReading && now.Sub(p.lastLine) >= plainEvery && pr.Users != p.lastUsers:
	default:
		return
	}
	p.lastLine, p.lastUsers = now, pr.Users
	switch pr.Phase {
	case ldapsync.PhaseReading:
		if pr.Users == 0 && pr.Groups == 0 {
			fmt.Fprintln(p.w, "reading the directory…")
			break
		}
		fmt.Fprintf(p.w, "reading the directory: %d users, %d groups\n", pr.Users, pr.Groups)
	case ldapsync.PhaseApplying:
		fmt.Fprintf(p.w, "read %d users and %d groups; applying the changes\n", pr.Users, pr.Groups)
	}
}

// barWidth is the bar's width in cells.
const barWidth = 30

// draw redraws the bar line. While reading, the bar is sized by the users
// the provider had after its last run (a new provider shows a counter);
// while applying, the engine gives no count, so the bar is full and the
// line says so.
func (p *syncProgress) draw(pr ldapsync.Progress) {
	var line string
	switch pr.Phase {
	case ldapsync.PhaseReading:
		if pr.Expected > 0 {
			done := min(pr.Users*barWidth/pr.Expected, barWidth)
			line = fmt.Sprintf("reading   [%s%s] %d/~%d users, %d groups", strings.Repeat("#", done),
				strings.Repeat(".", barWidth-done), pr.Users, pr.Expected, pr.Groups)
		} else {
			line = fmt.Sprintf("reading   %d users, %d groups", pr.Users, pr.Groups)
		}
	case ldapsync.PhaseApplying:
		line = fmt.Sprintf("applying  [%s] %d users, %d groups read; writing changes…", strings.Repeat("#", barWidth), pr.Users, pr.Groups)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

// finish ends the bar's line, so that what follows starts on its own.
func (p *syncProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
