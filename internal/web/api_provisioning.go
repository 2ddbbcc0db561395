package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/provision"
)

var errRulesInvalid = &identity.Error{Status: http.StatusUnprocessableEntity, Type: "processing-failure/provisioning-rules-invalid",
	Title:   "Provisioning Rules Invalid",
	Message: "the provider's group rules cannot be read; fix the provision_group_* fields (the SSO events log says which entry)"}

// previewSSOStrategy answers what the provider's rules, as set now, would
// change among the accounts it manages: the provisioning engine's dry run
// over the provider's current accounts. It writes nothing.
func (s *server) previewSSOStrategy(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	if _, err := s.svc.GetSSOStrategy(r.Context(), c.site.ID, id); err != nil {
		return err
	}
	if s.provision == nil {
		return identity.ErrInternal.With("the provisioning engine is not configured")
	}
	plan, err := s.provision.PreviewCurrent(r.Context(), c.site.ID, id)
	if err == nil {
		writeJSON(w, http.StatusOK, plan)
		return nil
	}
	if errors.Is(err, provision.ErrRules) {
		return errRulesInvalid.With("%v", err)
	}
	return err
}
