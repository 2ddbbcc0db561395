package web

import (
	"context"
	"net/http"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// publicKeyJSON is Files.com's public_key object.
type publicKeyJSON struct {
	ID                int64   `json:"id"`
	Title             string  `json:"title"`
	PublicKey         string  `json:"public_key"`
	Fingerprint       string  `json:"fingerprint"` // legacy MD5 form, as Files.com shows it
	FingerprintSHA256 string  `json:"fingerprint_sha256"`
	UserID            int64   `json:"user_id"`
	Username          string  `json:"username"`
	Status            string  `json:"status"`
	LastLoginAt       apiTime `json:"last_login_at"`
	CreatedAt         apiTime `json:"created_at"`
}

// userNames remembers usernames looked up while rendering one response.
type userNames map[int64]string

func (s *server) usernameOf(ctx context.Context, siteID, userID int64, cache userNames) (string, error) {
	if n, ok := cache[userID]; ok {
		return n, nil
	}
	u, err := s.svc.GetUser(ctx, siteID, userID)
	if err != nil {
		return "", err
	}
	cache[userID] = u.Username
	return u.Username, nil
}

func (s *server) renderPublicKey(ctx context.Context, k store.PublicKey, cache userNames) (any, error) {
	name, err := s.usernameOf(ctx, k.SiteID, k.UserID, cache)
	if err != nil {
		return nil, err
	}
	md5 := ""
	if pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.PublicKey)); err == nil {
		md5 = ssh.FingerprintLegacyMD5(pk)
	}
	return publicKeyJSON{ID: k.ID, Title: k.Title, PublicKey: k.PublicKey, Fingerprint: md5,
		FingerprintSHA256: k.FingerprintSHA256, UserID: k.UserID, Username: name, Status: "complete",
		LastLoginAt: apiTime(k.LastLoginAt), CreatedAt: apiTime(k.CreatedAt)}, nil
}

func (s *server) writePublicKey(w http.ResponseWriter, r *http.Request, status int, k store.PublicKey) error {
	v, err := s.renderPublicKey(r.Context(), k, userNames{})
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

func (s *server) listPublicKeys(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, q, err := keyListRequest(r, c, publicKeyList)
	if err != nil {
		return err
	}
	keys, err := s.svc.ListPublicKeys(r.Context(), c.actor(), c.site.ID, q)
	if err != nil {
		return err
	}
	names := userNames{}
	return writeSortedPage(w, p, keys, func(k store.PublicKey) int64 { return k.ID }, publicKeySortValue,
		func(k store.PublicKey) (any, error) { return s.renderPublicKey(r.Context(), k, names) })
}

// loadPublicKey reads a key the caller may see; to a non-admin another
// user's key does not exist.
func (s *server) loadPublicKey(r *http.Request, c *apiCall) (store.PublicKey, error) {
	id, err := pathID(r, identity.ErrPublicKeyNotFound)
	if err != nil {
		return store.PublicKey{}, err
	}
	k, err := s.svc.GetPublicKey(r.Context(), c.actor(), c.site.ID, id)
	if err != nil {
		return store.PublicKey{}, err
	}
	if !c.who.siteAdmin() && k.UserID != c.who.user.ID {
		return store.PublicKey{}, identity.ErrPublicKeyNotFound
	}
	return k, nil
}

func (s *server) showPublicKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := s.loadPublicKey(r, c)
	if err != nil {
		return err
	}
	return s.writePublicKey(w, r, http.StatusOK, k)
}

func (s *server) createPublicKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var ch identity.PublicKeyChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	if ch.UserID != nil {
		if err := ownUserOnly(c, *ch.UserID); err != nil {
			return err
		}
	}
	k, err := s.svc.CreatePublicKey(r.Context(), c.actor(), c.site.ID, ch)
	if err != nil {
		return err
	}
	return s.writePublicKey(w, r, http.StatusCreated, k)
}

func (s *server) updatePublicKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := s.loadPublicKey(r, c)
	if err != nil {
		return err
	}
	var ch identity.PublicKeyChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	ch.UserID = nil // a key does not move between users
	k, err = s.svc.UpdatePublicKey(r.Context(), c.actor(), c.site.ID, k.ID, ch)
	if err != nil {
		return err
	}
	return s.writePublicKey(w, r, http.StatusOK, k)
}

func (s *server) deletePublicKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := s.loadPublicKey(r, c)
	if err != nil {
		return err
	}
	if err := s.svc.DeletePublicKey(r.Context(), c.actor(), c.site.ID, k.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
