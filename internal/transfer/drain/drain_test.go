package drain

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
)

func TestLatchClosesWhenTheLastConnectionEnds(t *testing.T) {
	var l Latch
	if l.Begun() {
		t.Fatal("begun before Begin")
	}
	l.Left(0) // before shutdown: nothing to close
	ch := l.Begin(2)
	if !l.Begun() || l.Begin(2) != ch {
		t.Fatal("Begin again made another channel")
	}
	l.Left(1)
	select {
	case <-ch:
		t.Fatal("closed with a connection left")
	default:
	}
	l.Left(0)
	l.Left(0) // twice is harmless
	<-ch
	var empty Latch
	<-empty.Begin(0) // nothing open: closed at once
}

func TestWaitCutsOffWhenGraceEnds(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var l Latch
	drained := l.Begin(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cut := 0
	err := Wait(ctx, drained, func() int { cut++; l.Left(0); return 1 }, quiet, "test")
	if cut != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("cut %d times, err %v", cut, err)
	}
	if err := Wait(context.Background(), drained, func() int { t.Fatal("cut off after draining"); return 0 }, quiet, "test"); err != nil {
		t.Fatal(err)
	}
}
