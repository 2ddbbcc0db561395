package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// CreateLoginState stores a sign-in in flight. A state must expire and
// have a key: one without either is refused rather than kept forever.
func (s *Store) CreateLoginState(ctx context.Context, ls *store.LoginState) error {
	if len(ls.KeyHash) == 0 {
		return fmt.Errorf("store: login state without a key hash")
	}
	if ls.ExpiresAt.IsZero() {
		return fmt.Errorf("store: login state without an expiry time")
	}
	if ls.CreatedAt.IsZero() {
		ls.CreatedAt = time.Now()
	}
	ls.CreatedAt, ls.ExpiresAt = normalTime(ls.CreatedAt), normalTime(ls.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO login_states (key_hash, site_id, sso_strategy_id, kind, data, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ls.KeyHash, ls.SiteID, ls.SSOStrategyID, ls.Kind, ls.Data, s.timeArg(ls.ExpiresAt), s.timeArg(ls.CreatedAt))
	return s.mapErr(err, "login state", "a login state with this key exists")
}

// TakeLoginState deletes the state and returns what it held, in one
// statement, so two nodes finishing the same sign-in cannot both succeed.
func (s *Store) TakeLoginState(ctx context.Context, keyHash []byte, now time.Time) (store.LoginState, error) {
	var ls store.LoginState
	if len(keyHash) == 0 {
		return ls, fmt.Errorf("%w: login state", store.ErrNotFound)
	}
	err := s.queryRow(ctx, true, `DELETE FROM login_states WHERE key_hash = ?
		RETURNING key_hash, site_id, sso_strategy_id, kind, data, expires_at, created_at`, keyHash).
		Scan(&ls.KeyHash, &ls.SiteID, &ls.SSOStrategyID, &ls.Kind, &ls.Data, timeDest{&ls.ExpiresAt}, timeDest{&ls.CreatedAt})
	if err != nil {
		return store.LoginState{}, s.mapErr(err, "login state", "")
	}
	if !ls.ExpiresAt.After(now) {
		return store.LoginState{}, fmt.Errorf("%w: login state expired", store.ErrNotFound)
	}
	return ls, nil
}

// DeleteExpiredLoginState sweeps expired login states and replay-cache
// entries of every site.
func (s *Store) DeleteExpiredLoginState(ctx context.Context, now time.Time) (int, error) {
	total := 0
	err := s.Tx(ctx, func(ctx context.Context) error {
		for _, t := range []struct{ name, what string }{
			{"login_states", "login state"}, {"saml_assertions", "SAML assertion"},
		} {
			n, err := deleteWhere(ctx, s, t.name, t.what, "expires_at <= ?", s.timeArg(now))
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// RememberAssertion inserts the ID unless it is there: the database's
// uniqueness decides which of several concurrent callers is first.
func (s *Store) RememberAssertion(ctx context.Context, ssoStrategyID int64, assertionID string, until time.Time) (bool, error) {
	if assertionID == "" {
		return false, fmt.Errorf("store: SAML assertion without an id")
	}
	if until.IsZero() {
		return false, fmt.Errorf("store: SAML assertion without an expiry time")
	}
	res, err := s.exec(ctx, `INSERT INTO saml_assertions (sso_strategy_id, assertion_id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (sso_strategy_id, assertion_id) DO NOTHING`, ssoStrategyID, assertionID, s.timeArg(until))
	if err != nil {
		return false, s.mapErr(err, "SAML assertion", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: remember SAML assertion: %w", err)
	}
	return n == 1, nil
}

// GetSSOMetadata returns a provider's cached metadata.
func (s *Store) GetSSOMetadata(ctx context.Context, ssoStrategyID int64) (store.SSOMetadata, error) {
	var m store.SSOMetadata
	err := s.queryRow(ctx, false, `SELECT sso_strategy_id, raw, fetched_at, last_error, last_error_at, source_url, failures
		FROM sso_metadata WHERE sso_strategy_id = ?`, ssoStrategyID).
		Scan(&m.SSOStrategyID, &m.Raw, timeDest{&m.FetchedAt}, &m.LastError, timeDest{&m.LastErrorAt}, &m.SourceURL, &m.Failures)
	if err != nil {
		return store.SSOMetadata{}, s.mapErr(err, "SSO metadata", "")
	}
	return m, nil
}

// PutSSOMetadata creates or replaces a provider's cached metadata.
func (s *Store) PutSSOMetadata(ctx context.Context, m *store.SSOMetadata) error {
	m.FetchedAt, m.LastErrorAt = normalTime(m.FetchedAt), normalTime(m.LastErrorAt)
	_, err := s.exec(ctx, `INSERT INTO sso_metadata (sso_strategy_id, raw, fetched_at, last_error, last_error_at, source_url, failures)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (sso_strategy_id) DO UPDATE SET raw = excluded.raw, fetched_at = excluded.fetched_at,
			last_error = excluded.last_error, last_error_at = excluded.last_error_at,
			source_url = excluded.source_url, failures = excluded.failures`,
		m.SSOStrategyID, m.Raw, s.timeArg(m.FetchedAt), m.LastError, s.timeArg(m.LastErrorAt), m.SourceURL, m.Failures)
	return s.mapErr(err, "SSO metadata", "")
}

// GetSAMLSPKey returns a site's SAML service provider key pair.
func (s *Store) GetSAMLSPKey(ctx context.Context, siteID int64) (store.SAMLSPKey, error) {
	var k store.SAMLSPKey
	err := s.queryRow(ctx, false, `SELECT site_id, private_key_enc, certificate, created_at
		FROM saml_sp_keys WHERE site_id = ?`, siteID).
		Scan(&k.SiteID, &k.PrivateKeyEnc, &k.Certificate, timeDest{&k.CreatedAt})
	if err != nil {
		return store.SAMLSPKey{}, s.mapErr(err, "SAML SP key", "")
	}
	return k, nil
}

// CreateSAMLSPKey stores a site's key pair; the primary key lets exactly
// one of several nodes generating at once win.
func (s *Store) CreateSAMLSPKey(ctx context.Context, k *store.SAMLSPKey) error {
	if len(k.PrivateKeyEnc) == 0 || len(k.Certificate) == 0 {
		return fmt.Errorf("store: SAML SP key without a key or certificate")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	k.CreatedAt = normalTime(k.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO saml_sp_keys (site_id, private_key_enc, certificate, created_at) VALUES (?, ?, ?, ?)`,
		k.SiteID, k.PrivateKeyEnc, k.Certificate, s.timeArg(k.CreatedAt))
	return s.mapErr(err, "SAML SP key", "the site has a SAML SP key")
}
