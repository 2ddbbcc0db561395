// Package smtptest starts a real SMTP server for tests: Debian's aiosmtpd
// on a loopback port, storing each message it receives in a Maildir the
// test reads. A missing aiosmtpd skips the test, or fails it when
// GATEHOUSE_REQUIRE_PEERS=1 (see package testpeer).
package smtptest

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testpeer"
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

// Start starts aiosmtpd with the Mailbox handler; extra adds
// options such as --tlscert. The server stops when the test ends.
func Start(t *testing.T, extra ...string) *Server {
	t.Helper()
	if err := exec.Command(python, "-c", "import aiosmtpd").Run(); err != nil {
		testpeer.Missing(t, "aiosmtpd is not available to %s: %v (Debian python3-aiosmtpd)", python, err)
	}
	dir := t.TempDir()
	s := &Server{t: t, Addr: testpeer.FreeAddr(t), maildir: filepath.Join(dir, "Maildir")}
	args := append([]string{"-m", "aiosmtpd", "-n", "-l", s.Addr}, extra...)
	args = append(args, "-c", "aiosmtpd.handlers.Mailbox", s.maildir)
	proc, err := testpeer.Start("aiosmtpd", exec.Command(python, args...), filepath.Join(dir, "aiosmtpd.log"))
	if err != nil {
		t.Fatal(err)
	}
	proc.StopAtCleanup(t, syscall.SIGKILL, 0)
	if err := proc.WaitReady(15*time.Second, testpeer.Listening(s.Addr)); err != nil {
		t.Fatal(err)
	}
	return s
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
