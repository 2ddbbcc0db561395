package web

import (
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// scimPath is where the SCIM server listens: the Tenant URL an identity
// provider is given is the base URL followed by it.
const scimPath = "/api/scim"

// scimTenantURL is the SCIM endpoint to paste into the identity provider
// (Entra: Tenant URL; Okta: SCIM connector base URL). It is the same for
// every provider and site: the credential says which provider a request
// belongs to.
func (s *server) scimTenantURL() string { return s.baseOrigin + scimPath }

// scimTokenJSON answers a token generation or reset: the provider with the
// token, which is shown this once (Files.com's scim_oauth_access_token).
type scimTokenJSON struct {
	ssoStrategyJSON
	SCIMOAuthAccessToken string `json:"scim_oauth_access_token"`
}

// scimBasicJSON answers a Basic credential generation: the provider with
// the password, which is shown this once (scim_username is on the
// provider already).
type scimBasicJSON struct {
	ssoStrategyJSON
	SCIMPassword string `json:"scim_password"`
}

// generateSCIMToken makes a new SCIM bearer token for the provider; one it
// had is revoked only when the body asks for a reset.
func (s *server) generateSCIMToken(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	// {"reset": true} revokes a token the provider has; without it, a
	// provider with a token is refused (conflict/scim-token-exists).
	var body struct {
		Reset bool `json:"reset"`
	}
	if err := readJSONBody(r, &body); err != nil {
		return err
	}
	token, st, err := s.svc.GenerateSCIMToken(r.Context(), c.actor(), c.site.ID, id, body.Reset)
	if err != nil {
		return err
	}
	return s.writeSCIMToken(w, r, st, token)
}

func (s *server) writeSCIMToken(w http.ResponseWriter, r *http.Request, st store.SSOStrategy, token string) error {
	v, err := s.renderSSOStrategyJSON(r, st)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, scimTokenJSON{ssoStrategyJSON: v, SCIMOAuthAccessToken: token})
	return nil
}

// generateSCIMBasic makes new SCIM Basic credentials for the provider;
// they replace its previous ones as the change is saved.
func (s *server) generateSCIMBasic(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	if err := readJSONBody(r); err != nil {
		return err
	}
	_, password, st, err := s.svc.GenerateSCIMBasic(r.Context(), c.actor(), c.site.ID, id)
	if err != nil {
		return err
	}
	v, err := s.renderSSOStrategyJSON(r, st)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, scimBasicJSON{ssoStrategyJSON: v, SCIMPassword: password})
	return nil
}

// renderSSOStrategyJSON is renderSSOStrategy with its concrete type.
func (s *server) renderSSOStrategyJSON(r *http.Request, st store.SSOStrategy) (ssoStrategyJSON, error) {
	v, err := s.renderSSOStrategy(r.Context(), st)
	if err != nil {
		return ssoStrategyJSON{}, err
	}
	j, ok := v.(ssoStrategyJSON)
	if !ok {
		return ssoStrategyJSON{}, fmt.Errorf("web: sso strategy rendered as %T", v)
	}
	return j, nil
}

// scimResetParam is Files.com's way to reset the token in an update:
// PATCH /sso_strategies/{id} with reset_scim_oauth_access_token=true.
type scimResetParam struct {
	ResetSCIMOAuthAccessToken *bool `json:"reset_scim_oauth_access_token"`
}
