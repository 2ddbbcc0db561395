package saml

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noReplay accepts every assertion ID, so one response can be verified
// again and again.
type noReplay struct{}

func (noReplay) Remember(context.Context, string, time.Time) (bool, error) { return true, nil }

// BenchmarkParseResponse verifies one Entra-shaped, assertion-signed
// response from the seed corpus (pysaml2 output), the XML and signature
// share of a sign-in:
//
//	go test -run '^$' -bench BenchmarkParseResponse -count 5 ./internal/connector/saml
func BenchmarkParseResponse(b *testing.B) {
	cert, issued := fuzzTrust(b)
	raw, err := os.ReadFile(filepath.Join(fuzzSeedDir, "entra-assertion-signed"))
	if err != nil {
		b.Fatal(err)
	}
	var doc string
	if _, err := fmt.Sscanf(strings.TrimPrefix(string(raw), "go test fuzz v1\n"), "[]byte(%q)", &doc); err != nil {
		b.Fatal(err)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(doc))
	sp, err := New(testSPEntityID, testACSURL, certTrust(cert), noReplay{}, WithIdPInitiated(true))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sp.ParseResponse(ctx, encoded, nil, issued); err != nil {
			b.Fatal(err)
		}
	}
}
