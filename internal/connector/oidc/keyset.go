package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/backoff"
)

// Limits on what a JWKS may be.
const (
	maxJWKSSize   = 1 << 20
	maxJWKSKeys   = 100
	minRSAKeyBits = 2048
)

// signingKey is one public key from the provider's JWKS, parsed once.
type signingKey struct {
	kid string
	key any    // *rsa.PublicKey or *ecdsa.PublicKey
	alg string // the JWK's alg member, when it names one
	// issuer is Entra's non-standard issuer member: the issuer the key may
	// sign for, possibly templated with {tenantid}.
	issuer string
}

// keySet caches the provider's signing keys by kid and reads the JWKS again
// when a token names a kid it does not hold, at most once per minRefresh.
type keySet struct {
	uri        string
	client     *http.Client
	minRefresh time.Duration
	maxAge     time.Duration

	keys atomic.Pointer[keyGeneration]

	mu          sync.Mutex // serialises reads of the JWKS
	lastAttempt time.Time
	// reads spaces out the reads of a JWKS that fails, starting at
	// minRefresh and doubling, as the discovery document's are.
	reads backoff.Gate
}

// keyGeneration is one read of the JWKS.
type keyGeneration struct {
	byKID   map[string]signingKey
	all     []signingKey
	fetched time.Time
}

func newKeySet(uri string, client *http.Client, minRefresh, maxAge time.Duration) *keySet {
	ks := &keySet{uri: uri, client: client, minRefresh: minRefresh, maxAge: maxAge}
	ks.reads.Schedule = backoff.Schedule{First: minRefresh, Max: max(minRefresh, backoff.Default().Max)}
	return ks
}

// lookup returns the key for kid (any key when kid is empty and the set
// holds exactly one), reading the JWKS again when kid is unknown or the set
// is older than maxAge, within the rate limit. now is the caller's clock.
func (ks *keySet) lookup(ctx context.Context, kid string, now time.Time) (signingKey, error) {
	gen := ks.keys.Load()
	if gen != nil && now.Sub(gen.fetched) < ks.maxAge {
		if k, ok := gen.find(kid); ok {
			return k, nil
		}
	}
	gen, err := ks.refresh(ctx, gen, now)
	if gen == nil {
		return signingKey{}, err
	}
	if k, ok := gen.find(kid); ok {
		return k, nil
	}
	if err != nil {
		return signingKey{}, &Error{Kind: KindUnknownKey, Detail: fmt.Sprintf("kid %q is not among the provider's keys and they could not be read again", kid), Err: err}
	}
	return signingKey{}, fail(KindUnknownKey, "kid %q is not among the provider's %d signing keys", kid, len(gen.all))
}

// find looks kid up; a token without kid is accepted only when the
// provider publishes a single key, so no key is tried blindly.
func (g *keyGeneration) find(kid string) (signingKey, bool) {
	if kid == "" {
		if len(g.all) == 1 {
			return g.all[0], true
		}
		return signingKey{}, false
	}
	k, ok := g.byKID[kid]
	return k, ok
}

// refresh reads the JWKS unless another caller read it since seen was
// loaded, or the last attempt is less than minRefresh ago. It returns the
// newest generation it has (possibly seen) and the read's error.
func (ks *keySet) refresh(ctx context.Context, seen *keyGeneration, now time.Time) (*keyGeneration, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if cur := ks.keys.Load(); cur != seen {
		return cur, nil
	}
	if !ks.lastAttempt.IsZero() && now.Sub(ks.lastAttempt) < ks.minRefresh {
		if seen == nil {
			return nil, fail(KindKeys, "the provider's keys could not be read at %s; retrying after %s", ks.uri, ks.minRefresh)
		}
		return seen, nil
	}
	var gen *keyGeneration
	err := ks.reads.Do("", now, func() error {
		ks.lastAttempt = now
		var err error
		gen, err = ks.fetch(ctx)
		return err
	})
	if err != nil {
		if seen == nil {
			return nil, err
		}
		return seen, err
	}
	gen.fetched = now
	ks.keys.Store(gen)
	return gen, nil
}

// fetch reads and parses the JWKS document.
func (ks *keySet) fetch(ctx context.Context) (*keyGeneration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.uri, nil)
	if err != nil {
		return nil, wrap(KindKeys, err, "bad jwks_uri %q", ks.uri)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, wrap(KindKeys, err, "reading the provider's keys at %s; check this server can reach it", ks.uri)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(KindKeys, "reading the provider's keys at %s answered HTTP %s", ks.uri, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return nil, wrap(KindKeys, err, "reading the provider's keys at %s", ks.uri)
	}
	if len(body) > maxJWKSSize {
		return nil, fail(KindKeys, "the provider's JWKS at %s is over %d bytes", ks.uri, maxJWKSSize)
	}
	return parseJWKS(body)
}

// parseJWKS keeps the public signature keys of a JWKS document and skips
// the rest: encryption keys, symmetric (oct) keys — an HMAC key must never
// verify a provider's token — weak RSA keys and keys this package cannot
// use. One unusable key does not spoil the others.
func parseJWKS(body []byte) (*keyGeneration, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, wrap(KindKeys, err, "the provider's JWKS is not JSON")
	}
	gen := &keyGeneration{byKID: map[string]signingKey{}}
	for i, raw := range doc.Keys {
		if i >= maxJWKSKeys {
			break
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		if jwk.Use != "" && jwk.Use != "sig" {
			continue
		}
		if !jwk.IsPublic() {
			continue // oct keys, or a private key published by mistake
		}
		switch pub := jwk.Key.(type) {
		case *rsa.PublicKey:
			if pub.N.BitLen() < minRSAKeyBits {
				continue
			}
		case *ecdsa.PublicKey:
			switch pub.Curve {
			case elliptic.P256(), elliptic.P384(), elliptic.P521():
			default:
				continue
			}
		default:
			continue
		}
		var extra struct {
			Issuer string `json:"issuer"`
		}
		_ = json.Unmarshal(raw, &extra) // it parsed as a JWK just above
		k := signingKey{kid: jwk.KeyID, key: jwk.Key, alg: jwk.Algorithm, issuer: extra.Issuer}
		if _, dup := gen.byKID[k.kid]; dup {
			continue // two keys with one kid: keep the first, never guess
		}
		gen.byKID[k.kid] = k
		gen.all = append(gen.all, k)
	}
	if len(gen.all) == 0 {
		return nil, fail(KindKeys, "the provider's JWKS holds no usable signing key (RSA of %d bits or more, or EC P-256/384/521)", minRSAKeyBits)
	}
	return gen, nil
}
