package saml

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The seed corpus of FuzzParseResponse is real pysaml2 output signed by a
// throwaway key whose certificate is testdata/fuzz-idp-cert.pem; the
// responses verify at the instant in testdata/fuzz-issued.txt, which the
// fuzz target uses as its clock. GATEHOUSE_WRITE_FUZZ_SEEDS=1 go test -run
// TestWriteFuzzSeeds regenerates all three.
const (
	fuzzCertFile   = "testdata/fuzz-idp-cert.pem"
	fuzzIssuedFile = "testdata/fuzz-issued.txt"
	fuzzSeedDir    = "testdata/fuzz/FuzzParseResponse"
)

// FuzzParseResponse feeds arbitrary XML (base64-encoded, as the ACS
// receives it) and arbitrary raw form values to ParseResponse. It must
// never panic, every refusal must carry a Kind, and anything it accepts
// must be the signed identity of a seed.
func FuzzParseResponse(f *testing.F) {
	cert, issued := fuzzTrust(f)
	for _, garbage := range []string{"", "<", "<?xml version=\"1.0\"?>", "\x00\xff\xfe",
		`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/></samlp:Response>`,
		strings.Repeat("<a>", 10000)} {
		f.Add([]byte(garbage))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, input := range []string{base64.StdEncoding.EncodeToString(doc), string(doc)} {
			sp, err := New(testSPEntityID, testACSURL, certTrust(cert), &memoryReplayCache{}, WithIdPInitiated(true))
			if err != nil {
				t.Fatal(err)
			}
			a, err := sp.ParseResponse(context.Background(), input, []string{"id-fuzz-request"}, issued)
			if err != nil {
				if KindOf(err) == "" {
					t.Fatalf("refusal without a kind: %v", err)
				}
				continue
			}
			if a.Issuer != testIdPEntityID || a.NameID != "alice@example.com" || (!a.AssertionSigned && !a.ResponseSigned) {
				t.Fatalf("accepted something other than a seed's signed identity: %+v", a)
			}
		}
	})
}

// fuzzTrust reads the seed signer's certificate and signing instant.
func fuzzTrust(tb testing.TB) (*x509.Certificate, time.Time) {
	tb.Helper()
	certPEM, err := os.ReadFile(fuzzCertFile)
	if err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		tb.Fatalf("%s holds no PEM block", fuzzCertFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	when, err := os.ReadFile(fuzzIssuedFile)
	if err != nil {
		tb.Fatal(err)
	}
	issued, err := time.Parse(time.RFC3339, strings.TrimSpace(string(when)))
	if err != nil {
		tb.Fatal(err)
	}
	return cert, issued
}

// TestWriteFuzzSeeds regenerates the seed corpus from pysaml2 when
// GATEHOUSE_WRITE_FUZZ_SEEDS=1, and otherwise checks that every seed file
// that is a signed response still verifies, so the corpus keeps reaching
// the signature code.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("GATEHOUSE_WRITE_FUZZ_SEEDS") != "1" {
		checkFuzzSeeds(t)
		return
	}
	issued := time.Now().UTC().Truncate(time.Second)
	signer := newKeyPair(t, "Fuzz IdP", issued.AddDate(0, 0, -1), issued.AddDate(20, 0, 0))
	sp := newTestSP(t, certTrust(signer.cert))
	idp := startIdP(t, signer, sp)
	seeds := map[string]issue{
		"entra-assertion-signed": {SignAssertion: true, Attributes: entraAttributes},
		"response-signed":        {SignResponse: true, InResponseTo: "id-fuzz-request"},
		"both-signed":            {SignResponse: true, SignAssertion: true, Attributes: map[string][]string{ClaimEmailAddress: {"alice@example.com"}}},
		"sha1-assertion-signed":  {SignAssertion: true, SHA1: true},
	}
	if err := os.MkdirAll(fuzzSeedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, is := range seeds {
		raw, err := base64.StdEncoding.DecodeString(idp.Response(is))
		if err != nil {
			t.Fatal(err)
		}
		corpus := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", raw)
		if err := os.WriteFile(filepath.Join(fuzzSeedDir, name), []byte(corpus), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signer.cert.Raw})
	if err := os.WriteFile(fuzzCertFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fuzzIssuedFile, []byte(issued.Format(time.RFC3339)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkFuzzSeeds(t)
}

// checkFuzzSeeds verifies the signed seeds at the recorded instant.
func checkFuzzSeeds(t *testing.T) {
	cert, issued := fuzzTrust(t)
	accepted := 0
	for _, name := range []string{"entra-assertion-signed", "response-signed", "both-signed"} {
		b, err := os.ReadFile(filepath.Join(fuzzSeedDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var raw string
		if _, err := fmt.Sscanf(strings.TrimPrefix(string(b), "go test fuzz v1\n"), "[]byte(%q)", &raw); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sp, err := New(testSPEntityID, testACSURL, certTrust(cert), &memoryReplayCache{}, WithIdPInitiated(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sp.ParseResponse(context.Background(), base64.StdEncoding.EncodeToString([]byte(raw)), []string{"id-fuzz-request"}, issued); err != nil {
			t.Errorf("seed %s no longer verifies: %v", name, err)
			continue
		}
		accepted++
	}
	if accepted != 3 {
		t.Fatalf("%d of 3 signed seeds verify", accepted)
	}
}
