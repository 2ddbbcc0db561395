// Package testcert makes the keys and certificates tests need, in one
// place: a self-signed RSA pair like the one a SAML identity provider
// signs with, and a CA with a server certificate for loopback like the
// one a TLS peer (LDAPS, SMTP, an HTTPS metadata server) presents.
//
// RSA keys are 2048 bits, what providers publish, and their private keys
// are written as PKCS#1 ("RSA PRIVATE KEY"), which xmlsec1 and pysaml2
// read; CA and server keys are ECDSA P-256, cheap to make.
package testcert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Pair is a private key and its certificate.
type Pair struct {
	Key  crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
	Cert *x509.Certificate
}

// CertPEM is the certificate in PEM.
func (p *Pair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Cert.Raw})
}

// KeyPEM is the private key in PEM: PKCS#1 for RSA, PKCS#8 otherwise.
func (p *Pair) KeyPEM() []byte {
	if k, ok := p.Key.(*rsa.PrivateKey); ok {
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	}
	der, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		panic(err) // only for a key type this package never makes
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// RSA is the key as *rsa.PrivateKey; nil for another kind.
func (p *Pair) RSA() *rsa.PrivateKey {
	k, _ := p.Key.(*rsa.PrivateKey)
	return k
}

// TLSCertificate is the pair as crypto/tls takes it.
func (p *Pair) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{p.Cert.Raw}, PrivateKey: p.Key, Leaf: p.Cert}
}

// WriteFiles writes the pair as key.pem and cert.pem in dir, mode 0600.
func (p *Pair) WriteFiles(dir string) (keyFile, certFile string, err error) {
	keyFile, certFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, p.KeyPEM(), 0o600); err != nil {
		return "", "", fmt.Errorf("testcert: %w", err)
	}
	if err := os.WriteFile(certFile, p.CertPEM(), 0o600); err != nil {
		return "", "", fmt.Errorf("testcert: %w", err)
	}
	return keyFile, certFile, nil
}

// Files is WriteFiles in a new temporary folder of tb, failing tb on error.
func (p *Pair) Files(tb testing.TB) (keyFile, certFile string) {
	tb.Helper()
	keyFile, certFile, err := p.WriteFiles(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return keyFile, certFile
}

// NewSigner makes a self-signed RSA pair for cn, valid from notBefore to
// notAfter: a SAML identity provider's (or service provider's) signing
// certificate.
func NewSigner(cn string, notBefore, notAfter time.Time) (*Pair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("testcert: %w", err)
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter}
	return issue(tmpl, nil, key)
}

// Signer is NewSigner valid from an hour ago until notAfter, failing tb
// on error.
func Signer(tb testing.TB, cn string, notAfter time.Time) *Pair {
	tb.Helper()
	p, err := NewSigner(cn, time.Now().Add(-time.Hour), notAfter)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// CA is a certificate authority that issues server certificates.
type CA struct {
	Pair
}

// NewCA makes a CA named cn, valid from notBefore to notAfter.
func NewCA(cn string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testcert: %w", err)
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	p, err := issue(tmpl, nil, key)
	if err != nil {
		return nil, err
	}
	return &CA{Pair: *p}, nil
}

// Pool is a certificate pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// Issue makes a server certificate for hosts (IP addresses or DNS names;
// the first is the common name), valid from notBefore to notAfter.
func (ca *CA) Issue(notBefore, notAfter time.Time, hosts ...string) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testcert: %w", err)
	}
	tmpl := &x509.Certificate{NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for i, h := range hosts {
		if i == 0 {
			tmpl.Subject.CommonName = h
		}
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return issue(tmpl, &ca.Pair, key)
}

// loopbackHosts are the names a loopback server certificate covers.
var loopbackHosts = []string{"localhost", "127.0.0.1", "::1"}

// NewLoopback makes a CA named cn and a server certificate it issued for
// LoopbackHosts, both valid from an hour ago for a day.
func NewLoopback(cn string) (*CA, *Pair, error) {
	now := time.Now()
	ca, err := NewCA(cn, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return nil, nil, err
	}
	srv, err := ca.Issue(now.Add(-time.Hour), now.Add(24*time.Hour), loopbackHosts...)
	if err != nil {
		return nil, nil, err
	}
	return ca, srv, nil
}

// Loopback is NewLoopback failing tb on error.
func Loopback(tb testing.TB) (*CA, *Pair) {
	tb.Helper()
	ca, srv, err := NewLoopback("Gatehouse test CA")
	if err != nil {
		tb.Fatal(err)
	}
	return ca, srv
}

// issue signs tmpl for key's public half with parent (nil: self-signed)
// and returns the pair.
func issue(tmpl *x509.Certificate, parent *Pair, key crypto.Signer) (*Pair, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("testcert: %w", err)
	}
	tmpl.SerialNumber = serial
	signer, issuer := key, tmpl
	if parent != nil {
		signer, issuer = parent.Key, parent.Cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("testcert: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("testcert: %w", err)
	}
	return &Pair{Key: key, Cert: cert}, nil
}
