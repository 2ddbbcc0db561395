package secret

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// DeriveKey derives a key for one purpose (for example
// "gatehouse presigned transfer URLs v1") from the master key with
// HKDF-SHA256. Each purpose gets its own key, so a value one feature signs
// or encrypts is worthless to every other, and none of them ever holds the
// master key itself.
func DeriveKey(master []byte, purpose string) ([]byte, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(master))
	}
	return hkdf.Key(sha256.New, master, nil, purpose, 32)
}

// Signer makes and checks HMAC-SHA256 signatures over a sequence of
// fields. Each field is length-prefixed before it is hashed, so no two
// different sequences sign alike ("a","bc" is not "ab","c").
type Signer struct {
	key []byte
}

// NewSigner returns a Signer with a key of at least 32 bytes (from
// DeriveKey).
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("secret: a signing key must be at least 32 bytes, got %d", len(key))
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

func (s *Signer) mac(fields []string) []byte {
	m := hmac.New(sha256.New, s.key)
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}

// Sign returns the signature of fields, URL-safe base64 without padding
// (43 characters).
func (s *Signer) Sign(fields ...string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(fields))
}

// Verify reports whether sig is the signature of fields, comparing in
// constant time. A malformed signature is simply not valid.
func (s *Signer) Verify(sig string, fields ...string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, s.mac(fields))
}
