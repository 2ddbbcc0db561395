package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// These helpers build a Provider whose key set is already loaded, for unit
// tests of the checks themselves and the verification benchmark; the tests
// against the real provider are in flow_test.go and refusal_test.go.

const (
	unitTenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	unitIssuer   = "https://login.microsoftonline.com/" + unitTenant + "/v2.0"
	unitClientID = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
)

var (
	unitKeyOnce sync.Once
	unitKey     *rsa.PrivateKey
)

// testKey is one RSA key shared by the unit tests (generating one is slow).
func testKey(t testing.TB) *rsa.PrivateKey {
	unitKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		unitKey = k
	})
	return unitKey
}

// unitProvider returns an azure Provider trusting jwks (a JWKS document)
// with its clock at now.
func unitProvider(t testing.TB, now time.Time, jwks []byte) *Provider {
	t.Helper()
	gen, err := parseJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	gen.fetched = now
	ks := newKeySet("https://keys.invalid/", nil, KeysMinRefresh, KeysMaxAge)
	ks.keys.Store(gen)
	ks.lastAttempt = now
	cfg := Config{Kind: KindAzure, Issuer: unitIssuer, TenantID: unitTenant, ClientID: unitClientID,
		RedirectURL: "https://files.example.test/login_from_oauth?provider=azure", Clock: func() time.Time { return now }}
	if err := checkConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	return &Provider{cfg: cfg, issuer: cfg.Issuer, keys: ks, client: cfg.HTTPClient, now: cfg.Clock, skew: cfg.Skew}
}

// publicJWKS publishes key under kid (and alg when not empty).
func publicJWKS(t testing.TB, kid, alg string, key any) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entraClaims is the v2.0 ID token claim set from Microsoft's documentation
// (access-tokens.md sample, with a nonce), valid at now.
func entraClaims(now time.Time, nonce string) map[string]any {
	return map[string]any{
		"aud": unitClientID, "iss": unitIssuer,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"aio":  "AXQAi/8IAAAAtAaZLo3ChMif6KOnttRB7eBq4/DccQzjcJGxPYy/C3jDaNGxXd6wNIIVGRghNRnwJ1lOcAnNZcjvkoyrFxCttv33140RioOFJ4bCCGVuoCag1uOTT22222gHwLPYQ/uf79QX+0KIijdrmp69RctzmQ==",
		"name": "Abe Lincoln", "nonce": nonce,
		"oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": "abeli@microsoft.com",
		"rh": "I", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
		"tid": unitTenant, "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
	}
}

// sign signs claims under alg with key named kid.
func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
