package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestVerifyEntraV2Token(t *testing.T) {
	now := time.Unix(1537231100, 0)
	key := testKey(t)
	p := unitProvider(t, now, publicJWKS(t, "i6lGk3FZzxRcUb2C3nEQ7syHJlY", "", &key.PublicKey))
	c, err := p.VerifyIDToken(context.Background(), sign(t, key, jose.RS256, "i6lGk3FZzxRcUb2C3nEQ7syHJlY", entraClaims(now, "n-1")), "n-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.ObjectID != "690222be-ff1a-4d56-abd1-7e4f7d38e474" || c.TenantID != unitTenant ||
		c.PreferredUsername != "abeli@microsoft.com" || c.Name != "Abe Lincoln" || c.Email != "" ||
		c.Subject != "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ" || c.Groups != nil || c.GroupsOverage {
		t.Errorf("claims: %+v", c)
	}
	if c.ExternalID() != c.ObjectID || c.String("ver") != "2.0" || c.String("nope") != "" {
		t.Errorf("ExternalID %q ver %q", c.ExternalID(), c.String("ver"))
	}
}

func TestVerifyChecksInOrder(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key := testKey(t)
	p := unitProvider(t, now, publicJWKS(t, "k1", "RS256", &key.PublicKey))
	good := func(edit func(map[string]any)) string {
		c := entraClaims(now, "n")
		edit(c)
		return sign(t, key, jose.RS256, "k1", c)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	enc := base64.RawURLEncoding
	cases := []struct {
		name  string
		token string
		nonce string
		want  Kind
	}{
		{"valid", good(func(map[string]any) {}), "n", ""},
		{"expiry within skew", good(func(c map[string]any) { c["exp"] = now.Add(-DefaultSkew + time.Second).Unix() }), "n", ""},
		{"expired beyond skew", good(func(c map[string]any) { c["exp"] = now.Add(-DefaultSkew).Unix() }), "n", KindExpired},
		{"no exp", good(func(c map[string]any) { delete(c, "exp") }), "n", KindMalformed},
		{"no iat", good(func(c map[string]any) { delete(c, "iat") }), "n", KindMalformed},
		{"exp as string", good(func(c map[string]any) { c["exp"] = "tomorrow" }), "n", KindMalformed},
		{"exp absurd", good(func(c map[string]any) { c["exp"] = 1e300 }), "n", KindMalformed},
		{"nbf in future", good(func(c map[string]any) { c["nbf"] = now.Add(DefaultSkew + time.Second).Unix() }), "n", KindNotYetValid},
		{"wrong tenant", good(func(c map[string]any) { c["tid"] = "9188040d-6c67-4c5b-b112-36a304b66dad" }), "n", KindTenant},
		{"tid not a string", good(func(c map[string]any) { c["tid"] = 7 }), "n", KindMalformed},
		{"issuer of another cloud", good(func(c map[string]any) {
			c["iss"] = "https://login.microsoftonline.us/" + unitTenant + "/v2.0"
		}), "n", KindIssuer},
		{"v1 issuer", good(func(c map[string]any) { c["iss"] = "https://sts.windows.net/" + unitTenant + "/" }), "n", KindIssuer},
		{"issuer with trailing slash", good(func(c map[string]any) { c["iss"] = unitIssuer + "/" }), "n", KindIssuer},
		{"aud list with us and azp us", good(func(c map[string]any) { c["aud"] = []any{unitClientID, "x"}; c["azp"] = unitClientID }), "n", ""},
		{"aud list without azp", good(func(c map[string]any) { c["aud"] = []any{unitClientID, "x"} }), "n", KindAudience},
		{"no aud", good(func(c map[string]any) { delete(c, "aud") }), "n", KindAudience},
		{"aud number", good(func(c map[string]any) { c["aud"] = 5 }), "n", KindMalformed},
		{"nonce mismatch", good(func(map[string]any) {}), "other", KindNonce},
		{"no sub", good(func(c map[string]any) { delete(c, "sub") }), "n", KindSubject},
		{"no oid at Entra", good(func(c map[string]any) { delete(c, "oid") }), "n", KindSubject},
		{"groups not strings", good(func(c map[string]any) { c["groups"] = []any{1, 2} }), "n", KindMalformed},
		{"two parts", "a.b", "n", KindMalformed},
		{"JWE", "a.b.c.d.e", "n", KindMalformed},
		{"header not base64", "!!!.e30.c2ln", "n", KindMalformed},
		{"header not JSON", enc.EncodeToString([]byte("nope")) + ".e30.c2ln", "n", KindMalformed},
		{"oversized", strings.Repeat("a", MaxIDTokenSize+1), "n", KindMalformed},
		{"crit header", enc.EncodeToString([]byte(`{"alg":"RS256","kid":"k1","crit":["exp"]}`)) + ".e30.c2ln", "n", KindMalformed},
		{"alg none", enc.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`)) + ".e30.", "n", KindAlgorithm},
		{"alg None", enc.EncodeToString([]byte(`{"alg":"None","kid":"k1"}`)) + ".e30.", "n", KindAlgorithm},
		{"alg HS256", enc.EncodeToString([]byte(`{"alg":"HS256","kid":"k1"}`)) + ".e30.c2ln", "n", KindAlgorithm},
		{"alg EdDSA", enc.EncodeToString([]byte(`{"alg":"EdDSA","kid":"k1"}`)) + ".e30.c2ln", "n", KindAlgorithm},
		{"empty signature", enc.EncodeToString([]byte(`{"alg":"RS256","kid":"k1"}`)) + ".e30.", "n", KindSignature},
		{"ES256 against an RSA key", sign(t, ecKey, jose.ES256, "k1", entraClaims(now, "n")), "n", KindAlgorithm},
		{"unknown kid", sign(t, key, jose.RS256, "k2", entraClaims(now, "n")), "n", KindUnknownKey},
		{"payload not an object", sign(t, key, jose.RS256, "k1", nil), "n", KindMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.VerifyIDToken(context.Background(), tc.token, tc.nonce)
			if KindOf(err) != tc.want {
				t.Fatalf("got %v, want kind %q", err, tc.want)
			}
			if tc.want != "" && !errors.Is(err, &Error{Kind: tc.want}) {
				t.Fatalf("errors.Is fails for %v", err)
			}
		})
	}
}

func TestTokenWithoutKidNeedsASingleKey(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key := testKey(t)
	p := unitProvider(t, now, publicJWKS(t, "", "", &key.PublicKey))
	if _, err := p.VerifyIDToken(context.Background(), sign(t, key, jose.RS256, "", entraClaims(now, "n")), "n"); err != nil {
		t.Fatalf("single key, no kid: %v", err)
	}
}

func TestParseJWKSKeepsOnlyUsableSigningKeys(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	good := testKey(t)
	doc := `{"keys":[
		{"kty":"oct","kid":"hmac","k":"c2VjcmV0"},
		{"kty":"RSA","kid":"enc","use":"enc","n":"` + b64(good.N.Bytes()) + `","e":"AQAB"},
		{"kty":"RSA","kid":"small","n":"` + b64(small.N.Bytes()) + `","e":"AQAB"},
		{"kty":"RSA","kid":"broken","n":"!!","e":"AQAB"},
		{"kty":"RSA","kid":"good","n":"` + b64(good.N.Bytes()) + `","e":"AQAB","issuer":"https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"kty":"RSA","kid":"good","n":"` + b64(small.N.Bytes()) + `","e":"AQAB"},
		{"kty":"EC","kid":"ec","crv":"P-384","x":"` + b64(ec.X.FillBytes(make([]byte, 48))) + `","y":"` + b64(ec.Y.FillBytes(make([]byte, 48))) + `"}
	]}`
	gen, err := parseJWKS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range gen.all {
		kids = append(kids, k.kid)
	}
	if strings.Join(kids, ",") != "good,ec" {
		t.Fatalf("kept %v, want good,ec", kids)
	}
	if _, err := parseJWKS([]byte(`{"keys":[{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}]}`)); KindOf(err) != KindKeys {
		t.Fatalf("only an HMAC key: %v", err)
	}
	if _, err := parseJWKS([]byte(`not json`)); KindOf(err) != KindKeys {
		t.Fatalf("not JSON: %v", err)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestCheckConfig(t *testing.T) {
	base := func() Config {
		return Config{Kind: KindAzure, Issuer: unitIssuer, TenantID: unitTenant, ClientID: "c", RedirectURL: "https://x/cb"}
	}
	cases := map[string]func(*Config){
		"unknown kind":          func(c *Config) { c.Kind = "facebook" },
		"http issuer":           func(c *Config) { c.Issuer = "http://login.example/" + unitTenant + "/v2.0" },
		"azure without tenant":  func(c *Config) { c.TenantID = "" },
		"tenant not in issuer":  func(c *Config) { c.TenantID = "9188040d-6c67-4c5b-b112-36a304b66dad" },
		"no client id":          func(c *Config) { c.ClientID = "" },
		"no redirect":           func(c *Config) { c.RedirectURL = "" },
		"skew too large":        func(c *Config) { c.Skew = time.Hour },
		"negative skew":         func(c *Config) { c.Skew = -time.Second },
		"issuer with a query":   func(c *Config) { c.Issuer += "?x=1" },
		"common as tenant text": func(c *Config) { c.TenantID = "common" },
	}
	for name, edit := range cases {
		cfg := base()
		edit(&cfg)
		if err := checkConfig(&cfg); KindOf(err) != KindConfig {
			t.Errorf("%s: %v, want a config error", name, err)
		}
	}
	cfg := base()
	cfg.Scopes = []string{"profile"}
	if err := checkConfig(&cfg); err != nil || cfg.Scopes[0] != "openid" || cfg.Skew != DefaultSkew {
		t.Fatalf("defaults: %v %v %v", err, cfg.Scopes, cfg.Skew)
	}
}

func TestEntraKeyIssuerMember(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key := testKey(t)
	jwks := func(issuer string) []byte {
		return []byte(`{"keys":[{"kty":"RSA","use":"sig","kid":"k1","e":"AQAB","n":"` + b64(key.N.Bytes()) + `","issuer":"` + issuer + `"}]}`)
	}
	raw := sign(t, key, jose.RS256, "k1", entraClaims(now, "n"))
	for issuer, want := range map[string]Kind{
		"https://login.microsoftonline.com/{tenantid}/v2.0":                           "",
		"https://login.microsoftonline.com/" + unitTenant + "/v2.0":                   "",
		"https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0": KindIssuer,
		"https://login.microsoftonline.us/{tenantid}/v2.0":                            KindIssuer,
	} {
		p := unitProvider(t, now, jwks(issuer))
		if _, err := p.VerifyIDToken(context.Background(), raw, "n"); KindOf(err) != want {
			t.Errorf("key issuer %s: %v, want kind %q", issuer, err, want)
		}
	}
}
