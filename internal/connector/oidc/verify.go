package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MaxIDTokenSize bounds an ID token before any parsing. Entra's tokens with
// 200 group GUIDs are about 10 KiB.
const MaxIDTokenSize = 64 << 10

// allowedAlgorithms is the signature allow-list: RSA and ECDSA only. none
// is never accepted, nor HMAC, whose key an attacker could take from the
// provider's public JWKS.
var allowedAlgorithms = map[string]jose.SignatureAlgorithm{
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
}

// VerifyIDToken checks an ID token in a fixed order and returns its claims:
// size and shape; the header's alg against the allow-list; the signature by
// the provider's JWKS key named by kid (unknown kids read the JWKS again,
// rate limited); iss exactly the configured issuer; for Entra, tid the
// configured tenant; aud containing our client id (and azp, when present,
// our client id); exp, nbf and iat within the skew; nonce the one this
// sign-in sent; and a subject to sign in.
func (p *Provider) VerifyIDToken(ctx context.Context, raw, nonce string) (*Claims, error) {
	payload, key, err := p.verifySignature(ctx, raw)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims == nil {
		return nil, wrap(KindMalformed, err, "the ID token's payload is not a JSON object")
	}
	if err := p.checkClaims(claims, nonce); err != nil {
		return nil, err
	}
	if err := p.checkKeyIssuer(key, claims); err != nil {
		return nil, err
	}
	return mapClaims(claims, p.cfg.Kind)
}

// jwtHeader is the part of a JOSE header we look at before verifying.
type jwtHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// verifySignature returns the payload of raw and the key that signed it,
// once its signature verifies with one of the provider's keys under an
// allowed algorithm.
func (p *Provider) verifySignature(ctx context.Context, raw string) ([]byte, signingKey, error) {
	if len(raw) > MaxIDTokenSize {
		return nil, signingKey{}, fail(KindMalformed, "the ID token is %d bytes, over the %d-byte limit", len(raw), MaxIDTokenSize)
	}
	parts := strings.Split(raw, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, signingKey{}, fail(KindMalformed, "the ID token is encrypted (JWE); turn token encryption off for this application")
	default:
		return nil, signingKey{}, fail(KindMalformed, "the ID token is not a compact JWT (%d parts)", len(parts))
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, signingKey{}, wrap(KindMalformed, err, "the ID token's header is not base64url")
	}
	var h jwtHeader
	if err := json.Unmarshal(headerJSON, &h); err != nil {
		return nil, signingKey{}, wrap(KindMalformed, err, "the ID token's header is not JSON")
	}
	alg, ok := allowedAlgorithms[h.Alg]
	if !ok {
		return nil, signingKey{}, fail(KindAlgorithm, "alg %q is not accepted (only RS*, PS* and ES*; never none or HMAC)", h.Alg)
	}
	if len(h.Crit) > 0 {
		return nil, signingKey{}, fail(KindMalformed, "the ID token's header names critical extensions we do not understand")
	}
	if parts[2] == "" {
		return nil, signingKey{}, fail(KindSignature, "the ID token carries no signature")
	}
	key, err := p.keys.lookup(ctx, h.Kid, p.now())
	if err != nil {
		return nil, signingKey{}, err
	}
	if err := keyFits(key, h.Alg); err != nil {
		return nil, signingKey{}, err
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, signingKey{}, wrap(KindMalformed, err, "the ID token is not a valid JWS")
	}
	payload, err := jws.Verify(key.key)
	if err != nil {
		return nil, signingKey{}, fail(KindSignature, "the ID token's signature does not verify with the provider's key %q", key.kid)
	}
	return payload, key, nil
}

// keyFits refuses a key of the wrong type or curve for alg, or one whose
// JWK pins another algorithm.
func keyFits(k signingKey, alg string) error {
	if k.alg != "" && k.alg != alg {
		return fail(KindAlgorithm, "alg %q does not match key %q, published for %s", alg, k.kid, k.alg)
	}
	switch pub := k.key.(type) {
	case *rsa.PublicKey:
		if alg[0] == 'R' || alg[0] == 'P' {
			return nil
		}
	case *ecdsa.PublicKey:
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		if want != nil && pub.Curve == want {
			return nil
		}
	}
	return fail(KindAlgorithm, "alg %q cannot be used with key %q", alg, k.kid)
}

// checkClaims applies the claim checks in the order VerifyIDToken documents.
func (p *Provider) checkClaims(c map[string]any, nonce string) error {
	iss, err := stringClaim(c, "iss")
	if err != nil {
		return err
	}
	if p.cfg.Kind == KindAzure {
		tid, err := stringClaim(c, "tid")
		if err != nil {
			return err
		}
		if !strings.EqualFold(tid, p.cfg.TenantID) {
			return fail(KindTenant, "the token comes from tenant %q, not the configured tenant %q", clean(tid, 64), p.cfg.TenantID)
		}
	}
	if iss != p.issuer {
		return fail(KindIssuer, "iss is %q, expected exactly %q", clean(iss, 200), p.issuer)
	}
	if err := p.checkAudience(c); err != nil {
		return err
	}
	if err := p.checkTimes(c); err != nil {
		return err
	}
	got, err := stringClaim(c, "nonce")
	if err != nil {
		return err
	}
	if nonce == "" || got == "" {
		return fail(KindNonce, "the ID token or the sign-in carries no nonce")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return fail(KindNonce, "the ID token's nonce is not the one this sign-in sent")
	}
	return nil
}

// checkKeyIssuer applies Entra's rule for keys that name their issuer:
// the key's issuer, with {tenantid} replaced by the configured tenant, must
// be the token's iss, so a key published for another tenant (or for
// personal Microsoft accounts) never signs for ours.
func (p *Provider) checkKeyIssuer(k signingKey, c map[string]any) error {
	if k.issuer == "" {
		return nil
	}
	want := k.issuer
	if i := strings.Index(strings.ToLower(want), "{tenantid}"); i >= 0 {
		want = want[:i] + p.cfg.TenantID + want[i+len("{tenantid}"):]
	}
	if iss, _ := c["iss"].(string); iss != want {
		return fail(KindIssuer, "key %q signs only for issuer %q, not %q", k.kid, clean(k.issuer, 200), clean(iss, 200))
	}
	return nil
}

// checkAudience requires our client id among aud and, when azp is present
// (or there are several audiences), azp equal to our client id.
func (p *Provider) checkAudience(c map[string]any) error {
	var auds []string
	switch v := c["aud"].(type) {
	case string:
		auds = []string{v}
	case []any:
		for _, a := range v {
			s, ok := a.(string)
			if !ok {
				return fail(KindMalformed, "aud holds a non-string value")
			}
			auds = append(auds, s)
		}
	case nil:
		return fail(KindAudience, "the ID token has no aud")
	default:
		return fail(KindMalformed, "aud is neither a string nor a list")
	}
	found := false
	for _, a := range auds {
		if a == p.cfg.ClientID {
			found = true
		}
	}
	if !found {
		return fail(KindAudience, "aud %q does not name our client id %q", clean(strings.Join(auds, ","), 200), p.cfg.ClientID)
	}
	azp, err := stringClaim(c, "azp")
	if err != nil {
		return err
	}
	if azp != "" && azp != p.cfg.ClientID || azp == "" && len(auds) > 1 {
		return fail(KindAudience, "azp %q is not our client id %q", clean(azp, 200), p.cfg.ClientID)
	}
	return nil
}

// checkTimes requires exp and iat and applies the skew to exp, nbf and iat.
func (p *Provider) checkTimes(c map[string]any) error {
	now := p.now()
	exp, ok, err := timeClaim(c, "exp")
	if err != nil {
		return err
	}
	if !ok {
		return fail(KindMalformed, "the ID token has no exp")
	}
	if !now.Before(exp.Add(p.skew)) {
		return fail(KindExpired, "the ID token expired at %s (now %s, skew %s)", exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), p.skew)
	}
	iat, ok, err := timeClaim(c, "iat")
	if err != nil {
		return err
	}
	if !ok {
		return fail(KindMalformed, "the ID token has no iat")
	}
	if iat.After(now.Add(p.skew)) {
		return fail(KindNotYetValid, "the ID token was issued at %s, in the future (now %s): check both clocks", iat.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	nbf, ok, err := timeClaim(c, "nbf")
	if err != nil {
		return err
	}
	if ok && nbf.After(now.Add(p.skew)) {
		return fail(KindNotYetValid, "the ID token is valid only from %s (now %s): check both clocks", nbf.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// stringClaim returns claim name as a string, "" when absent, and a
// KindMalformed error when it has another type.
func stringClaim(c map[string]any, name string) (string, error) {
	switch v := c[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fail(KindMalformed, "claim %s is not a string", name)
	}
}

// timeClaim returns a NumericDate claim; ok is false when it is absent.
func timeClaim(c map[string]any, name string) (t time.Time, ok bool, err error) {
	switch v := c[name].(type) {
	case nil:
		return time.Time{}, false, nil
	case float64:
		if v < 0 || v > 1e11 {
			return time.Time{}, false, fail(KindMalformed, "claim %s (%v) is out of range", name, v)
		}
		sec := int64(v)
		return time.Unix(sec, int64((v-float64(sec))*1e9)), true, nil
	default:
		return time.Time{}, false, fail(KindMalformed, "claim %s is not a number", name)
	}
}

// clean trims s to max bytes and drops control characters, so a value from
// a token or an error response is safe to put in an event or a log line.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
