package oidc

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzVerifyIDToken feeds arbitrary tokens to the checks: they must refuse
// with one of this package's errors and never panic.
func FuzzVerifyIDToken(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	key := testKey(f)
	p := unitProvider(f, now, publicJWKS(f, "k1", "", &key.PublicKey))
	f.Add(sign(f, key, jose.RS256, "k1", entraClaims(now, "n")))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := p.VerifyIDToken(context.Background(), raw, "n")
		if err == nil && c == nil || err != nil && KindOf(err) == "" {
			t.Fatalf("claims %v, error %v without a kind", c, err)
		}
	})
}
