package ftp

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testpeer"
	"github.com/gatehouse/gatehouse/internal/transfer/transfertest"
)

// startFTP starts a server over h with FTPS enabled.
func startFTP(t testing.TB, h *transfertest.Harness, adjust func(*Options)) *Server {
	t.Helper()
	dir := t.TempDir()
	cert, err := LoadOrCreateCertificate(filepath.Join(dir, "ftp.crt"), filepath.Join(dir, "ftp.key"), true, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Options{Identity: h.Svc, Files: h.Storage.View, Listen: transfertest.FreePort(t),
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, Logger: h.Logger}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	waitListening(t, s.Addr())
	return s
}

func waitListening(t testing.TB, addr string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("FTP server at %s never listened", addr)
}

func requireClient(t *testing.T, name string) {
	t.Helper()
	testpeer.LookPath(t, "Debian "+name, name)
}

// lftp runs an lftp script against addr as user with secret, in dir, and
// returns its output. tls selects explicit FTPS with protected data.
func lftp(t *testing.T, addr, user, secret string, useTLS bool, dir string, commands ...string) (string, error) {
	t.Helper()
	return lftpFrom(t, "", addr, user, secret, useTLS, dir, commands...)
}

// lftpFrom is lftp with the connection bound to the loopback address src
// (none when empty), so a refusal counts against that address alone.
func lftpFrom(t *testing.T, src, addr, user, secret string, useTLS bool, dir string, commands ...string) (string, error) {
	t.Helper()
	requireClient(t, "lftp")
	var b strings.Builder
	b.WriteString("set cmd:fail-exit yes\nset net:max-retries 1\nset net:timeout 10\nset net:reconnect-interval-base 1\nset xfer:clobber yes\n")
	if src != "" {
		b.WriteString("set net:socket-bind-ipv4 " + src + "\n")
	}
	if useTLS {
		b.WriteString("set ftp:ssl-force yes\nset ftp:ssl-protect-data yes\nset ftp:ssl-protect-list yes\nset ssl:verify-certificate no\n")
	} else {
		b.WriteString("set ftp:ssl-allow no\n")
	}
	fmt.Fprintf(&b, "open ftp://%s\nuser %s %s\n", addr, quote(user), quote(secret))
	for _, c := range commands {
		b.WriteString(c + "\n")
	}
	script := filepath.Join(t.TempDir(), "script.lftp")
	if err := os.WriteFile(script, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "lftp", "-f", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func quote(s string) string { return strconv.Quote(s) }

// rawFTP is a hand-driven control connection, for what no client does on
// purpose (stalling, guessing passwords).
type rawFTP struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawFTP {
	t.Helper()
	return dialRawFrom(t, addr, "")
}

// dialRawFrom is dialRaw from another loopback address (the server then
// sees a sign-in from there), or from any address when src is "".
func dialRawFrom(t *testing.T, addr, src string) *rawFTP {
	t.Helper()
	d := net.Dialer{}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	f := &rawFTP{t: t, conn: c, r: bufio.NewReader(c)}
	f.expect(220)
	return f
}

// reply reads one (possibly multi-line) reply.
func (f *rawFTP) reply() (int, string) {
	f.t.Helper()
	_ = f.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var all strings.Builder
	for {
		line, err := f.r.ReadString('\n')
		if err != nil {
			return 0, all.String() + line
		}
		all.WriteString(line)
		if len(line) >= 4 && line[3] == ' ' {
			code, _ := strconv.Atoi(line[:3])
			return code, all.String()
		}
	}
}

func (f *rawFTP) send(cmd string) (int, string) {
	f.t.Helper()
	if _, err := fmt.Fprintf(f.conn, "%s\r\n", cmd); err != nil {
		return 0, err.Error()
	}
	return f.reply()
}

func (f *rawFTP) expect(code int) string {
	f.t.Helper()
	got, msg := f.reply()
	if got != code {
		f.t.Fatalf("want reply %d, got %d %q", code, got, msg)
	}
	return msg
}

func (f *rawFTP) must(cmd string, code int) string {
	f.t.Helper()
	got, msg := f.send(cmd)
	if got != code {
		f.t.Fatalf("%s: want %d, got %d %q", strings.Fields(cmd)[0], code, got, msg)
	}
	return msg
}

func (f *rawFTP) login(user, secret string) (int, string) {
	f.t.Helper()
	f.must("USER "+user, 331)
	return f.send("PASS " + secret)
}

// pasv opens a passive data connection.
func (f *rawFTP) pasv() net.Conn {
	f.t.Helper()
	msg := f.must("PASV", 227)
	open, closing := strings.Index(msg, "("), strings.Index(msg, ")")
	parts := strings.Split(msg[open+1:closing], ",")
	p1, _ := strconv.Atoi(parts[4])
	p2, _ := strconv.Atoi(parts[5])
	addr := net.JoinHostPort(strings.Join(parts[:4], "."), strconv.Itoa(p1*256+p2))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	return c
}
