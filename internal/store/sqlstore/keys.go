package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// CreateAPIKey stores a new API key of a user of the site, or of the site
// itself when UserID is 0.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	if len(k.KeyHash) == 0 {
		return fmt.Errorf("store: API key without a key hash")
	}
	if k.UserID != 0 {
		if err := s.checkUser(ctx, k.SiteID, k.UserID, "API key"); err != nil {
			return err
		}
	}
	return insert(ctx, s, apiKeys, k, "an API key with this hash exists")
}

// GetAPIKey returns a key of the site.
func (s *Store) GetAPIKey(ctx context.Context, siteID, id int64) (store.APIKey, error) {
	return get(ctx, s, apiKeys, "k.id = ? AND k.site_id = ?", id, siteID)
}

// GetAPIKeyByHash finds a key of any site by the hash of its secret.
func (s *Store) GetAPIKeyByHash(ctx context.Context, keyHash []byte) (store.APIKey, error) {
	if len(keyHash) == 0 {
		return store.APIKey{}, fmt.Errorf("%w: API key", store.ErrNotFound)
	}
	return get(ctx, s, apiKeys, "k.key_hash = ?", keyHash)
}

// ListAPIKeys lists a site's keys matching q.
func (s *Store) ListAPIKeys(ctx context.Context, siteID int64, q store.KeyQuery) ([]store.APIKey, error) {
	f := &filter{}
	f.add("k.site_id = ?", siteID)
	if q.UserID != 0 {
		f.add("k.user_id = ?", q.UserID)
	}
	if q.Filter != nil {
		if err := s.addFilter(f, q.Filter, store.APIKeyFields(), apiKeyColumns); err != nil {
			return nil, err
		}
	}
	return list(ctx, s, apiKeys, f.where(), f.args, q.ListOptions)
}

// UpdateAPIKey changes a key through fn; its owner and hash cannot change.
func (s *Store) UpdateAPIKey(ctx context.Context, siteID, id int64, fn func(*store.APIKey) error) (store.APIKey, error) {
	keep := func(old, cur *store.APIKey) { cur.UserID, cur.KeyHash = old.UserID, old.KeyHash }
	var out store.APIKey
	err := s.Tx(ctx, func(ctx context.Context) error {
		k, err := update(ctx, s, apiKeys, nil, fn, keep, "k.id = ? AND k.site_id = ?", id, siteID)
		if err != nil {
			return err
		}
		out = k
		return s.userChanged(ctx, siteID, k.UserID)
	})
	return out, err
}

// DeleteAPIKey removes a key of the site.
func (s *Store) DeleteAPIKey(ctx context.Context, siteID, id int64) error {
	return s.deleteOwned(ctx, "api_keys", "API key", siteID, id)
}

// CreatePublicKey stores a new SSH key of a user of the site.
func (s *Store) CreatePublicKey(ctx context.Context, k *store.PublicKey) error {
	if err := s.checkUser(ctx, k.SiteID, k.UserID, "public key"); err != nil {
		return err
	}
	return insert(ctx, s, publicKeys, k, "")
}

// GetPublicKey returns a key of the site.
func (s *Store) GetPublicKey(ctx context.Context, siteID, id int64) (store.PublicKey, error) {
	return get(ctx, s, publicKeys, "pk.id = ? AND pk.site_id = ?", id, siteID)
}

// ListPublicKeys lists a site's keys matching q.
func (s *Store) ListPublicKeys(ctx context.Context, siteID int64, q store.KeyQuery) ([]store.PublicKey, error) {
	f := &filter{}
	f.add("pk.site_id = ?", siteID)
	if q.UserID != 0 {
		f.add("pk.user_id = ?", q.UserID)
	}
	if q.Filter != nil {
		if err := s.addFilter(f, q.Filter, store.PublicKeyFields(), publicKeyColumns); err != nil {
			return nil, err
		}
	}
	return list(ctx, s, publicKeys, f.where(), f.args, q.ListOptions)
}

// UpdatePublicKey changes a key through fn; its owner cannot change.
func (s *Store) UpdatePublicKey(ctx context.Context, siteID, id int64, fn func(*store.PublicKey) error) (store.PublicKey, error) {
	keep := func(old, cur *store.PublicKey) { cur.UserID = old.UserID }
	var out store.PublicKey
	err := s.Tx(ctx, func(ctx context.Context) error {
		k, err := update(ctx, s, publicKeys, nil, fn, keep, "pk.id = ? AND pk.site_id = ?", id, siteID)
		if err != nil {
			return err
		}
		out = k
		return s.userChanged(ctx, siteID, k.UserID)
	})
	return out, err
}

// DeletePublicKey removes a key of the site.
func (s *Store) DeletePublicKey(ctx context.Context, siteID, id int64) error {
	return s.deleteOwned(ctx, "public_keys", "public key", siteID, id)
}
