package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// trickler is a client that sends a request's headers and then its body a
// few bytes at a time, as slowly as it likes.
type trickler struct {
	conn net.Conn
}

func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// startTrickle opens a connection to addr and sends head (the request line
// and headers, without the blank line) announcing a body of size bytes,
// then the first bytes of it.
func startTrickle(t *testing.T, addr, head string, size int) *trickler {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "%s\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", head, addr, size); err != nil {
		t.Fatalf("send the headers: %v", err)
	}
	if _, err := c.Write([]byte("{")); err != nil {
		t.Fatalf("send the body's first byte: %v", err)
	}
	return &trickler{conn: c}
}

// TestSlowBodiesDoNotStarveSignedInCallers opens 64 connections that send
// headers with a Content-Length and then trickle their bodies, without
// credentials (and a few with a made-up API key) to the sign-in page, the
// session and user endpoints and SCIM. While they trickle, the sign-in
// page and an API key's GET /me must each answer in under a second, and
// /readyz must stay ready: a slow client holds no slot of the queue.
func TestSlowBodiesDoNotStarveSignedInCallers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir)
	key := createAPIKey(t, "--data-dir", dir)
	if code := s.api(t, "POST", "/users", key, map[string]any{"username": "ann", "password": "ann's long passphrase 1",
		"restapi_permission": true}, nil); code != http.StatusCreated {
		t.Fatalf("create ann: %d", code)
	}
	var annKey struct {
		Key string `json:"key"`
	}
	annID := userIDOf(t, s, key, "ann")
	if code := s.api(t, "POST", "/api_keys", key, map[string]any{"user_id": annID, "name": "ann"}, &annKey); code != http.StatusCreated {
		t.Fatalf("ann's key: %d", code)
	}
	addr := strings.TrimPrefix(s.Base, "http://")
	heads := []string{
		"POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
		"POST /api/rest/v1/sessions HTTP/1.1\r\nContent-Type: application/json",
		"POST /api/scim/v2/Users HTTP/1.1\r\nContent-Type: application/scim+json",
		"POST /api/rest/v1/users HTTP/1.1\r\nContent-Type: application/json",
		"PATCH /api/rest/v1/site HTTP/1.1\r\nContent-Type: application/json\r\nX-FilesAPI-Key: ghk_made_up",
		"POST /saml/consume HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
		"POST /api/scim/v2/Groups HTTP/1.1\r\nContent-Type: application/scim+json\r\nAuthorization: Bearer made-up",
		"POST /password HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
	}
	var slow []*trickler
	for i := 0; i < 64; i++ {
		slow = append(slow, startTrickle(t, addr, heads[i%len(heads)], 4096))
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // one byte per connection every half second
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				for _, c := range slow {
					c.conn.SetWriteDeadline(time.Now().Add(time.Second))
					c.conn.Write([]byte(" "))
				}
			}
		}
	}()
	t.Cleanup(func() { stop(); wg.Wait() })
	time.Sleep(time.Second) // every slow request is in, as far as it gets

	client := &http.Client{Timeout: 5 * time.Second}
	var slowest time.Duration
	timed := func(name string, req *http.Request, want int) {
		t.Helper()
		start := time.Now()
		res, err := client.Do(req)
		took := time.Since(start)
		slowest = max(slowest, took)
		if err != nil {
			t.Errorf("%s while 64 clients trickle their bodies: %v after %s", name, err, took)
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want || took > time.Second {
			t.Errorf("%s while 64 clients trickle their bodies: %d after %s, want %d in under 1s", name, res.StatusCode, took, want)
		}
	}
	for round := 0; round < 3; round++ {
		login, _ := http.NewRequest("GET", s.Base+"/login", nil)
		timed("GET /login", login, http.StatusOK)
		me, _ := http.NewRequest("GET", s.Base+"/api/rest/v1/me", nil)
		me.Header.Set("X-FilesAPI-Key", annKey.Key)
		timed("GET /api/rest/v1/me with an API key", me, http.StatusOK)
		patch, _ := http.NewRequest("PATCH", s.Base+"/api/rest/v1/users/"+fmt.Sprint(annID),
			strings.NewReader(`{"name":"Ann"}`))
		patch.Header.Set("X-FilesAPI-Key", key)
		patch.Header.Set("Content-Type", "application/json")
		timed("PATCH /api/rest/v1/users/{id} with a site-wide key", patch, http.StatusOK)
		ready, _ := http.NewRequest("GET", s.Base+"/readyz", nil)
		timed("GET /readyz", ready, http.StatusOK)
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("slowest answer while 64 clients trickled their bodies: %s", slowest)
}

// TestUploadIdleTimeout runs the real binary with a one-second body idle
// time: REST uploads (one-shot, and begin_upload + PUT) that keep sending
// slowly for several times that succeed whole, however long they take in
// all; ones that stall are cut off with a typed error and leave no file.
// (Before, a server-wide ReadTimeout of two minutes cut off any upload
// longer than that, and let a stalled one hold on for the full two.)
func TestUploadIdleTimeout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, "--data-dir", dir, "--http-body-idle-timeout", "1s")
	key := createAPIKey(t, "--data-dir", dir)
	if code := s.api(t, "POST", "/users", key, map[string]any{"username": "uma", "password": "uma's long passphrase 1",
		"restapi_permission": true, "dav_permission": true}, nil); code != http.StatusCreated {
		t.Fatalf("create uma: %d", code)
	}
	var umaKey struct {
		Key string `json:"key"`
	}
	if code := s.api(t, "POST", "/api_keys", key, map[string]any{"user_id": userIDOf(t, s, key, "uma"), "name": "uma"}, &umaKey); code != http.StatusCreated {
		t.Fatalf("uma's key: %d", code)
	}
	addr := strings.TrimPrefix(s.Base, "http://")
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64) // 1 KiB

	// send writes head and the payload in 16 pieces, pausing between them;
	// with stallAfter > 0 it stops after that many pieces and waits. It
	// returns the status (0 if the server answered nothing) and the body.
	send := func(head string, pause time.Duration, stallAfter int) (int, string, time.Duration) {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := fmt.Fprintf(c, "%s\r\nHost: %s\r\nX-FilesAPI-Key: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
			head, addr, umaKey.Key, len(payload)); err != nil {
			t.Fatalf("send the headers: %v", err)
		}
		piece := len(payload) / 16
		for i := 0; i < 16; i++ {
			if stallAfter > 0 && i == stallAfter {
				break
			}
			if _, err := c.Write(payload[i*piece : (i+1)*piece]); err != nil {
				break
			}
			time.Sleep(pause)
		}
		if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, err.Error(), time.Since(start)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), time.Since(start)
	}
	exists := func(p string) bool {
		req, _ := http.NewRequest("GET", s.Base+"/api/rest/v1/files/"+p, nil)
		req.Header.Set("X-FilesAPI-Key", umaKey.Key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	// begin answers the ref and the request target of part 1's presigned
	// upload_uri.
	begin := func(p string) (string, string) {
		var parts []struct {
			Ref       string `json:"ref"`
			UploadURI string `json:"upload_uri"`
		}
		if code := s.api(t, "POST", "/file_actions/begin_upload/"+p, umaKey.Key, nil, &parts); code != http.StatusOK || len(parts) != 1 {
			t.Fatalf("begin_upload %s: %d", p, code)
		}
		u, err := url.Parse(parts[0].UploadURI)
		if err != nil {
			t.Fatal(err)
		}
		return parts[0].Ref, u.RequestURI()
	}

	// Slow but alive: 16 pieces 400 ms apart, over six seconds in all.
	code, body, took := send("POST /api/rest/v1/files/slow.bin HTTP/1.1", 400*time.Millisecond, 0)
	if code != http.StatusCreated || took < 6*time.Second {
		t.Fatalf("slow one-shot upload: %d %s after %s", code, body, took)
	}
	ref, target := begin("slow-part.bin")
	if code, body, _ := send("PUT "+target+" HTTP/1.1", 400*time.Millisecond, 0); code != http.StatusOK {
		t.Fatalf("slow PUT to the upload_uri: %d %s", code, body)
	}
	if code := s.api(t, "POST", "/files/slow-part.bin", umaKey.Key, map[string]string{"action": "end", "ref": ref}, nil); code != http.StatusCreated {
		t.Fatalf("ending the slow upload: %d", code)
	}
	for _, p := range []string{"slow.bin", "slow-part.bin"} {
		var f struct {
			Size int `json:"size"`
		}
		if code := s.api(t, "GET", "/files/"+p, umaKey.Key, nil, &f); code != http.StatusOK || f.Size != len(payload) {
			t.Errorf("%s after a slow upload: %d, %d bytes", p, code, f.Size)
		}
	}

	// Stalled: half the bytes, then nothing.
	code, body, took = send("POST /api/rest/v1/files/stalled.bin HTTP/1.1", 10*time.Millisecond, 8)
	if code != http.StatusRequestTimeout || !strings.Contains(body, "bad-request/request-body-timeout") || took > 5*time.Second {
		t.Errorf("stalled one-shot upload: %d %s after %s", code, body, took)
	}
	ref, target = begin("stalled-part.bin")
	code, body, took = send("PUT "+target+" HTTP/1.1", 10*time.Millisecond, 8)
	if code != http.StatusRequestTimeout || took > 5*time.Second {
		t.Errorf("stalled PUT to the upload_uri: %d %s after %s", code, body, took)
	}
	s.api(t, "POST", "/files/stalled-part.bin", umaKey.Key, map[string]string{"action": "end", "ref": ref}, nil)
	code, _, took = send("PUT /dav/stalled-dav.bin HTTP/1.1\r\nAuthorization: Basic "+basicAuth("uma", "uma's long passphrase 1"), 10*time.Millisecond, 8)
	if took > 5*time.Second {
		t.Errorf("stalled WebDAV PUT: %d after %s", code, took)
	}
	for _, p := range []string{"stalled.bin", "stalled-part.bin", "stalled-dav.bin"} {
		if exists(p) {
			t.Errorf("a stalled upload left %s", p)
		}
	}
}
