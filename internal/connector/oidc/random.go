package oidc

import (
	"crypto/rand"
	"encoding/base64"

	"golang.org/x/oauth2"
)

// NewVerifier returns a fresh PKCE code verifier: 32 random bytes, 43
// characters, as RFC 7636 asks.
func NewVerifier() string { return oauth2.GenerateVerifier() }

// NewState returns a random value for the state parameter: 32 bytes from
// crypto/rand, base64url without padding.
func NewState() string { return randomToken() }

// NewNonce returns a random value for the nonce parameter, as NewState.
func NewNonce() string { return randomToken() }

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
