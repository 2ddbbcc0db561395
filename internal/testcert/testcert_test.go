package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestLoopbackServesTLS: a TLS server with the loopback certificate is
// trusted, under each loopback name, by a client that trusts only the CA.
func TestLoopbackServesTLS(t *testing.T) {
	ca, srv := Loopback(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{srv.TLSCertificate()}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hello"))
			_ = c.Close()
		}
	}()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range loopbackHosts {
		c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port), &tls.Config{RootCAs: ca.Pool(), ServerName: name})
		if err != nil {
			t.Fatalf("as %s: %v", name, err)
		}
		b, err := io.ReadAll(c)
		_ = c.Close()
		if err != nil || string(b) != "hello" {
			t.Fatalf("as %s: read %q, %v", name, b, err)
		}
	}
	if _, err := srv.Cert.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: ca.Pool()}); err == nil {
		t.Fatal("the loopback certificate is valid for another name")
	}
}

// TestSignerFiles: a signer is self-signed RSA within its dates, and its
// files hold the PKCS#1 key and the certificate.
func TestSignerFiles(t *testing.T) {
	notAfter := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	p := Signer(t, "Test IdP", notAfter)
	if p.RSA() == nil || p.RSA().N.BitLen() != 2048 || p.Cert.Subject.CommonName != "Test IdP" || !p.Cert.NotAfter.Equal(notAfter) {
		t.Fatalf("signer %v, %s until %v", p.Key, p.Cert.Subject, p.Cert.NotAfter)
	}
	if err := p.Cert.CheckSignature(p.Cert.SignatureAlgorithm, p.Cert.RawTBSCertificate, p.Cert.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	keyFile, certFile := p.Files(t)
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(kb)
	if block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Fatalf("key file %q", kb)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil || !k.Equal(p.Key) {
		t.Fatalf("key file holds another key: %v", err)
	}
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	ca, srv := Loopback(t)
	if _, err := tls.X509KeyPair(srv.CertPEM(), srv.KeyPEM()); err != nil {
		t.Fatalf("the ECDSA pair does not load: %v", err)
	}
	if !ca.Cert.IsCA {
		t.Fatal("the CA certificate is no CA")
	}
}
