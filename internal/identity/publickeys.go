package identity

import (
	"context"
	"crypto/rsa"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/store"
)

const (
	// maxPublicKeyLen fits an RSA-16384 key with a long comment.
	maxPublicKeyLen = 16 << 10
	// minRSABits: shorter RSA keys are breakable or close to it.
	minRSABits = 2048
	// keyAlgoDSA is named here because x/crypto/ssh deprecated its constant
	// along with DSA itself.
	keyAlgoDSA = "ssh-dss"
)

// parsedPublicKey is a public key as Gatehouse stores it.
type parsedPublicKey struct {
	line        string // normalized authorized_keys line: "type base64 [comment]"
	fingerprint string // ssh.FingerprintSHA256
}

// parsePublicKey accepts exactly one OpenSSH public key (authorized_keys
// format) and refuses what Gatehouse would not honour: options such as
// command="…" (which Gatehouse does not apply, so accepting them would
// silently widen the key), DSA keys and RSA keys under 2048 bits.
func parsePublicKey(text string) (parsedPublicKey, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return parsedPublicKey{}, ErrParamsRequired.With("public_key is required")
	}
	if len(text) > maxPublicKeyLen {
		return parsedPublicKey{}, ErrInvalidParams.With("public_key must be at most %d bytes", maxPublicKeyLen)
	}
	// A private key pasted by mistake gets its own answer, so its owner
	// knows to replace it rather than retry: it has been shown to others.
	if strings.Contains(text, "PRIVATE KEY-----") || strings.HasPrefix(text, "PuTTY-User-Key-File") {
		return parsedPublicKey{}, ErrInvalidParams.With("public_key is a private key, which must never leave your computer; " +
			"paste the public key instead (the .pub file, such as ~/.ssh/id_ed25519.pub), and if the private key was shared, make a new pair")
	}
	pub, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(text))
	if err != nil {
		return parsedPublicKey{}, ErrInvalidParams.With(
			"public_key is not an OpenSSH public key; paste one line such as the contents of ~/.ssh/id_ed25519.pub")
	}
	if len(options) > 0 {
		return parsedPublicKey{}, ErrInvalidParams.With("public_key must not carry authorized_keys options (%s)", truncate(options[0], 32))
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return parsedPublicKey{}, ErrInvalidParams.With("public_key must be one key; add further keys one at a time")
	}
	switch pub.Type() {
	case keyAlgoDSA:
		return parsedPublicKey{}, ErrInvalidParams.With("DSA keys are no longer safe; use an Ed25519, ECDSA or RSA (2048 bits or more) key")
	case ssh.KeyAlgoRSA:
		if ck, ok := pub.(ssh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < minRSABits {
				return parsedPublicKey{}, ErrInvalidParams.With("RSA keys must have at least %d bits (this one has %d)", minRSABits, rk.N.BitLen())
			}
		}
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment = strings.TrimSpace(comment); comment != "" && checkText("comment", comment, maxTextLen, false) == nil {
		line += " " + comment
	}
	return parsedPublicKey{line: line, fingerprint: ssh.FingerprintSHA256(pub)}, nil
}

// CreatePublicKey adds an SSH key to a user: the actor's own when UserID is
// not given; another user's only for a site admin.
func (s *Service) CreatePublicKey(ctx context.Context, a Actor, siteID int64, c PublicKeyChange) (store.PublicKey, error) {
	userID := a.UserID
	if c.UserID != nil && *c.UserID != 0 {
		userID = *c.UserID
	}
	switch {
	case userID <= 0:
		return store.PublicKey{}, ErrParamsRequired.With("user_id is required")
	case userID != a.UserID && !a.SiteAdmin && !a.System:
		return store.PublicKey{}, ErrUserNotFound
	}
	if c.Title == nil || strings.TrimSpace(*c.Title) == "" {
		return store.PublicKey{}, ErrParamsRequired.With("title is required")
	}
	if err := checkText("title", *c.Title, maxTextLen, false); err != nil {
		return store.PublicKey{}, err
	}
	if c.PublicKey == nil {
		return store.PublicKey{}, ErrParamsRequired.With("public_key is required")
	}
	parsed, err := parsePublicKey(*c.PublicKey)
	if err != nil {
		return store.PublicKey{}, err
	}
	if _, err := s.GetUser(ctx, siteID, userID); err != nil {
		return store.PublicKey{}, err
	}
	if _, found, err := s.findUserPublicKey(ctx, siteID, userID, parsed.fingerprint); err != nil {
		return store.PublicKey{}, err
	} else if found {
		return store.PublicKey{}, ErrDuplicate.With("this user already has the key %s", parsed.fingerprint)
	}
	k := store.PublicKey{
		SiteID:            siteID,
		UserID:            userID,
		Title:             *c.Title,
		PublicKey:         parsed.line,
		FingerprintSHA256: parsed.fingerprint,
		CreatedAt:         s.now(),
	}
	if err := s.st.CreatePublicKey(ctx, &k); err != nil {
		return store.PublicKey{}, mapStoreErr(err, "create public key", nil,
			ErrDuplicate.With("this user already has the key %s", parsed.fingerprint))
	}
	return k, nil
}

// GetPublicKey returns a key the actor may see.
func (s *Service) GetPublicKey(ctx context.Context, a Actor, siteID, id int64) (store.PublicKey, error) {
	k, err := s.st.GetPublicKey(ctx, siteID, id)
	if err != nil {
		return store.PublicKey{}, mapStoreErr(err, "get public key", ErrPublicKeyNotFound, nil)
	}
	if !mayManageKeyOf(a, k.UserID) {
		return store.PublicKey{}, ErrPublicKeyNotFound
	}
	return k, nil
}

// ListPublicKeys lists keys matching q: a site admin sees every key of
// q.UserID (0: all), anyone else only their own.
func (s *Service) ListPublicKeys(ctx context.Context, a Actor, siteID int64, q store.KeyQuery) ([]store.PublicKey, error) {
	if !a.SiteAdmin && !a.System {
		if a.UserID == 0 {
			return []store.PublicKey{}, nil
		}
		q.UserID = a.UserID
	}
	keys, err := s.st.ListPublicKeys(ctx, siteID, q)
	return keys, mapStoreErr(err, "list public keys", nil, nil)
}

// UpdatePublicKey renames a key. The key material cannot change (add a new
// key instead), but sending the same key back is accepted.
func (s *Service) UpdatePublicKey(ctx context.Context, a Actor, siteID, id int64, c PublicKeyChange) (store.PublicKey, error) {
	current, err := s.GetPublicKey(ctx, a, siteID, id)
	if err != nil {
		return store.PublicKey{}, err
	}
	if c.UserID != nil && *c.UserID != 0 && *c.UserID != current.UserID {
		return store.PublicKey{}, ErrInvalidParams.With("an SSH key cannot move to another user; add it to that user instead")
	}
	if c.PublicKey != nil {
		parsed, err := parsePublicKey(*c.PublicKey)
		if err != nil {
			return store.PublicKey{}, err
		}
		if parsed.fingerprint != current.FingerprintSHA256 {
			return store.PublicKey{}, ErrInvalidParams.With("public_key cannot be changed; add the new key and delete this one")
		}
	}
	if c.Title != nil {
		if strings.TrimSpace(*c.Title) == "" {
			return store.PublicKey{}, ErrInvalidParams.With("title must not be empty")
		}
		if err := checkText("title", *c.Title, maxTextLen, false); err != nil {
			return store.PublicKey{}, err
		}
	}
	k, err := s.st.UpdatePublicKey(ctx, siteID, id, func(k *store.PublicKey) error {
		set(&k.Title, c.Title)
		return nil
	})
	return k, mapStoreErr(err, "update public key", ErrPublicKeyNotFound, nil)
}

// DeletePublicKey removes a key.
func (s *Service) DeletePublicKey(ctx context.Context, a Actor, siteID, id int64) error {
	if _, err := s.GetPublicKey(ctx, a, siteID, id); err != nil {
		return err
	}
	return mapStoreErr(s.st.DeletePublicKey(ctx, siteID, id), "delete public key", ErrPublicKeyNotFound, nil)
}
