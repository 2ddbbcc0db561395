package identity

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// APIKeyPrefix starts every Gatehouse API key, so a leaked one is easy to
// recognise in logs and by secret scanners.
const APIKeyPrefix = "ghk_"

// apiKeyUseInterval is how stale last_use_at may get: Files.com updates it
// at most every 3 hours, and so do we, so the hot path of an API request
// is reads only.
const apiKeyUseInterval = 3 * time.Hour

// maxAPIKeyLen bounds what we hash when a client sends a key.
const maxAPIKeyLen = 512

// LoginWithAPIKey checks an API key for a site and channel. A site-wide key
// returns a zero User (ID 0) and acts as a site admin. Unknown, expired and
// other-site keys all get the same ErrInvalidAPIKey, so the answer is no
// oracle for which keys exist. The key's permission set must allow the
// channel (none allows none), and the key's user then goes through the
// login policy like any other sign-in. What the key may do once in is the
// caller's to ask, per request, with KeyMayUse.
func (s *Service) LoginWithAPIKey(ctx context.Context, siteID int64, key string, ch Channel, ip string) (store.User, store.APIKey, error) {
	if key == "" || len(key) > maxAPIKeyLen {
		return store.User{}, store.APIKey{}, ErrInvalidAPIKey
	}
	k, err := s.st.GetAPIKeyByHash(ctx, secret.HashToken(key))
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, store.APIKey{}, ErrInvalidAPIKey
	}
	if err != nil {
		return store.User{}, store.APIKey{}, mapStoreErr(err, "find API key", nil, nil)
	}
	now := s.now()
	if k.SiteID != siteID || (!k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)) {
		return store.User{}, store.APIKey{}, ErrInvalidAPIKey
	}
	if err := keyMaySignIn(k.PermissionSet, ch); err != nil {
		s.log.Info("API key refused by its permission set", "site_id", siteID, "api_key_id", k.ID, "permission_set", k.PermissionSet,
			"channel", ch, "ip", ip)
		return store.User{}, store.APIKey{}, err
	}
	if k.UserID == 0 {
		// A site-wide key is nobody's: it has no method, no lockout and
		// every permission, so only the channel rules for API keys apply.
		d := Decision{Method: MethodNone, Channel: ch, Credential: CredentialAPIKey,
			Permissions: Permissions{RestAPI: true, SFTP: true, FTP: true, DAV: true}}
		if err := Decide(d); err != nil {
			return store.User{}, store.APIKey{}, err
		}
		return store.User{SiteID: siteID}, s.noteAPIKeyUse(ctx, k, now), nil
	}
	u, err := s.st.GetUser(ctx, siteID, k.UserID)
	if err != nil {
		return store.User{}, store.APIKey{}, mapStoreErr(err, "read API key's user", ErrInvalidAPIKey, nil)
	}
	if _, _, err := s.admit(ctx, u, ch, CredentialAPIKey, ip); err != nil {
		return store.User{}, store.APIKey{}, err
	}
	k = s.noteAPIKeyUse(ctx, k, now)
	if u.LastAPIUseAt.IsZero() || now.Sub(u.LastAPIUseAt) >= apiKeyUseInterval {
		updated, err := s.st.UpdateUser(ctx, siteID, u.ID, func(u *store.User) error {
			u.LastAPIUseAt = now
			if u.FirstLoginAt.IsZero() {
				u.FirstLoginAt = now
			}
			return nil
		})
		if err != nil {
			s.log.Error("could not note a user's API use", "site_id", siteID, "user_id", u.ID, "error", err)
		} else {
			u = updated
		}
	}
	return u, k, nil
}

// noteAPIKeyUse sets the key's last_use_at when it is older than
// apiKeyUseInterval, and returns the key as it now is.
func (s *Service) noteAPIKeyUse(ctx context.Context, k store.APIKey, now time.Time) store.APIKey {
	if !k.LastUseAt.IsZero() && now.Sub(k.LastUseAt) < apiKeyUseInterval {
		return k
	}
	updated, err := s.st.UpdateAPIKey(ctx, k.SiteID, k.ID, func(k *store.APIKey) error {
		k.LastUseAt = now
		return nil
	})
	if err != nil {
		s.log.Error("could not note an API key's use", "site_id", k.SiteID, "api_key_id", k.ID, "error", err)
		return k
	}
	return updated
}

// CreateAPIKey creates a key and returns it with the key itself, which is
// shown once and stored only as a hash. A nil UserID is the caller's own
// key; UserID 0 a site-wide key, which only the system actor may create;
// another user's key needs a site admin (anyone else is told that user
// does not exist, which gives nothing away).
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, siteID int64, c APIKeyChange) (store.APIKey, string, error) {
	userID := a.UserID
	if c.UserID != nil {
		userID = *c.UserID
	}
	switch {
	case userID < 0:
		return store.APIKey{}, "", ErrInvalidParams.With("user_id must not be negative")
	case userID == 0 && c.UserID == nil:
		return store.APIKey{}, "", ErrParamsRequired.With("user_id is required when no user is signed in")
	case userID == 0 && !a.System:
		return store.APIKey{}, "", ErrNotAuthorized.With("only the operator at the command line may create site-wide API keys")
	case userID != a.UserID && !a.SiteAdmin && !a.System:
		return store.APIKey{}, "", ErrUserNotFound
	}
	if err := validateAPIKeyChange(c, s.now()); err != nil {
		return store.APIKey{}, "", err
	}
	if userID != 0 {
		if _, err := s.GetUser(ctx, siteID, userID); err != nil {
			return store.APIKey{}, "", err
		}
	}
	key := secret.NewToken(APIKeyPrefix)
	k := store.APIKey{
		SiteID:           siteID,
		UserID:           userID,
		KeyHash:          secret.HashToken(key),
		DescriptiveLabel: key[:8] + "…",
		PermissionSet:    PermissionSetFull,
		CreatedAt:        s.now(),
	}
	applyAPIKeyChange(&k, c)
	if c.ExpiresAt != nil && setsExpiryFor(a, userID) {
		k.ExpiresCeiling = k.ExpiresAt
	}
	if err := s.st.CreateAPIKey(ctx, &k); err != nil {
		return store.APIKey{}, "", mapStoreErr(err, "create API key", nil, ErrDuplicate.With("an API key with that name already exists"))
	}
	s.log.Info("API key created", "site_id", siteID, "api_key_id", k.ID, "user_id", userID, "by", a.Username)
	return k, key, nil
}

// GetAPIKey returns a key the actor may see.
func (s *Service) GetAPIKey(ctx context.Context, a Actor, siteID, id int64) (store.APIKey, error) {
	k, err := s.st.GetAPIKey(ctx, siteID, id)
	if err != nil {
		return store.APIKey{}, mapStoreErr(err, "get API key", ErrAPIKeyNotFound, nil)
	}
	if !mayManageKeyOf(a, k.UserID) {
		return store.APIKey{}, ErrAPIKeyNotFound
	}
	return k, nil
}

// ListAPIKeys lists keys matching q: a site admin sees every key of
// q.UserID (0: all), anyone else only their own.
func (s *Service) ListAPIKeys(ctx context.Context, a Actor, siteID int64, q store.KeyQuery) ([]store.APIKey, error) {
	if !a.SiteAdmin && !a.System {
		if a.UserID == 0 {
			return []store.APIKey{}, nil
		}
		q.UserID = a.UserID
	}
	keys, err := s.st.ListAPIKeys(ctx, siteID, q)
	return keys, mapStoreErr(err, "list API keys", nil, nil)
}

// UpdateAPIKey changes a key's name, description, expiry or permission
// set; a key cannot move to another user. An expiry a site admin gave
// another user's key is a ceiling for its owner (see setsExpiryFor).
func (s *Service) UpdateAPIKey(ctx context.Context, a Actor, siteID, id int64, c APIKeyChange) (store.APIKey, error) {
	current, err := s.GetAPIKey(ctx, a, siteID, id)
	if err != nil {
		return store.APIKey{}, err
	}
	if c.UserID != nil && *c.UserID != current.UserID {
		return store.APIKey{}, ErrInvalidParams.With("an API key cannot move to another user; create a new one")
	}
	if err := validateAPIKeyChange(c, s.now()); err != nil {
		return store.APIKey{}, err
	}
	k, err := s.st.UpdateAPIKey(ctx, siteID, id, func(k *store.APIKey) error {
		if c.ExpiresAt != nil {
			switch {
			case setsExpiryFor(a, k.UserID):
				k.ExpiresCeiling = *c.ExpiresAt
			case !a.SiteAdmin && !a.System && !withinCeiling(*c.ExpiresAt, k.ExpiresCeiling):
				return ErrNotAuthorized.With("a site admin set this key to expire by %s; you may bring the expiry forward, "+
					"not push it back or remove it; ask a site admin to extend it", k.ExpiresCeiling.UTC().Format(time.RFC3339))
			}
		}
		applyAPIKeyChange(k, c)
		return nil
	})
	return k, mapStoreErr(err, "update API key", ErrAPIKeyNotFound, nil)
}

// DeleteAPIKey revokes a key.
func (s *Service) DeleteAPIKey(ctx context.Context, a Actor, siteID, id int64) error {
	if _, err := s.GetAPIKey(ctx, a, siteID, id); err != nil {
		return err
	}
	return mapStoreErr(s.st.DeleteAPIKey(ctx, siteID, id), "delete API key", ErrAPIKeyNotFound, nil)
}

// setsExpiryFor reports whether an expiry the actor gives a key of owner
// is an admin's decision that binds the owner: a site admin (or the
// operator) setting it on another user's key. The owner may then shorten
// it but not lengthen or remove it; a site-wide key has no owner to bind.
func setsExpiryFor(a Actor, owner int64) bool {
	return (a.SiteAdmin || a.System) && owner != 0 && owner != a.UserID
}

// withinCeiling reports whether an owner may set expiry under ceiling
// (zero: none); the zero expiry is "never", which no ceiling allows.
func withinCeiling(expiry, ceiling time.Time) bool {
	return ceiling.IsZero() || (!expiry.IsZero() && !expiry.After(ceiling))
}

// mayManageKeyOf: users manage their own keys, site admins everyone's
// (and only they see site-wide keys, which belong to user 0).
func mayManageKeyOf(a Actor, owner int64) bool {
	return a.SiteAdmin || a.System || (owner != 0 && owner == a.UserID)
}

func validateAPIKeyChange(c APIKeyChange, now time.Time) error {
	if c.ExpiresAt != nil && !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now) {
		return ErrInvalidParams.With("expires_at must be in the future")
	}
	var permissionSet error
	if c.PermissionSet != nil {
		permissionSet = checkEnum("permission_set", *c.PermissionSet, apiKeyPermissionSets, false)
	}
	return firstError(
		checkOptionalText("name", c.Name, maxTextLen, false),
		checkOptionalText("description", c.Description, maxNotesLen, true),
		permissionSet,
	)
}

func applyAPIKeyChange(k *store.APIKey, c APIKeyChange) {
	set(&k.Name, c.Name)
	set(&k.Description, c.Description)
	set(&k.ExpiresAt, c.ExpiresAt)
	set(&k.PermissionSet, c.PermissionSet)
}
