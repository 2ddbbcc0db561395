// Package fingerprint reads and writes SHA-256 certificate fingerprints in
// the spellings admins copy them in: as `openssl x509 -noout -sha256
// -fingerprint` prints them ("SHA256 Fingerprint=AB:CD:…"), or bare, with
// or without colons, in any case. The identity core validates a typed
// fingerprint with it and the SAML connector trusts certificates by it, so
// both accept exactly the same text.
package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed is returned for text that is not a SHA-256 fingerprint.
var ErrMalformed = errors.New("fingerprint: not a SHA-256 fingerprint")

// ParseSHA256 returns the 32 bytes a fingerprint spells.
func ParseSHA256(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '='); i >= 0 {
		label := strings.ToLower(strings.Join(strings.Fields(s[:i]), " "))
		if label != "sha256 fingerprint" && label != "sha-256 fingerprint" {
			return nil, fmt.Errorf("%w: the label %q is not SHA256", ErrMalformed, s[:i])
		}
		s = s[i+1:]
	}
	s = strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	fp, err := hex.DecodeString(s)
	if err != nil || len(fp) != sha256.Size {
		return nil, fmt.Errorf("%w: want 64 hex digits (colons allowed), got %d characters", ErrMalformed, len(s))
	}
	return fp, nil
}

// Format spells a fingerprint the way openssl prints it, without the label.
func Format(fp []byte) string {
	h := strings.ToUpper(hex.EncodeToString(fp))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}
