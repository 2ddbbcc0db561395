package events

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestRenderIsCRLFWithOneHeaderPerLine(t *testing.T) {
	m := message{
		from:    mail.Address{Name: "Gatehouse", Address: "gatehouse@example.com"},
		to:      []mail.Address{{Name: "A\rB\nC\u2028D", Address: "a@example.com"}, {Address: "b@example.com"}},
		subject: "one\rtwo\nthree\x00four\u2029five",
		body:    "line one\nline two\r\nlone\rcarriage " + strings.Repeat("long ", 40) + "\n.\n",
		date:    time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
	}
	raw, err := m.render()
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no blank line:\n%q", raw)
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) ||
		bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Fatalf("a bare CR or LF:\n%q", raw)
	}
	names := []string{}
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("header line of %d octets", len(line))
		}
		if line[0] == ' ' {
			continue // folded
		}
		name, _, _ := strings.Cut(line, ":")
		names = append(names, name)
	}
	want := "From To Subject Date Message-ID MIME-Version Content-Type Content-Transfer-Encoding Auto-Submitted"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("headers %q, want %q", got, want)
	}
	for _, line := range strings.Split(string(body), "\r\n") {
		if len(line) > 76 {
			t.Fatalf("body line of %d octets", len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if s := msg.Header.Get("Subject"); s != "one two three four five" {
		t.Fatalf("subject %q", s)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "A B C D" {
		t.Fatalf("to %v %v", to, err)
	}
	if _, err := (message{from: m.from}).render(); err == nil {
		t.Fatal("a message without recipients rendered")
	}
}

func TestCheckAddress(t *testing.T) {
	for _, ok := range []string{"a@example.com", "first.last+tag@sub.example.org"} {
		if _, err := checkAddress(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "A <a@example.com>", "a@example.com, b@example.com",
		"a@example.com\r\nBcc: b@example.com", "a@example.com>", "(c) a@example.com"} {
		if _, err := checkAddress(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "LocalHost": true,
		"127.9.9.9": true, "mail.example.com": false, "10.0.0.1": false, "localhost.evil.example": false} {
		if got := (smtpServer{host: host}).loopback(); got != want {
			t.Errorf("loopback(%q) = %v", host, got)
		}
	}
}
