package events

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
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

// smtpd is a real SMTP server (aiosmtpd) on a loopback port, storing what
// it receives in a Maildir the test reads.
type smtpd struct {
	t       *testing.T
	addr    string
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

// startSMTPD starts aiosmtpd with the Mailbox handler; extra adds
// options such as --tlscert. The server stops when the test ends.
func startSMTPD(t *testing.T, extra ...string) *smtpd {
	t.Helper()
	if err := exec.Command(python, "-c", "import aiosmtpd").Run(); err != nil {
		skipOrFail(t, "aiosmtpd is not available to %s: %v", python, err)
	}
	s := &smtpd{t: t, addr: freeAddr(t), maildir: filepath.Join(t.TempDir(), "Maildir")}
	args := append([]string{"-m", "aiosmtpd", "-n", "-l", s.addr}, extra...)
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
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
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
			t.Fatalf("aiosmtpd did not listen on %s: %s", s.addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// received is one message as the server stored it.
type received struct {
	rcptTo []string // the SMTP envelope recipients
	header mail.Header
	body   string // decoded text
	raw    []byte
}

// messages returns what the server has stored, oldest first. Delivery is
// complete when the client's DATA is answered, so no waiting is needed.
func (s *smtpd) messages() []received {
	s.t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.maildir, "new", "*"))
	sort.Slice(files, func(i, j int) bool { return modTime(files[i]).Before(modTime(files[j])) })
	var out []received
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
		r := received{header: m.Header, body: string(body), raw: raw}
		for _, a := range strings.Split(m.Header.Get("X-RcptTo"), ",") {
			if a = strings.TrimSpace(a); a != "" {
				r.rcptTo = append(r.rcptTo, a)
			}
		}
		sort.Strings(r.rcptTo)
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

// subject decodes the message's Subject header.
func (r received) subject(t *testing.T) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(r.header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q does not decode: %v", r.header.Get("Subject"), err)
	}
	return s
}

// testCA makes a CA and a server certificate for 127.0.0.1 signed by it,
// written as PEM files; it returns the files and a pool trusting the CA.
func testCA(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Gatehouse test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certFile, keyFile, roots
}
