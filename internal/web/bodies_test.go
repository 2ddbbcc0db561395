package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/scim"
	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
)

// bodyServer is the real front end, with SCIM mounted as serve mounts it,
// on a loopback port, with short body limits set by adjust.
func bodyServer(t *testing.T, h *harness, cfg Options, adjust func(*server)) string {
	t.Helper()
	cfg.Service, cfg.Logger, cfg.Provision = h.svc, nil, h.provision
	if cfg.Files != nil && cfg.Uploads == nil {
		cfg.Uploads = multipart.New(multipart.Options{Store: h.st, Staging: cfg.Files, Clock: cfg.Clock})
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	cfg.SCIM = scim.New(scim.Options{Identity: h.svc, Log: h.st, Engine: h.provision, Auth: h.svc, BaseURL: cfg.BaseURL,
		Refusals: events.NewRefusalLimiter(h.st, events.RefusalLimits{})})
	s, err := newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(s)
	}
	srv.Config.Handler = s.handler(cfg)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// rawRequest sends head (request line and headers) with a Content-Length
// of size, then sent; it waits up to wait for the answer (status 0: none).
func rawRequest(t *testing.T, addr, head string, size int, sent string, wait time.Duration) (int, *http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", head, addr, size, sent)
	c.SetReadDeadline(time.Now().Add(wait))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, &http.Response{Header: http.Header{}}, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res, string(b)
}

// TestStalledBodiesAreRefusedInEachFormat: a small body that stops
// arriving (or arrives too slowly in all) is refused before its request
// queues, with 408 in the format of the route it was for: JSON on the
// REST API, a page on the sign-in form, SCIM's error on SCIM.
func TestStalledBodiesAreRefusedInEachFormat(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("root", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	addr := bodyServer(t, h, Options{BodyIdleTimeout: 300 * time.Millisecond}, func(s *server) { s.bodyTime = 2 * time.Second })
	for _, c := range []struct {
		head, format string
	}{
		{"POST /api/rest/v1/users HTTP/1.1\r\nContent-Type: application/json\r\nX-FilesAPI-Key: " + key, `"type":"bad-request/request-body-timeout"`},
		{"POST /api/rest/v1/sessions HTTP/1.1\r\nContent-Type: application/json", `"type":"bad-request/request-body-timeout"`},
		{"POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded", "<html"},
		{"POST /api/scim/v2/Users HTTP/1.1\r\nContent-Type: application/scim+json\r\nAuthorization: Bearer x", `"urn:ietf:params:scim:api:messages:2.0:Error"`},
	} {
		start := time.Now()
		code, res, body := rawRequest(t, addr, c.head, 100, `{"user`, 5*time.Second)
		if code != http.StatusRequestTimeout || !strings.Contains(body, c.format) || time.Since(start) > 2*time.Second {
			t.Errorf("%s: %d %s after %s", strings.SplitN(c.head, "\r\n", 2)[0], code, body, time.Since(start))
		}
		if !res.Close {
			t.Errorf("%s: the connection is kept after a broken body: %v", c.head, res.Header)
		}
	}

	// Never idle, but too slow in all: refused at the whole-body limit.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/rest/v1/sessions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", addr)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for time.Since(start) < 4*time.Second {
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	c.SetReadDeadline(time.Now().Add(6 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("trickled body: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "within 2s") || time.Since(start) > 3*time.Second {
		t.Errorf("trickled body: %d %s after %s", res.StatusCode, b, time.Since(start))
	}
	c.Close()
	<-done
}

// TestBodyMemoryIsBounded: bodies held while they arrive count against a
// budget; requests without credentials may hold half of it. Beyond it a
// request is refused (503, Files.com's too-many-concurrent-requests, with
// Retry-After) instead of buffered, and a signed-in caller still gets in.
func TestBodyMemoryIsBounded(t *testing.T) {
	h := newHarness(t)
	ann := h.createUser("ann", false)
	_, key := h.apiKeyFor(ann, time.Time{})
	var srv *server
	addr := bodyServer(t, h, Options{BodyIdleTimeout: 5 * time.Second}, func(s *server) { srv, s.bodies.limit = s, 6*bufferStep })
	// One anonymous body of which more than a step arrived holds three
	// steps (what arrived, rounded up, and the next): all that anonymous
	// requests may hold.
	hold, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	fmt.Fprintf(hold, "POST /api/rest/v1/sessions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, 10*bufferStep, strings.Repeat(" ", bufferStep+10))
	waitFor(t, "the held body to take three steps of the budget", func() bool { return srv.bodies.used.Load() >= 3*bufferStep })

	code, res, body := rawRequest(t, addr, "POST /api/rest/v1/sessions HTTP/1.1\r\nContent-Type: application/json", 2,
		"{}", 5*time.Second)
	var e errorBody
	_ = json.Unmarshal([]byte(body), &e)
	if code != http.StatusServiceUnavailable || e.Type != "rate-limited/too-many-concurrent-requests" || res.Header.Get("Retry-After") == "" {
		t.Errorf("anonymous body beyond the budget: %d %v %s", code, res.Header, body)
	}
	code, _, body = rawRequest(t, addr, "PATCH /api/rest/v1/api_key HTTP/1.1\r\nContent-Type: application/json\r\nX-FilesAPI-Key: "+key, 17,
		`{"name":"laptop"}`, 5*time.Second)
	if code != http.StatusOK {
		t.Errorf("signed-in body while anonymous ones hold their share: %d %s", code, body)
	}
	code, _, body = rawRequest(t, addr, "POST /api/scim/v2/Users HTTP/1.1\r\nContent-Type: application/scim+json", 2, "{}", 5*time.Second)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Errorf("SCIM body beyond the budget: %d %s", code, body)
	}
}

// TestOversizedBodyAnswerIsRead: a client that sends a whole body over the
// limit before it reads (as most HTTP libraries do) reads the refusal, in
// the route's format, instead of a connection reset: the server drains
// what it will not use, within bounds, after sending its answer.
func TestOversizedBodyAnswerIsRead(t *testing.T) {
	h := newHarness(t)
	admin := h.createUser("root", true)
	_, key := h.apiKeyFor(admin, time.Time{})
	p := h.createStrategy("saml", "azure", "Entra ID", true, false)
	token, _, err := h.svc.GenerateSCIMToken(h.ctx, identity.SystemActor, h.site.ID, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	addr := bodyServer(t, h, Options{}, nil)
	const size = 3 << 20
	for _, c := range []struct {
		head, format string
	}{
		{"POST /api/rest/v1/users HTTP/1.1\r\nContent-Type: application/json\r\nX-FilesAPI-Key: " + key, `"type":"bad-request/request-body-too-large"`},
		{"POST /api/rest/v1/sessions HTTP/1.1\r\nContent-Type: application/json", `"type":"bad-request/request-body-too-large"`},
		{"POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded", "<html"},
		{"POST /api/scim/v2/Users HTTP/1.1\r\nContent-Type: application/scim+json\r\nAuthorization: Bearer " + token, `"urn:ietf:params:scim:api:messages:2.0:Error"`},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// Larger socket buffers than loopback's defaults would hide the
		// reset: keep them small, so the body does not fit in them.
		tc := conn.(*net.TCPConn)
		tc.SetWriteBuffer(64 << 10)
		tc.SetReadBuffer(64 << 10)
		fmt.Fprintf(conn, "%s\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", c.head, addr, size)
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		body := strings.Repeat("x", 64<<10)
		var werr error
		for sent := 0; sent < size && werr == nil; sent += len(body) {
			_, werr = io.WriteString(conn, body)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		line := strings.SplitN(c.head, "\r\n", 2)[0]
		if err != nil {
			t.Errorf("%s: no answer after sending %d bytes (write: %v): %v", line, size, werr, err)
			conn.Close()
			continue
		}
		b, rerr := io.ReadAll(res.Body)
		if werr != nil || rerr != nil || res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), c.format) {
			t.Errorf("%s: %d %s (write: %v, read: %v)", line, res.StatusCode, b, werr, rerr)
		}
		conn.Close()
	}
}
