// Package smtptest starts a real SMTP server for tests: Debian's aiosmtpd
// on a loopback port, storing each message it receives in a Maildir the
// test reads. A missing aiosmtpd skips the test, or fails it when
// GATEHOUSE_REQUIRE_PEERS=1.
package smtptest

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// python is Debian's interpreter, the one that sees python3-aiosmtpd.
const python = "/usr/bin/python3"

// Server is a real SMTP server (aiosmtpd) on a loopback port, storing what
// it receives in a Maildir the test reads.
type Server struct {
	t       *testing.T
	Addr    string // host:port it listens on
	maildir string
}

// skipOrFail skips when a test peer is missing, or fails the test when
// GATEHOUSE_REQUIRE_PEERS=1 says every peer must be there.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("GATEHOUSE_REQUIRE_PEERS") == "1" {
		t.Fatalf(format+" (GATEHOUSE_REQUIRE_PEERS=1; run make test to install test peers)", args...)
	}
	t.Skipf(format+" (install python3-aiosmtpd)", args...)
}

// Start starts aiosmtpd with the Mailbox handler; extra adds
// options such as --tlscert. The server stops when the test ends.
func Start(t *testing.T, extra ...string) *Server {
	t.Helper()
	if err := exec.Command(python, "-c", "import aiosmtpd").Run(); err != nil {
		skipOrFail(t, "aiosmtpd is not available to %s: %v", python, err)
	}
	s := &Server{t: t, Addr: FreeAddr(t), maildir: filepath.Join(t.TempDir(), "Maildir")}
	args := append([]string{"-m", "aiosmtpd", "-n", "-l", s.Addr}, extra...)
	args = append(args, "-c", "aiosmtpd.handlers.Mailbox", s.maildir)
	cmd := exec.Command(python, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start aiosmtpd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-exited:
			t.Fatalf("aiosmtpd exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %s: %s", s.Addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreeAddr returns a loopback address nothing listens on right now.
func FreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Message is one message as the server stored it.
type Message struct {
	RcptTo []string // the SMTP envelope recipients
	Header mail.Header
	Body   string // decoded text
	Raw    []byte
}

// Messages returns what the server has stored, oldest first. Delivery is
// complete when the client's DATA is answered, so no waiting is needed.
func (s *Server) Messages() []Message {
	s.t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.maildir, "new", "*"))
	sort.Slice(files, func(i, j int) bool { return modTime(files[i]).Before(modTime(files[j])) })
	var out []Message
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			s.t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			s.t.Fatalf("stored message does not parse: %v\n%s", err, raw)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			s.t.Fatalf("body is not quoted-printable: %v", err)
		}
		r := Message{Header: m.Header, Body: string(body), Raw: raw}
		for _, a := range strings.Split(m.Header.Get("X-RcptTo"), ",") {
			if a = strings.TrimSpace(a); a != "" {
				r.RcptTo = append(r.RcptTo, a)
			}
		}
		sort.Strings(r.RcptTo)
		out = append(out, r)
	}
	return out
}

func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// Subject decodes the message's Subject header.
func (r Message) Subject(t *testing.T) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(r.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q does not decode: %v", r.Header.Get("Subject"), err)
	}
	return s
}
