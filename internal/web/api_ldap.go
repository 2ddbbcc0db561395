package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ldapsync"
	"github.com/gatehouse/gatehouse/internal/provision"
)

// syncParams are the optional parameters of POST /sso_strategies/{id}/sync,
// in the query or the JSON body. Files.com's call has none; preview (alias
// dry_run) is Gatehouse's addition.
type syncParams struct {
	Preview *flexBool `json:"preview"`
	DryRun  *flexBool `json:"dry_run"`
}

func (p syncParams) preview(r *http.Request) (bool, error) {
	for _, name := range []string{"preview", "dry_run"} {
		if q := r.URL.Query().Get(name); q != "" {
			v, ok := parseBool(q)
			if !ok {
				return false, errInvalidQuery.With("%s must be true or false", name)
			}
			return v, nil
		}
	}
	return (p.Preview != nil && bool(*p.Preview)) || (p.DryRun != nil && bool(*p.DryRun)), nil
}

// syncSSOStrategy is Files.com's "sync now": it reads the provider's
// directory and reconciles, and answers the run's result (status, counts,
// errors, the external event that records it). With preview it answers
// what a sync would change and writes nothing. A run that failed is still
// a 200 answer whose status says failure: the request did what it asked.
func (s *server) syncSSOStrategy(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	var params syncParams
	if err := readJSONBody(r, &params); err != nil {
		return err
	}
	preview, err := params.preview(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.GetSSOStrategy(r.Context(), c.site.ID, id); err != nil {
		return err
	}
	if s.ldapSync == nil {
		return errSyncUnavailable.With("LDAP sync is not configured on this server")
	}
	ctx := r.Context()
	if !preview {
		// A client that hangs up does not stop a sync half-way; the run's
		// external event has its result.
		ctx = context.WithoutCancel(ctx)
	}
	res, err := s.ldapSync.Sync(ctx, ldapsync.Request{SiteID: c.site.ID, ProviderID: id, Preview: preview})
	if errors.Is(err, provision.ErrRules) {
		return errRulesInvalid.With("%v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// testParams are the optional parameters of POST /sso_strategies/{id}/test.
type testParams struct {
	Username string `json:"username"`
}

// maxTestUsername bounds the sample login name of a connection test.
const maxTestUsername = 256

// testSSOStrategy tries the provider's directory step by step (each host,
// TLS, the service bind, a base search, one user lookup) and answers each
// step's result in plain words.
func (s *server) testSSOStrategy(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	id, err := pathID(r, identity.ErrSSOStrategyNotFound)
	if err != nil {
		return err
	}
	var params testParams
	if err := readJSONBody(r, &params); err != nil {
		return err
	}
	if q := r.URL.Query().Get("username"); q != "" {
		params.Username = q
	}
	params.Username = strings.TrimSpace(params.Username)
	if len(params.Username) > maxTestUsername || !utf8.ValidString(params.Username) ||
		strings.ContainsFunc(params.Username, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return identity.ErrInvalidParams.With("username must be a login name of at most %d characters", maxTestUsername)
	}
	if _, err := s.svc.GetSSOStrategy(r.Context(), c.site.ID, id); err != nil {
		return err
	}
	if s.ldapSync == nil {
		return errSyncUnavailable.With("LDAP is not configured on this server")
	}
	rep, err := s.ldapSync.Test(r.Context(), c.site.ID, id, params.Username)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
