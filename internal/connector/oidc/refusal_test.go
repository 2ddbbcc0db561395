package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/connector/oidc"
	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
)

// exchangeForged runs a real sign-in for alice, has the provider answer the
// code redemption with the token forge builds from the claims it would have
// signed, and returns Exchange's verdict.
func exchangeForged(t *testing.T, p *peer, forge func(claims map[string]any) string) error {
	t.Helper()
	code, verifier, nonce := p.signIn(t, "alice")
	p.srv.NextIDToken(forge(p.srv.Claims(testClientID, "alice", nonce, time.Now())))
	c, err := p.prov.Exchange(context.Background(), code, verifier, nonce)
	if err == nil {
		t.Fatalf("forged token accepted: %+v", c)
	}
	return err
}

// signedWith returns a forge that edits the claims and signs them with the
// provider's own key, so only the claim checks stand in the way.
func signedWith(p *peer, t *testing.T, edit func(map[string]any)) func(map[string]any) string {
	return func(c map[string]any) string {
		edit(c)
		return oidctest.Sign(t, p.srv.SigningKey(), c)
	}
}

func wantKind(t *testing.T, err error, want *oidc.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v (kind %q), want kind %q", err, oidc.KindOf(err), want.Kind)
	}
	if strings.Contains(err.Error(), "eyJ") {
		t.Errorf("error echoes a token: %v", err)
	}
}

func TestForgedTokenAcceptedWhenClaimsAreRight(t *testing.T) {
	// The control for the refusals below: the same forging path with the
	// provider's key and untouched claims passes every check.
	p := startPeer(t)
	code, verifier, nonce := p.signIn(t, "alice")
	p.srv.NextIDToken(oidctest.Sign(t, p.srv.SigningKey(), p.srv.Claims(testClientID, "alice", nonce, time.Now())))
	if _, err := p.prov.Exchange(context.Background(), code, verifier, nonce); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
}

func TestRefuseWrongIssuer(t *testing.T) {
	p := startPeer(t)
	err := exchangeForged(t, p, signedWith(p, t, func(c map[string]any) {
		c["iss"] = "https://login.microsoftonline.com/" + p.srv.TenantID + "/v2.0"
	}))
	wantKind(t, err, oidc.ErrIssuer)
}

func TestRefuseWrongTenant(t *testing.T) {
	p := startPeer(t)
	err := exchangeForged(t, p, signedWith(p, t, func(c map[string]any) { c["tid"] = oidctest.NewGUID() }))
	wantKind(t, err, oidc.ErrTenant)
	err = exchangeForged(t, p, signedWith(p, t, func(c map[string]any) { delete(c, "tid") }))
	wantKind(t, err, oidc.ErrTenant)
}

func TestRefuseWrongAudience(t *testing.T) {
	p := startPeer(t)
	err := exchangeForged(t, p, signedWith(p, t, func(c map[string]any) { c["aud"] = "another-client" }))
	wantKind(t, err, oidc.ErrAudience)
	err = exchangeForged(t, p, signedWith(p, t, func(c map[string]any) {
		c["aud"] = []string{testClientID, "another-client"}
		c["azp"] = "another-client"
	}))
	wantKind(t, err, oidc.ErrAudience)
}

func TestRefuseExpired(t *testing.T) {
	p := startPeer(t)
	err := exchangeForged(t, p, signedWith(p, t, func(c map[string]any) {
		old := time.Now().Add(-time.Hour)
		c["iat"], c["nbf"], c["exp"] = old.Unix(), old.Unix(), time.Now().Add(-oidc.DefaultSkew-time.Second).Unix()
	}))
	wantKind(t, err, oidc.ErrExpired)
}

func TestRefuseNotYetValid(t *testing.T) {
	p := startPeer(t)
	err := exchangeForged(t, p, signedWith(p, t, func(c map[string]any) {
		c["nbf"] = time.Now().Add(oidc.DefaultSkew + time.Minute).Unix()
	}))
	wantKind(t, err, oidc.ErrNotYetValid)
	err = exchangeForged(t, p, signedWith(p, t, func(c map[string]any) {
		c["iat"] = time.Now().Add(oidc.DefaultSkew + time.Minute).Unix()
	}))
	wantKind(t, err, oidc.ErrNotYetValid)
}

func TestRefuseBadSignature(t *testing.T) {
	p := startPeer(t)
	// Signed by another key presented under the provider's kid.
	impostor := oidctest.NewKey(t)
	impostor.ID = p.srv.SigningKey().ID
	err := exchangeForged(t, p, func(c map[string]any) string { return oidctest.Sign(t, impostor, c) })
	wantKind(t, err, oidc.ErrSignature)
	// The provider's signature over other claims.
	err = exchangeForged(t, p, func(c map[string]any) string {
		genuine := oidctest.Sign(t, p.srv.SigningKey(), c)
		c["oid"] = "00000000-0000-4000-8000-000000000000"
		tampered := oidctest.Sign(t, impostor, c)
		parts, orig := strings.Split(tampered, "."), strings.Split(genuine, ".")
		return parts[0] + "." + parts[1] + "." + orig[2]
	})
	wantKind(t, err, oidc.ErrSignature)
}

func TestRefuseAlgNone(t *testing.T) {
	p := startPeer(t)
	err := exchangeForged(t, p, func(c map[string]any) string { return oidctest.Unsigned(t, p.srv.SigningKey().ID, c) })
	wantKind(t, err, oidc.ErrAlgorithm)
}

func TestRefuseHS256SignedWithPublicKey(t *testing.T) {
	p := startPeer(t)
	for i, form := range []string{"PEM", "DER"} {
		err := exchangeForged(t, p, func(c map[string]any) string {
			pemKeyed, derKeyed := oidctest.HS256WithPublicKey(t, p.srv.SigningKey(), c)
			return []string{pemKeyed, derKeyed}[i]
		})
		t.Logf("%s-keyed HS256: %v", form, err)
		wantKind(t, err, oidc.ErrAlgorithm)
	}
}

func TestRefuseMissingNonce(t *testing.T) {
	p := startPeer(t)
	err := exchangeForged(t, p, signedWith(p, t, func(c map[string]any) { delete(c, "nonce") }))
	wantKind(t, err, oidc.ErrNonce)
}

func TestRefuseWrongNonce(t *testing.T) {
	p := startPeer(t)
	// A real token from the provider, but for another sign-in's nonce.
	code, verifier, _ := p.signIn(t, "alice")
	_, err := p.prov.Exchange(context.Background(), code, verifier, oidc.NewNonce())
	wantKind(t, err, oidc.ErrNonce)
	// And a sign-in whose own nonce was lost.
	code, verifier, _ = p.signIn(t, "alice")
	_, err = p.prov.Exchange(context.Background(), code, verifier, "")
	wantKind(t, err, oidc.ErrNonce)
}

func TestRefuseWrongPKCEVerifier(t *testing.T) {
	p := startPeer(t)
	code, _, nonce := p.signIn(t, "alice")
	_, err := p.prov.Exchange(context.Background(), code, oidc.NewVerifier(), nonce)
	wantKind(t, err, oidc.ErrCode)
}

func TestProviderErrorOnCallback(t *testing.T) {
	p := startPeer(t)
	cb, err := p.srv.Abort(context.Background(), p.prov.AuthCodeURL(oidc.NewState(), oidc.NewNonce(), oidc.NewVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	err = oidc.CallbackError(cb.Query())
	wantKind(t, err, oidc.ErrProviderError)
	if !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("error does not name the provider's error: %v", err)
	}
}

func TestProviderErrorFromTokenEndpoint(t *testing.T) {
	p := startPeer(t)
	code, verifier, nonce := p.signIn(t, "alice")
	wrongSecret := p.connect(t, func(c *oidc.Config) { c.ClientSecret = "not-the-secret" })
	_, err := wrongSecret.Exchange(context.Background(), code, verifier, nonce)
	wantKind(t, err, oidc.ErrProviderError)
	if !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("error does not name the provider's error: %v", err)
	}
	if strings.Contains(err.Error(), "not-the-secret") {
		t.Errorf("error shows the secret: %v", err)
	}
}

// countingTransport counts requests for the JWKS.
type countingTransport struct{ jwks atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/jwks") {
		c.jwks.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// fakeClock is a settable time source.
type fakeClock struct{ now atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.now.Store(time.Now().UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

func TestRefuseUnknownKidWithRateLimitedRefresh(t *testing.T) {
	p := startPeer(t)
	counter := &countingTransport{}
	clock := newFakeClock()
	p.cache = oidc.NewCache()
	prov := p.connect(t, func(c *oidc.Config) {
		c.HTTPClient = &http.Client{Transport: counter, Timeout: 10 * time.Second}
		c.Clock = clock.Now
	})
	// A genuine sign-in reads the keys once.
	code, verifier, nonce := p.signIn(t, "alice")
	if _, err := prov.Exchange(context.Background(), code, verifier, nonce); err != nil {
		t.Fatal(err)
	}
	clock.Advance(oidc.KeysMinRefresh + time.Second)
	// A flood of tokens under kids nobody published, signed by a stranger.
	stranger := oidctest.NewKey(t)
	const flood = 200
	for i := range flood {
		stranger.ID = oidctest.NewGUID()
		raw := oidctest.Sign(t, stranger, p.srv.Claims(testClientID, "alice", "n", clock.Now()))
		_, err := prov.VerifyIDToken(context.Background(), raw, "n")
		if i == 0 || i == flood-1 {
			wantKind(t, err, oidc.ErrUnknownKey)
		}
	}
	if got := counter.jwks.Load(); got > 2 {
		t.Fatalf("%d unknown kids made %d JWKS reads; want at most 2 (the first sign-in and one refresh)", flood, got)
	}
	// After the interval, one more read is allowed, and no more.
	clock.Advance(oidc.KeysMinRefresh)
	for range 50 {
		stranger.ID = oidctest.NewGUID()
		_, _ = prov.VerifyIDToken(context.Background(), oidctest.Sign(t, stranger, p.srv.Claims(testClientID, "alice", "n", clock.Now())), "n")
	}
	if got := counter.jwks.Load(); got != 3 {
		t.Fatalf("JWKS reads after the next interval: %d, want 3", got)
	}
}

func TestKeyRotationIsPickedUp(t *testing.T) {
	p := startPeer(t)
	clock := newFakeClock()
	prov := p.connect(t, func(c *oidc.Config) { c.Clock = clock.Now })
	p.prov = prov
	code, verifier, nonce := p.signIn(t, "alice")
	if _, err := prov.Exchange(context.Background(), code, verifier, nonce); err != nil {
		t.Fatal(err)
	}
	old := p.srv.SigningKey()
	p.srv.RotateKeys(oidctest.NewKey(t), old)
	clock.Advance(oidc.KeysMinRefresh + time.Second)
	code, verifier, nonce = p.signIn(t, "alice")
	if _, err := prov.Exchange(context.Background(), code, verifier, nonce); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	// A token under the old key still verifies while the provider publishes it.
	raw := oidctest.Sign(t, old, p.srv.Claims(testClientID, "alice", "n", clock.Now()))
	if _, err := prov.VerifyIDToken(context.Background(), raw, "n"); err != nil {
		t.Fatalf("old key during rollover: %v", err)
	}
}

func TestRefuseAlgorithmOtherThanTheKeyIsPublishedFor(t *testing.T) {
	// The provider publishes its key for RS256; a PS256 signature by the
	// very same key is refused, so one algorithm cannot stand in for another.
	p := startPeer(t)
	err := exchangeForged(t, p, func(c map[string]any) string {
		return oidctest.SignAlg(t, p.srv.SigningKey(), jose.PS256, c)
	})
	wantKind(t, err, oidc.ErrAlgorithm)
}
