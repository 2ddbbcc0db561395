package backoff

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestScheduleDoublesUpToMax(t *testing.T) {
	want := []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, time.Hour, time.Hour}
	for n, w := range want {
		if got := Default().After(n); got != w {
			t.Errorf("After(%d) = %s, want %s", n, got, w)
		}
	}
	if got := Default().After(1000); got != time.Hour {
		t.Errorf("After(1000) = %s", got)
	}
}

// TestGateOneTryForManyCallers: of many concurrent callers one runs the
// try and reports its failure; the others wait for it and get a
// WaitingError wrapping it; later callers are answered from memory until
// the schedule allows another try, and a success clears the memory.
func TestGateOneTryForManyCallers(t *testing.T) {
	var g Gate
	boom := errors.New("connection refused")
	var tries atomic.Int32
	release := make(chan struct{})
	now := time.Unix(1_800_000_000, 0)
	var wg sync.WaitGroup
	var reported, waited atomic.Int32
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.Do("idp", now, func() error { tries.Add(1); <-release; return boom })
			switch {
			case errors.Is(err, ErrWaiting) && errors.Is(err, boom):
				waited.Add(1)
			case err == boom:
				reported.Add(1)
			default:
				t.Errorf("Do: %v", err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if tries.Load() != 1 || reported.Load() != 1 || waited.Load() != 49 {
		t.Fatalf("%d tries, %d reported, %d waited; want 1, 1, 49", tries.Load(), reported.Load(), waited.Load())
	}
	try := func() error { tries.Add(1); return boom }
	if err := g.Do("idp", now.Add(59*time.Second), try); !errors.Is(err, ErrWaiting) || tries.Load() != 1 {
		t.Fatalf("within a minute of the failure: %v, %d tries", err, tries.Load())
	}
	if err := g.Do("other", now, try); err != boom {
		t.Fatalf("another key: %v", err)
	}
	if err := g.Do("idp", now.Add(time.Minute), try); err != boom || tries.Load() != 3 {
		t.Fatalf("a minute later: %v, %d tries", err, tries.Load())
	}
	// Second failure: two minutes.
	if err := g.Do("idp", now.Add(2*time.Minute), try); !errors.Is(err, ErrWaiting) {
		t.Fatalf("after the second failure: %v", err)
	}
	if err := g.Do("idp", now.Add(3*time.Minute), func() error { return nil }); err != nil {
		t.Fatalf("the source recovered: %v", err)
	}
	if err := g.Do("idp", now.Add(3*time.Minute), try); err != boom {
		t.Fatalf("after a success the next failure is tried at once: %v", err)
	}
	g.Forget("idp")
	if err := g.Do("idp", now.Add(3*time.Minute), func() error { return nil }); err != nil {
		t.Fatalf("after Forget: %v", err)
	}
}
