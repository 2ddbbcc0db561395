package oidc

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkVerifyIDToken measures the whole check of an Entra-sized RS256 ID
// token with the keys cached: header, one RSA-2048 verify, claims, mapping.
func BenchmarkVerifyIDToken(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	key := testKey(b)
	p := unitProvider(b, now, publicJWKS(b, "k1", "RS256", &key.PublicKey))
	claims := entraClaims(now, "n")
	claims["groups"] = []string{"4c1b3a2e-0d5f-4e8a-9b7c-6d5e4f3a2b1c", "5d2c4b3f-1e6a-4f9b-8c7d-7e6f5a4b3c2d"}
	raw := sign(b, key, jose.RS256, "k1", claims)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.VerifyIDToken(ctx, raw, "n"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyIDTokenParallel is the same check on every core at once.
func BenchmarkVerifyIDTokenParallel(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	key := testKey(b)
	p := unitProvider(b, now, publicJWKS(b, "k1", "RS256", &key.PublicKey))
	raw := sign(b, key, jose.RS256, "k1", entraClaims(now, "n"))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.VerifyIDToken(ctx, raw, "n"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
