package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PasswordParams is the argon2id cost.
type PasswordParams struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	// MaxConcurrent bounds how many hashes run at once, so a flood of
	// sign-ins queues instead of exhausting memory.
	MaxConcurrent int
}

// defaultPasswordParams follows OWASP's argon2id minimum (19 MiB, 2
// passes). It is not exported: a package that lowered it (a test wanting
// cheap hashing) would lower it for every service in the process; the cost
// is chosen per service with Options.PasswordHashing.
var defaultPasswordParams = PasswordParams{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, MaxConcurrent: 4}

const (
	// maxPasswordBytes caps what we hash: a longer "password" is an attempt
	// to make the server work, not a secret someone types.
	maxPasswordBytes = 1024
	saltBytes        = 16
	keyBytes         = 32

	// Bounds on the cost read back from a stored hash, so a corrupted or
	// planted row cannot make one verification allocate gigabytes.
	maxStoredMemoryKiB  = 1 << 20 // 1 GiB
	maxStoredIterations = 64
)

var errMalformedHash = errors.New("identity: malformed password hash")

// passwordHasher hashes and verifies argon2id passwords. Its semaphore is
// what keeps 200 concurrent sign-ins from allocating 200 × Memory at once:
// the extra ones wait their turn (or give up when their context ends).
type passwordHasher struct {
	p     PasswordParams
	slots chan struct{}

	dummyOnce sync.Once
	dummy     string

	// computed counts the hashes computed, so that a test can prove that
	// every answer to a sign-in costs the same work.
	computed atomic.Int64
}

func newPasswordHasher(p PasswordParams) *passwordHasher {
	if p.Memory == 0 {
		p.Memory = defaultPasswordParams.Memory
	}
	if p.Iterations == 0 {
		p.Iterations = defaultPasswordParams.Iterations
	}
	if p.Parallelism == 0 {
		p.Parallelism = defaultPasswordParams.Parallelism
	}
	if p.MaxConcurrent <= 0 {
		p.MaxConcurrent = max(runtime.NumCPU(), 1)
	}
	return &passwordHasher{p: p, slots: make(chan struct{}, p.MaxConcurrent)}
}

// acquire waits for a hashing slot; the returned func gives it back.
func (h *passwordHasher) acquire(ctx context.Context) (func(), error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("identity: waiting to hash a password: %w", ctx.Err())
	}
}

// hash returns the PHC string of password with a fresh random salt.
func (h *passwordHasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("identity: password salt: %w", err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.p.Iterations, h.p.Memory, h.p.Parallelism, keyBytes)
	release()
	return encodePHC(h.p, salt, key), nil
}

// verify reports whether password matches the PHC string encoded. An
// empty encoded (a user who never set a password) never matches, but still
// spends one hash so it answers as slowly as a real check.
func (h *passwordHasher) verify(ctx context.Context, encoded, password string) (bool, error) {
	if encoded == "" {
		return false, h.spendDummy(ctx, password)
	}
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, uint32(len(want)))
	release()
	h.computed.Add(1)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// spendDummy verifies password against a fixed hash nobody knows the
// password of, so refusing an unknown username costs as much time as
// refusing a wrong password and timing does not reveal who has an account.
func (h *passwordHasher) spendDummy(ctx context.Context, password string) error {
	h.dummyOnce.Do(func() {
		salt := make([]byte, saltBytes)
		key := make([]byte, keyBytes)
		_, _ = rand.Read(salt)
		_, _ = rand.Read(key)
		h.dummy = encodePHC(h.p, salt, key)
	})
	_, err := h.verify(ctx, h.dummy, password)
	return err
}

func encodePHC(p PasswordParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodePHC parses "$argon2id$v=19$m=..,t=..,p=..$salt$hash", refusing
// other algorithms, versions and costs outside sane bounds.
func decodePHC(s string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errMalformedHash
	}
	var m, t uint32
	var par uint8
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &par); err != nil || n != 3 {
		return p, nil, nil, errMalformedHash
	}
	if m == 0 || m > maxStoredMemoryKiB || t == 0 || t > maxStoredIterations || par == 0 {
		return p, nil, nil, errMalformedHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, errMalformedHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errMalformedHash
	}
	return PasswordParams{Memory: m, Iterations: t, Parallelism: par}, salt, key, nil
}

// checkNewPassword applies the rules for a password being set: the site's
// minimum length (in characters), the 1024-byte ceiling, valid UTF-8, and
// a matching confirmation when one is given.
func checkNewPassword(minLength int, password string, confirmation *string) error {
	if !utf8.ValidString(password) {
		return ErrInvalidParams.With("password must be valid UTF-8 text")
	}
	if len(password) > maxPasswordBytes {
		return ErrInvalidParams.With("password must be at most %d bytes", maxPasswordBytes)
	}
	if utf8.RuneCountInString(password) < minLength {
		return ErrPasswordTooShort.With("the password must be at least %d characters long", minLength)
	}
	if confirmation != nil && *confirmation != password {
		return ErrInvalidParams.With("password_confirmation does not match password")
	}
	return nil
}
