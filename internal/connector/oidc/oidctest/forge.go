package oidctest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Claims returns the claims the provider would put in an ID token for
// account, addressed to clientID with nonce, issued now and valid for an
// hour: the starting point of a forged token.
func (s *Server) Claims(clientID, account, nonce string, now time.Time) map[string]any {
	a := s.opts.Accounts[account]
	sub := a.Sub
	if sub == "" {
		sub = account
	}
	c := map[string]any{
		"iss": s.Issuer, "aud": clientID, "sub": sub, "tid": s.TenantID, "ver": "2.0",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": nonce,
	}
	for k, v := range map[string]string{
		"oid": a.OID, "preferred_username": a.PreferredUsername, "upn": a.UPN, "email": a.Email,
		"name": a.Name, "given_name": a.GivenName, "family_name": a.FamilyName,
	} {
		if v != "" {
			c[k] = v
		}
	}
	if a.Groups != nil {
		c["groups"] = a.Groups
	}
	return c
}

// Sign signs claims with key under RS256, naming key's kid: a token the
// provider could have issued (or, with wrong claims, a forgery only our
// claim checks can catch).
func Sign(t testing.TB, key *Key, claims map[string]any) string {
	t.Helper()
	return SignAlg(t, key, jose.RS256, claims)
}

// SignAlg signs claims with key under an RSA algorithm (RS* or PS*).
func SignAlg(t testing.TB, key *Key, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key.Private, KeyID: key.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
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

// Unsigned builds a token with alg none and an empty signature.
func Unsigned(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	return compact(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims, func([]byte) []byte { return nil })
}

// HS256WithPublicKey builds the classic key-confusion forgery: HMAC-SHA256
// keyed with the provider's public key, in PEM and DER forms (libraries that
// fall for it use one or the other), under the provider's kid.
func HS256WithPublicKey(t testing.TB, key *Key, claims map[string]any) (pemKeyed, derKeyed string) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.Private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	header := map[string]any{"alg": "HS256", "typ": "JWT", "kid": key.ID}
	mac := func(secret []byte) func([]byte) []byte {
		return func(input []byte) []byte {
			h := hmac.New(sha256.New, secret)
			h.Write(input)
			return h.Sum(nil)
		}
	}
	return compact(t, header, claims, mac(pemBytes)), compact(t, header, claims, mac(der))
}

// compact assembles header.payload.signature with sign over the first two.
func compact(t testing.TB, header, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	return input + "." + enc.EncodeToString(sign([]byte(input)))
}
