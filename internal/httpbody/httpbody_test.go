package httpbody

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// serve runs h behind Middleware on a loopback server and returns its
// address.
func serve(t *testing.T, idle time.Duration, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(Middleware(idle, h))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// send writes a request with a body of len(pieces) pieces, pause apart,
// and returns the answer's status and body.
func send(t *testing.T, addr string, pieces []string, pause time.Duration) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(strings.Join(pieces, "")))
	go func() {
		for _, p := range pieces {
			if _, err := c.Write([]byte(p)); err != nil {
				return
			}
			time.Sleep(pause)
		}
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// readAll answers 200 with the body, or 408 with the error.
func readAll(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		status := http.StatusBadRequest
		if IsStalled(err) {
			status = http.StatusRequestTimeout
		}
		http.Error(w, err.Error(), status)
		return
	}
	w.Write(b)
}

func TestSlowButSteadyBodyArrives(t *testing.T) {
	addr := serve(t, 600*time.Millisecond, readAll)
	pieces := strings.Split("a slow but steady body", "")
	start := time.Now()
	code, body := send(t, addr, pieces, 100*time.Millisecond)
	if code != http.StatusOK || body != "a slow but steady body" || time.Since(start) < time.Second {
		t.Fatalf("%d %q after %s", code, body, time.Since(start))
	}
}

func TestStalledBodyIsCutOff(t *testing.T) {
	addr := serve(t, 200*time.Millisecond, readAll)
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "nothing for 200ms") || time.Since(start) > 3*time.Second {
		t.Fatalf("stalled: %d %q after %s", res.StatusCode, b, time.Since(start))
	}
}

func TestWholeBodyLimit(t *testing.T) {
	addr := serve(t, time.Second, func(w http.ResponseWriter, r *http.Request) {
		From(w, r, 0).LimitTotal(500 * time.Millisecond)
		readAll(w, r)
	})
	code, body := send(t, addr, strings.Split(strings.Repeat("x", 30), ""), 50*time.Millisecond)
	if code != http.StatusRequestTimeout || !strings.Contains(body, "within 500ms") {
		t.Fatalf("%d %q", code, body)
	}
}

// TestCompleteBodyLeavesNoDeadline: once the body is read whole, a handler
// may take longer than the idle time without its request being cancelled
// (the server watches the connection for a hang-up with the deadline the
// last read left behind).
func TestCompleteBodyLeavesNoDeadline(t *testing.T) {
	addr := serve(t, 100*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(500 * time.Millisecond):
			w.Write([]byte("done"))
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusInternalServerError)
		}
	})
	if code, body := send(t, addr, []string{"body"}, 0); code != http.StatusOK || body != "done" {
		t.Fatalf("%d %q", code, body)
	}
}

// TestUnreadBodyDoesNotHoldTheConnection: a handler that ignores the
// body answers, and the server discards what is left of the body before it
// sends that answer. A client trickling the rest would hold the answer and
// the connection indefinitely; the idle time cuts it off instead.
func TestUnreadBodyDoesNotHoldTheConnection(t *testing.T) {
	addr := serve(t, 200*time.Millisecond, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ignored")) })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer %s after the request: %v", time.Since(start), err)
	}
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK || !res.Close || time.Since(start) > 3*time.Second {
		t.Fatalf("answer %d (close %v) after %s", res.StatusCode, res.Close, time.Since(start))
	}
	if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open %s after the request: %v", time.Since(start), err)
	}
}

// TestServersRequestKeepsItsBody: Middleware hands the handler a copy of
// the request. The server looks at its own request's Body after the
// handler, to see a large body left unread and then half-close the
// connection and pause before closing it, so that a client still sending
// reads the answer (a 413, say) instead of a reset.
func TestServersRequestKeepsItsBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orig := r.Body
		Middleware(time.Second, http.HandlerFunc(func(w http.ResponseWriter, inner *http.Request) {
			if _, ok := inner.Body.(*Reader); !ok {
				t.Error("the handler's body is not a Reader")
			}
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		})).ServeHTTP(w, r)
		if r.Body != orig {
			t.Error("Middleware replaced the body of the server's own request")
		}
	}))
	defer srv.Close()
	res, err := http.Post(srv.URL, "application/octet-stream", strings.NewReader(strings.Repeat("x", 1<<20)))
	if err != nil {
		t.Fatalf("the answer was lost: %v", err)
	}
	res.Body.Close()
}
