package testclock

import (
	"testing"
	"time"
)

func TestAfterFiresWhenAdvancedPast(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := New(start)
	hour, minute := c.After(time.Hour), c.After(time.Minute)
	if c.Waiting() != 2 {
		t.Fatalf("waiting %d", c.Waiting())
	}
	c.Advance(59 * time.Second)
	select {
	case <-minute:
		t.Fatal("fired before its time")
	default:
	}
	c.Advance(time.Second)
	if got := <-minute; !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("fired with %v", got)
	}
	if c.Waiting() != 1 {
		t.Fatalf("waiting %d after one fired", c.Waiting())
	}
	c.Advance(2 * time.Hour)
	if got := <-hour; !got.Equal(start.Add(2*time.Hour + time.Minute)) {
		t.Fatalf("fired with %v", got)
	}
	if c.Waiting() != 0 {
		t.Fatalf("waiting %d after all fired", c.Waiting())
	}
	select {
	case <-c.After(0):
	default:
		t.Fatal("After(0) did not fire at once")
	}
}
