// Package secret keeps Gatehouse's secrets unreadable at rest: it encrypts
// the provider secrets Gatehouse must replay (OIDC client secrets, LDAP bind
// passwords) with a master key, and makes and hashes the high-entropy tokens
// (API keys, session ids, SCIM tokens) of which only a hash is stored.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a master key: AES-256.
const KeySize = 32

// ErrDecrypt means a sealed value was not made with this master key or was altered.
var ErrDecrypt = errors.New("secret: cannot decrypt: wrong master key or tampered value")

// Sealer encrypts and decrypts values with one master key (AES-256-GCM).
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a KeySize-byte master key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext; the result is nonce || ciphertext. The label
// (for example "sso_strategy:7:client_secret") is authenticated, so a value
// copied into another field or record does not decrypt there.
func (s *Sealer) Seal(plaintext []byte, label string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(label))
}

// Open decrypts a value made by Seal with the same label.
func (s *Sealer) Open(sealed []byte, label string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrDecrypt
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(label))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// LoadOrCreateKey reads the master key file at path (hex, 64 characters),
// creating it with a fresh random key and mode 0600 when it does not exist.
// A key file readable by group or others is refused.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("secret: create master key file: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("secret: read master key file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret: master key file %s has mode %v; run chmod 600 on it", path, st.Mode().Perm())
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secret: master key file %s must hold %d hex characters", path, 2*KeySize)
	}
	return key, nil
}

// NewToken returns a random token of 32 bytes, URL-safe base64 encoded,
// with an optional prefix that tells people what kind of token it is.
func NewToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the SHA-256 of a token. Tokens are 256-bit random, so a
// fast unsalted hash is enough: it cannot be brute-forced, and it lets the
// store find a token by its hash with an index.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Equal compares two secrets in constant time.
func Equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
