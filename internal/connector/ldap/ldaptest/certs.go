package ldaptest

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gatehouse/gatehouse/internal/testcert"
)

// certificates are the CA a test trusts and the server certificate it
// issued for 127.0.0.1 and localhost.
type certificates struct {
	caPEM     []byte
	caCert    *x509.Certificate
	serverPEM []byte
	keyPEM    []byte
}

func newCertificates() (*certificates, error) {
	ca, srv, err := testcert.NewLoopback("Gatehouse test directory CA")
	if err != nil {
		return nil, fmt.Errorf("ldaptest: %w", err)
	}
	return &certificates{caPEM: ca.CertPEM(), caCert: ca.Cert, serverPEM: srv.CertPEM(), keyPEM: srv.KeyPEM()}, nil
}

// write stores the files slapd reads.
func (c *certificates) write(dir string) error {
	for name, data := range map[string][]byte{"ca.pem": c.caPEM, "server.pem": c.serverPEM, "server.key": c.keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return fmt.Errorf("ldaptest: write %s: %w", name, err)
		}
	}
	return nil
}
