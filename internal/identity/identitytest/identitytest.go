// Package identitytest builds the identity core the way the tests of the
// packages above it need one: over a real store (teststore), with a fresh
// master key and password hashing cheap enough for tests. One place, so
// that every test world is built alike and a new option of the core is
// set once.
//
// The tests of package identity itself cannot import it (it imports
// identity); they keep their own copy of the cheap parameters.
package identitytest

import (
	"crypto/rand"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
)

// CheapHashing returns argon2id parameters that keep password checks fast
// in tests; the production cost is tested in package identity. A fresh
// value each call, so no test can change another's.
func CheapHashing() *identity.PasswordParams {
	return &identity.PasswordParams{Memory: 64, Iterations: 1, Parallelism: 1, MaxConcurrent: 4}
}

// Sealer returns a sealer under a fresh random master key.
func Sealer(tb testing.TB) *secret.Sealer {
	tb.Helper()
	key := make([]byte, secret.KeySize)
	if _, err := rand.Read(key); err != nil {
		tb.Fatal(err)
	}
	s, err := secret.NewSealer(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// New makes an identity core over st, with a fresh Sealer and
// CheapHashing unless opts sets them.
func New(tb testing.TB, st store.Store, opts identity.Options) *identity.Service {
	tb.Helper()
	if opts.Sealer == nil {
		opts.Sealer = Sealer(tb)
	}
	if opts.PasswordHashing == nil {
		opts.PasswordHashing = CheapHashing()
	}
	return identity.New(st, opts)
}

// World is a store with an identity core over it and its default site.
type World struct {
	Store    store.Store
	Identity *identity.Service
	Site     store.Site
}

// Open opens a store (teststore.Open: SQLite, or PostgreSQL when the
// run asks for it), makes the identity core over it (see New) and its
// default site.
func Open(tb testing.TB, opts identity.Options) *World {
	tb.Helper()
	st := teststore.Open(tb)
	id := New(tb, st, opts)
	site, err := id.EnsureDefaultSite(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return &World{Store: st, Identity: id, Site: site}
}
