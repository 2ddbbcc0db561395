package directory

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// refreshedSet remembers which identities this process has already
// written to their accounts after a sign-in, so that the next sign-in of
// an unchanged person does not take the store's write lock again. A
// change in the directory (names, e-mail, state, groups) or of the
// provider's settings (its UpdatedAt) makes a new key, so it is written.
// Between two syncs the set only skips writes that would change nothing;
// the sync itself always reconciles everyone.
type refreshedSet struct {
	mu   sync.Mutex
	keys map[[32]byte]struct{}
}

// maxRefreshed bounds the set; past it the set starts over.
const maxRefreshed = 100_000

func (r *refreshedSet) key(p store.SSOStrategy, x provision.ExternalIdentity) [32]byte {
	h := sha256.New()
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(p.ID))
	h.Write(buf[:])
	binary.BigEndian.PutUint64(buf[:], uint64(p.UpdatedAt.UnixNano()))
	h.Write(buf[:])
	active := "0"
	if x.Active {
		active = "1"
	}
	groups := make([]string, 0, len(x.Groups))
	for _, g := range x.Groups {
		groups = append(groups, g.ExternalID+"\x01"+g.Name)
	}
	slices.Sort(groups)
	h.Write([]byte(strings.Join([]string{x.ExternalID, x.Username, x.Email, x.GivenName, x.FamilyName, active,
		strings.Join(groups, "\x02")}, "\x00")))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (r *refreshedSet) has(k [32]byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[k]
	return ok
}

func (r *refreshedSet) add(k [32]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil || len(r.keys) >= maxRefreshed {
		r.keys = map[[32]byte]struct{}{}
	}
	r.keys[k] = struct{}{}
}
