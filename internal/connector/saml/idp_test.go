package saml

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/saml/samltest"
	"github.com/gatehouse/gatehouse/internal/testcert"
)

// This file runs a real SAML identity provider — pysaml2 with xmlsec1,
// testdata/idp.py — so the responses the tests verify were signed by code
// nobody here wrote.

const (
	testIdPEntityID = "https://idp.example.org/idp/metadata"
	testIdPSSOURL   = "https://idp.example.org/idp/sso"
	testSPEntityID  = "https://app.example.com/saml/metadata/entra"
	testACSURL      = "https://app.example.com/saml/consume/entra"
)

// requirePeer skips or fails the test when the IdP peer is missing.
func requirePeer(t *testing.T) { samltest.RequirePeer(t) }

// keyPair is an RSA key with a self-signed certificate.
type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func newKeyPair(t *testing.T, cn string, notBefore, notAfter time.Time) keyPair {
	t.Helper()
	p, err := testcert.NewSigner(cn, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{key: p.RSA(), cert: p.Cert}
}

// writePEM writes the pair as key.pem and cert.pem under dir.
func (kp keyPair) writePEM(t *testing.T, dir string) (keyFile, certFile string) {
	t.Helper()
	keyFile, certFile, err := (&testcert.Pair{Key: kp.key, Cert: kp.cert}).WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return keyFile, certFile
}

// Shared key pairs: RSA generation is the slow part of these tests.
var (
	keysOnce              sync.Once
	idpKeys, idpKeysOther keyPair
	spKeys                keyPair
)

func testKeys(t *testing.T) (idp, other, sp keyPair) {
	keysOnce.Do(func() {
		now := time.Now()
		idpKeys = newKeyPair(t, "Test IdP Signing", now.Add(-48*time.Hour), now.AddDate(3, 0, 0))
		idpKeysOther = newKeyPair(t, "Another IdP", now.Add(-48*time.Hour), now.AddDate(3, 0, 0))
		spKeys = newKeyPair(t, "Gatehouse SP", now.Add(-48*time.Hour), now.AddDate(1, 0, 0))
	})
	return idpKeys, idpKeysOther, spKeys
}

// testIdP is one pysaml2 identity provider with its own temp directory.
type testIdP struct {
	t          *testing.T
	dir        string
	keyFile    string
	certFile   string
	spMetadata string
	signer     keyPair
}

// startIdP prepares an IdP that signs with signer and knows sp's metadata.
func startIdP(t *testing.T, signer keyPair, sp *ServiceProvider) *testIdP {
	t.Helper()
	requirePeer(t)
	dir := t.TempDir()
	idp := &testIdP{t: t, dir: dir, signer: signer}
	idp.keyFile, idp.certFile = signer.writePEM(t, dir)
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp.spMetadata = filepath.Join(dir, "sp.xml")
	if err := os.WriteFile(idp.spMetadata, md, 0o600); err != nil {
		t.Fatal(err)
	}
	return idp
}

// issue describes one response the IdP should produce.
type issue struct {
	InResponseTo  string
	NameID        string
	NameIDFormat  string
	Attributes    map[string][]string
	SignAssertion bool
	SignResponse  bool
	Encrypt       bool
	SHA1          bool
	Destination   string // default testACSURL
	SAMLRequest   string // answer this AuthnRequest (HTTP-Redirect query value)
	SPEntityID    string // default testSPEntityID
}

func (idp *testIdP) run(cfg map[string]any) []byte {
	idp.t.Helper()
	cfg["entity_id"] = testIdPEntityID
	cfg["sso_url"] = testIdPSSOURL
	cfg["key"], cfg["cert"], cfg["sp_metadata"] = idp.keyFile, idp.certFile, idp.spMetadata
	return samltest.Run(idp.t, idp.dir, cfg)
}

// ParseRequest returns how pysaml2 reads our AuthnRequest.
func (idp *testIdP) ParseRequest(samlRequest string) map[string]any {
	idp.t.Helper()
	out := idp.run(map[string]any{"mode": "parse_request", "saml_request": samlRequest})
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		idp.t.Fatalf("parse_request output %q: %v", out, err)
	}
	return m
}

// Metadata returns the IdP's metadata as pysaml2 publishes it.
func (idp *testIdP) Metadata() []byte {
	return idp.run(map[string]any{"mode": "metadata"})
}

// Response returns a base64 SAMLResponse.
func (idp *testIdP) Response(is issue) string {
	cfg := map[string]any{
		"mode":           "response",
		"sp_entity_id":   or(is.SPEntityID, testSPEntityID),
		"destination":    or(is.Destination, testACSURL),
		"name_id":        or(is.NameID, "alice@example.com"),
		"name_id_format": or(is.NameIDFormat, NameIDFormatEmailAddress),
		"attributes":     is.Attributes,
		"sign_assertion": is.SignAssertion,
		"sign_response":  is.SignResponse,
		"encrypt":        is.Encrypt,
	}
	if is.SAMLRequest != "" {
		cfg["saml_request"] = is.SAMLRequest
	}
	if is.Attributes == nil {
		cfg["attributes"] = map[string][]string{}
	}
	if is.InResponseTo != "" {
		cfg["in_response_to"] = is.InResponseTo
	}
	cfg["sign_alg"], cfg["digest_alg"] = algRSASHA256, digestSHA256
	if is.SHA1 {
		cfg["sign_alg"], cfg["digest_alg"] = algRSASHA1, digestSHA1
	}
	return string(idp.run(cfg))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// memoryReplayCache is the in-memory ReplayCache for tests.
type memoryReplayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (c *memoryReplayCache) Remember(_ context.Context, id string, until time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	if _, ok := c.seen[id]; ok {
		return false, nil
	}
	c.seen[id] = until
	return true, nil
}

// memoryTracker is the in-memory RequestTracker for tests.
type memoryTracker struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (m *memoryTracker) Consume(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ok := m.ids[id]
	delete(m.ids, id)
	return ok, nil
}
