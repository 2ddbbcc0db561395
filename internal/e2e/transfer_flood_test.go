package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// boundDialer dials from the loopback address src, so the server sees
// the connection come from there (Linux routes all of 127.0.0.0/8 to the
// loopback interface).
func boundDialer(src string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
}

// ftpRefusals sends n USER/PASS pairs from src on one FTP connection and
// returns how many were answered 530.
func ftpRefusals(t *testing.T, ftpAddr, src string, n int, username func(i int) string) int {
	t.Helper()
	nc, err := boundDialer(src).Dial("tcp", ftpAddr)
	if err != nil {
		t.Errorf("FTP from %s: %v", src, err)
		return 0
	}
	defer nc.Close()
	c := textproto.NewConn(nc)
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Errorf("FTP greeting: %v", err)
		return 0
	}
	refused := 0
	for i := range n {
		if _, err := c.Cmd("USER %s", username(i)); err != nil {
			t.Errorf("FTP USER: %v", err)
			return refused
		}
		if _, _, err := c.ReadResponse(331); err != nil {
			t.Errorf("FTP USER: %v", err)
			return refused
		}
		if _, err := c.Cmd("PASS wrong password %d", i); err != nil {
			t.Errorf("FTP PASS: %v", err)
			return refused
		}
		if _, _, err := c.ReadResponse(530); err != nil {
			t.Errorf("FTP PASS %d from %s: want 530, got %v", i, src, err)
			return refused
		}
		refused++
	}
	return refused
}

// davRefusals sends n PROPFINDs with a wrong Basic password from src and
// returns how many reached the sign-in and were refused (401, or 429 once
// the address is throttled); a 503 from the admission queue reached no
// sign-in and is not counted.
func davRefusals(t *testing.T, base, src string, n int, username func(i int) string) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DialContext: boundDialer(src).DialContext}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	refused := 0
	for i := range n {
		req, _ := http.NewRequest("PROPFIND", base+"/dav/", nil)
		req.Header.Set("Depth", "0")
		req.SetBasicAuth(username(i), fmt.Sprintf("wrong password %d", i))
		res, err := client.Do(req)
		if err != nil {
			t.Errorf("WebDAV from %s: %v", src, err)
			return refused
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusUnauthorized, http.StatusTooManyRequests:
			refused++
		case http.StatusServiceUnavailable:
		default:
			t.Errorf("WebDAV refusal %d from %s answered %d", i, src, res.StatusCode)
			return refused
		}
	}
	return refused
}

// sftpRefusals tries wrong passwords from src, five per SSH connection
// (fewer than the server's MaxAuthTries, so every one reaches the
// sign-in), until n were sent, and returns how many were sent.
func sftpRefusals(t *testing.T, sftpAddr, src string, n int, username func(i int) string) int {
	t.Helper()
	sent := 0
	for sent < n {
		nc, err := boundDialer(src).Dial("tcp", sftpAddr)
		if err != nil {
			t.Errorf("SSH from %s: %v", src, err)
			return sent
		}
		per := min(5, n-sent)
		tries := 0
		cfg := &ssh.ClientConfig{User: username(sent), HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
			Auth: []ssh.AuthMethod{ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) {
				tries++
				return fmt.Sprintf("wrong password %d", tries), nil
			}), per)}}
		_, _, _, err = ssh.NewClientConn(nc, sftpAddr, cfg)
		nc.Close()
		if err == nil {
			t.Errorf("SSH sign-in with a wrong password from %s succeeded", src)
			return sent
		}
		sent += tries
	}
	return sent
}

// TestTransferRefusalFloodThroughServe floods a real server with 2,000
// refused sign-ins from four addresses — wrong FTP USER/PASS pairs, WebDAV
// Basic passwords (some sent by curl) and SSH passwords — for made-up
// usernames and for a real account, then signs the real account in with
// lftp and curl, stops the server (open windows are written at shutdown)
// and reads the external events through the restarted server's REST API:
// each kind of refusal left a few events and a summary, whose counts add
// up to the refusals sent, and each successful sign-in its own event.
func TestTransferRefusalFloodThroughServe(t *testing.T) {
	requireTools(t, "curl", "lftp")
	dir := filepath.Join(t.TempDir(), "data")
	ftpAddr, sftpAddr := freeAddr(t), freeAddr(t)
	s := startServer(t, "--data-dir", dir, "--ftp-listen", ftpAddr, "--sftp-listen", sftpAddr)
	key := createAPIKey(t, "--data-dir", dir)
	const carolPassword = "carol's transfer password"
	if code := s.api(t, "POST", "/users", key, map[string]any{"username": "carol", "password": carolPassword,
		"ftp_permission": true, "dav_permission": true, "sftp_permission": true}, nil); code != http.StatusCreated {
		t.Fatalf("create carol: %d", code)
	}

	// carol's wrong passwords come from one address only, which the
	// throttle stops before they could lock her.
	sources := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
	nameFor := func(src string) func(i int) string {
		return func(i int) string {
			if src == sources[0] && i%10 == 0 {
				return "carol"
			}
			return fmt.Sprintf("nobody-%s-%d", strings.ReplaceAll(src, ".", "-"), i)
		}
	}
	var refused atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Add(3)
		go func() { defer wg.Done(); refused.Add(int64(ftpRefusals(t, ftpAddr, src, 200, nameFor(src)))) }()
		go func() { defer wg.Done(); refused.Add(int64(davRefusals(t, s.Base, src, 195, nameFor(src)))) }()
		go func() { defer wg.Done(); refused.Add(int64(sftpRefusals(t, sftpAddr, src, 100, nameFor(src)))) }()
	}
	wg.Wait()
	for i := range 20 { // a real client's refusals too
		if code, _ := curlFrom(t, sources[i%len(sources)], "-u", fmt.Sprintf("curl-%d:wrong", i), "-X", "PROPFIND",
			"-H", "Depth: 0", s.Base+"/dav/"); code == http.StatusUnauthorized || code == http.StatusTooManyRequests {
			refused.Add(1)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	const sent = 4*(200+195+100) + 20
	if n := refused.Load(); n < sent*95/100 {
		t.Fatalf("only %d of %d sign-ins reached the sign-in and were refused", n, sent)
	}
	t.Logf("%d refused sign-ins in %s", refused.Load(), time.Since(start).Round(time.Millisecond))

	// carol signs in from elsewhere, over FTP with lftp and WebDAV with curl.
	if out := lftpSignIn(t, ftpAddr, "127.0.0.9", "carol", carolPassword); strings.Contains(out, "530") || strings.Contains(out, "Login failed") {
		t.Fatalf("carol over FTP after the flood: %s", out)
	}
	if code, out := curlFrom(t, "127.0.0.9", "-u", "carol:"+carolPassword, "-X", "PROPFIND", "-H", "Depth: 0", s.Base+"/dav/"); code != http.StatusMultiStatus {
		t.Fatalf("carol over WebDAV after the flood: %d %s", code, out)
	}
	windows := int(time.Since(start)/time.Minute) + 2
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s = startServer(t, "--data-dir", dir)
	var events []struct {
		EventType string `json:"event_type"`
		Status    string `json:"status"`
		Body      string `json:"body"`
	}
	if code := s.api(t, http.MethodGet, "/external_events?per_page=10000", key, nil, &events); code != http.StatusOK {
		t.Fatalf("GET /external_events: %d", code)
	}
	countRe := regexp.MustCompile(`^(\d+) more events like this \(([^)]*)\)`)
	kinds := map[string]bool{}
	rows, total, signedIn := 0, 0, 0
	for _, ev := range events {
		if ev.EventType != "transfer_login" {
			continue
		}
		if ev.Status == "success" {
			if strings.Contains(ev.Body, `"carol"`) && strings.Contains(ev.Body, "from 127.0.0.9: signed in") {
				signedIn++
			}
			continue
		}
		rows++
		if m := countRe.FindStringSubmatch(ev.Body); m != nil {
			n, _ := strconv.Atoi(m[1])
			total += n
			kinds[m[2]] = true
		} else {
			total++
		}
	}
	t.Logf("%d transfer_login refusal events for %d refusals; summarised kinds: %v", rows, total, kinds)
	if signedIn != 2 {
		t.Errorf("%d events of carol's sign-ins over FTP and WebDAV, want each recorded", signedIn)
	}
	if total != int(refused.Load()) {
		t.Errorf("the events account for %d refusals, want %d", total, refused.Load())
	}
	// Three channels, each with at most three kinds (no such account,
	// an existing account, address throttled): five events and a
	// summary per kind and window.
	if rows > 3*3*6*windows {
		t.Errorf("%d transfer_login events for %d refusals; want a few and a summary per kind", rows, refused.Load())
	}
}
