package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TokenEndpoint is a small in-process OpenID provider shaped like one
// Entra tenant (issuer /{tenant}/v2.0): discovery, keys, and a token
// endpoint that answers each code once with the ID token a test put
// there. It serves unit tests of our own claim mapping and the sign-in
// benchmarks, which must not measure a Node.js process; the protocol
// itself is tested against the real provider (Start).
type TokenEndpoint struct {
	srv    *httptest.Server
	Tenant string
	key    *rsa.PrivateKey
	signer jose.Signer

	mu     sync.Mutex
	tokens map[string]string // code -> id_token
}

// NewTokenEndpoint starts a TokenEndpoint for tenant on loopback; it stops
// when the test ends.
func NewTokenEndpoint(t testing.TB, tenant string) *TokenEndpoint {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1", Algorithm: "RS256"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	e := &TokenEndpoint{Tenant: tenant, key: key, signer: signer, tokens: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /"+tenant+"/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeTokenJSON(w, map[string]any{
			"issuer":                                e.Issuer(),
			"authorization_endpoint":                e.srv.URL + "/" + tenant + "/oauth2/v2.0/authorize",
			"token_endpoint":                        e.srv.URL + "/" + tenant + "/oauth2/v2.0/token",
			"jwks_uri":                              e.srv.URL + "/" + tenant + "/discovery/v2.0/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"pairwise"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		})
	})
	mux.HandleFunc("GET /"+tenant+"/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		writeTokenJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /"+tenant+"/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		e.mu.Lock()
		tok, ok := e.tokens[r.PostForm.Get("code")]
		delete(e.tokens, r.PostForm.Get("code"))
		e.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"unknown or used code"}`))
			return
		}
		writeTokenJSON(w, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": tok})
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// Issuer is the tenant's issuer, as Entra's v2.0 tokens carry it.
func (e *TokenEndpoint) Issuer() string { return e.srv.URL + "/" + e.Tenant + "/v2.0" }

// Authority is the provider's oidc_authority setting.
func (e *TokenEndpoint) Authority() string { return e.srv.URL + "/" + e.Tenant }

// Person is who a signed token names.
type Person struct {
	OID, Username, Email, Given, Family string
	Groups                              []string
	Overage                             bool
}

// Sign makes an Entra-shaped ID token for clientID and nonce.
func (e *TokenEndpoint) Sign(t testing.TB, clientID, nonce string, now time.Time, p Person) string {
	t.Helper()
	claims := map[string]any{
		"iss": e.Issuer(), "aud": clientID, "sub": "pairwise-" + p.OID, "oid": p.OID, "tid": e.Tenant,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": nonce,
		"preferred_username": p.Username, "email": p.Email, "given_name": p.Given, "family_name": p.Family, "ver": "2.0",
	}
	if len(p.Groups) > 0 {
		claims["groups"] = p.Groups
	}
	if p.Overage {
		claims["_claim_names"] = map[string]any{"groups": "src1"}
		claims["_claim_sources"] = map[string]any{"src1": map[string]any{"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}
	}
	raw, err := jwt.Signed(e.signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Expect makes the token endpoint answer code with token, once.
func (e *TokenEndpoint) Expect(code, token string) {
	e.mu.Lock()
	e.tokens[code] = token
	e.mu.Unlock()
}

func writeTokenJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
