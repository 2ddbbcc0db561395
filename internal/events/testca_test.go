package events

import (
	"crypto/x509"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testcert"
)

// testCA makes a CA and a server certificate for loopback signed by it,
// written as PEM files; it returns the files and a pool trusting the CA.
func testCA(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	ca, srv := testcert.Loopback(t)
	keyFile, certFile = srv.Files(t)
	return certFile, keyFile, ca.Pool()
}
