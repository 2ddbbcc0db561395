package events

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// maxSubjectRunes keeps the Subject header, even fully Q-encoded, far from
// the 998-octet line limit of RFC 5322 once folded.
const maxSubjectRunes = 200

// message is one alert e-mail before it is rendered.
type message struct {
	from    mail.Address
	to      []mail.Address
	subject string
	body    string
	date    time.Time
}

// oneLine makes s safe for a header: every control character (CR and LF
// above all, which would start a new header) becomes a space, runs of
// spaces collapse, and the result is at most max runes.
func oneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return truncate(strings.Join(strings.Fields(s), " "), max)
}

// checkAddress accepts a bare e-mail address (no display name, no
// comments, nothing around it) and returns it.
func checkAddress(addr string) (string, error) {
	if addr == "" || strings.ContainsAny(addr, "\r\n<>, \t") {
		return "", fmt.Errorf("not a bare e-mail address: %q", addr)
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" {
		return "", fmt.Errorf("not a bare e-mail address: %q", addr)
	}
	return addr, nil
}

// domainOf is the part of an address after the last '@'.
func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

// render writes the message in RFC 5322 form with CRLF line endings: the
// headers (non-ASCII subject and names as RFC 2047 encoded words) and a
// quoted-printable UTF-8 body. No input can add a header.
func (m message) render() ([]byte, error) {
	if len(m.to) == 0 {
		return nil, errors.New("no recipients")
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("message id: %w", err)
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", addressString(m.from))
	to := make([]string, len(m.to))
	for i, a := range m.to {
		to[i] = addressString(a)
	}
	header("To", strings.Join(to, ",\r\n "))
	// Adjacent encoded words may be split by folding whitespace.
	subject := mime.QEncoding.Encode("utf-8", oneLine(m.subject, maxSubjectRunes))
	header("Subject", strings.ReplaceAll(subject, "?= =?", "?=\r\n =?"))
	header("Date", m.date.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domainOf(m.from.Address)+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(m.body, "\r\n", "\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("message body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("message body: %w", err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// addressString renders an address with its display name made one line.
func addressString(a mail.Address) string {
	a.Name = oneLine(a.Name, 100)
	return a.String()
}
