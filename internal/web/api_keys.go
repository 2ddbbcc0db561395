package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// apiKeyJSON is Files.com's api_key object. Key is the secret itself and
// appears only in the answer to its creation.
type apiKeyJSON struct {
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	Description      string  `json:"description"`
	DescriptiveLabel string  `json:"descriptive_label"`
	Key              string  `json:"key,omitempty"`
	PermissionSet    string  `json:"permission_set"`
	UserID           *int64  `json:"user_id"`
	SiteID           int64   `json:"site_id"`
	ExpiresAt        apiTime `json:"expires_at"`
	LastUseAt        apiTime `json:"last_use_at"`
	CreatedAt        apiTime `json:"created_at"`
}

func renderAPIKey(k store.APIKey, key string) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Description: k.Description, DescriptiveLabel: k.DescriptiveLabel,
		Key: key, PermissionSet: k.PermissionSet, UserID: optionalID(k.UserID), SiteID: k.SiteID,
		ExpiresAt: apiTime(k.ExpiresAt), LastUseAt: apiTime(k.LastUseAt), CreatedAt: apiTime(k.CreatedAt)}
}

// ownUserOnly refuses a non-admin asking about another user's records.
func ownUserOnly(c *apiCall, userID int64) error {
	if userID != 0 && !c.who.siteAdmin() && userID != c.who.user.ID {
		return identity.ErrSiteAdminRequired.With("only a site admin may manage another user's keys")
	}
	return nil
}

// keyListRequest reads the page, filters, order and user_id of a list of
// API keys or SSH keys (spec). The service scopes a non-admin to their
// own keys; asking for another user's is refused here so the answer says
// why.
func keyListRequest(r *http.Request, c *apiCall, spec listSpec) (pageRequest, store.KeyQuery, error) {
	p, lq, err := parseList(r, spec)
	if err != nil {
		return p, store.KeyQuery{}, err
	}
	q := store.KeyQuery{ListOptions: p.options(), Filter: lq.storeFilter()}
	if q.UserID, err = queryID(r, "user_id"); err != nil {
		return p, q, err
	}
	return p, q, ownUserOnly(c, q.UserID)
}

func (s *server) listAPIKeys(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, q, err := keyListRequest(r, c, apiKeyList)
	if err != nil {
		return err
	}
	keys, err := s.svc.ListAPIKeys(r.Context(), c.actor(), c.site.ID, q)
	if err != nil {
		return err
	}
	return writeSortedPage(w, p, keys, func(k store.APIKey) int64 { return k.ID }, apiKeySortValue,
		func(k store.APIKey) (any, error) { return renderAPIKey(k, ""), nil })
}

// loadAPIKey reads a key the caller may see; another user's key is, to a
// non-admin, a key that does not exist.
func (s *server) loadAPIKey(r *http.Request, c *apiCall) (store.APIKey, error) {
	id, err := pathID(r, identity.ErrAPIKeyNotFound)
	if err != nil {
		return store.APIKey{}, err
	}
	k, err := s.svc.GetAPIKey(r.Context(), c.actor(), c.site.ID, id)
	if err != nil {
		return store.APIKey{}, err
	}
	if !c.who.siteAdmin() && k.UserID != c.who.user.ID {
		return store.APIKey{}, identity.ErrAPIKeyNotFound
	}
	return k, nil
}

func (s *server) showAPIKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := s.loadAPIKey(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderAPIKey(k, ""))
	return nil
}

func (s *server) createAPIKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var ch identity.APIKeyChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	if ch.UserID != nil {
		if err := ownUserOnly(c, *ch.UserID); err != nil {
			return err
		}
	}
	k, key, err := s.svc.CreateAPIKey(r.Context(), c.actor(), c.site.ID, ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, renderAPIKey(k, key))
	return nil
}

func (s *server) updateAPIKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := s.loadAPIKey(r, c)
	if err != nil {
		return err
	}
	return s.applyAPIKeyUpdate(w, r, c, k.ID)
}

func (s *server) applyAPIKeyUpdate(w http.ResponseWriter, r *http.Request, c *apiCall, id int64) error {
	var ch identity.APIKeyChange
	if err := readJSONBody(r, &ch); err != nil {
		return err
	}
	ch.UserID = nil // a key does not move between users
	k, err := s.svc.UpdateAPIKey(r.Context(), c.actor(), c.site.ID, id, ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderAPIKey(k, ""))
	return nil
}

func (s *server) deleteAPIKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := s.loadAPIKey(r, c)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteAPIKey(r.Context(), c.actor(), c.site.ID, k.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// currentAPIKey is the key the request authenticated with (/api_key).
func currentAPIKey(c *apiCall) (store.APIKey, error) {
	if c.who.apiKey == nil {
		return store.APIKey{}, identity.ErrNotAuthorized.With("/api_key is the key a request authenticates with; send an X-FilesAPI-Key header")
	}
	return *c.who.apiKey, nil
}

func (s *server) showCurrentAPIKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := currentAPIKey(c)
	if err != nil {
		return err
	}
	k, err = s.svc.GetAPIKey(r.Context(), c.actor(), c.site.ID, k.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderAPIKey(k, ""))
	return nil
}

func (s *server) updateCurrentAPIKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := currentAPIKey(c)
	if err != nil {
		return err
	}
	return s.applyAPIKeyUpdate(w, r, c, k.ID)
}

func (s *server) deleteCurrentAPIKey(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	k, err := currentAPIKey(c)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteAPIKey(r.Context(), c.actor(), c.site.ID, k.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
