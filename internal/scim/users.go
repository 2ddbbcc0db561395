package scim

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/provision"
	"github.com/gatehouse/gatehouse/internal/store"
)

// fail answers with the SCIM error for err, logging server faults.
func (h *Handler) fail(w http.ResponseWriter, r *request, err error) {
	e := engineError(err)
	if e.Status >= 500 {
		h.log.Error("SCIM request failed", "err", err, "method", r.Method, "path", r.URL.Path,
			"site_id", r.p.SiteID, "sso_strategy_id", r.p.ID)
	}
	writeError(w, e)
}

// parseID reads a resource id: Gatehouse's record id in decimal.
func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

// loadUser returns the provider's user with the SCIM id; another
// provider's user, or another site's, does not exist here.
func (h *Handler) loadUser(ctx context.Context, r *request, id string) (store.User, error) {
	n, ok := parseID(id)
	if !ok {
		return store.User{}, errNotFound("User " + clip(id, 100) + " not found")
	}
	u, err := h.id.GetUser(ctx, r.p.SiteID, n)
	if notFound(err) || err == nil && (u.SSOStrategyID != r.p.ID || u.SCIM.Deleted) {
		return store.User{}, errNotFound("User " + clip(id, 100) + " not found")
	}
	return u, err
}

// checkIfMatch honours If-Match (RFC 7644 §3.14): a change to a resource
// whose version moved on is refused with 412.
func checkIfMatch(r *request, current string) *Error {
	want := strings.TrimSpace(r.Header.Get("If-Match"))
	if want == "" || want == "*" {
		return nil
	}
	for _, tag := range strings.Split(want, ",") {
		tag = strings.TrimSpace(tag)
		if strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(current, "W/") {
			return nil
		}
	}
	return &Error{Status: http.StatusPreconditionFailed,
		Detail: "the resource changed since the version in If-Match (now " + current + "); read it again and retry"}
}

// writeResource answers with one resource and its ETag.
func writeResource(w http.ResponseWriter, r *request, status int, doc map[string]any) {
	meta, _ := doc["meta"].(map[string]any)
	if v, ok := meta["version"].(string); ok {
		w.Header().Set("ETag", v)
	}
	if loc, ok := meta["location"].(string); ok && status == http.StatusCreated {
		w.Header().Set("Location", loc)
	}
	writeJSON(w, status, readProjection(r.URL.Query()).apply(doc))
}

func (h *Handler) getUser(w http.ResponseWriter, r *request, id string) {
	u, err := h.loadUser(r.Context(), r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeResource(w, r, http.StatusOK, h.renderUser(r, u))
}

func (h *Handler) listUsers(w http.ResponseWriter, r *request) {
	answerList(h, w, r, userFilterFields, listSource[store.User]{
		list: func(ctx context.Context, f *store.Filter, page store.ListOptions) ([]store.User, error) {
			return h.id.ListUsers(ctx, r.p.SiteID, store.UserQuery{SSOStrategyID: r.p.ID, Filter: f, ListOptions: page, SCIMVisible: true})
		},
		count: func(ctx context.Context, f *store.Filter, page store.ListOptions) (int, error) {
			return h.id.CountUsersMatching(ctx, r.p.SiteID, store.UserQuery{SSOStrategyID: r.p.ID, Filter: f, ListOptions: page, SCIMVisible: true})
		},
		render: func(_ context.Context, u store.User, _ projection) (map[string]any, error) {
			return h.renderUser(r, u), nil
		},
	})
}

func (h *Handler) createUser(w http.ResponseWriter, r *request) {
	raw, e := decodeObject(r.body)
	if e == nil {
		e = checkSchemas(raw, URNUser)
	}
	var doc map[string]any
	if e == nil {
		doc, e = normalizeUser(raw)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	u, err := h.saveUser(r.Context(), r, nil, doc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeResource(w, r, http.StatusCreated, h.renderUser(r, u))
}

func (h *Handler) replaceUser(w http.ResponseWriter, r *request, id string) {
	u, err := h.loadUser(r.Context(), r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	raw, e := decodeObject(r.body)
	if e == nil {
		e = checkSchemas(raw, URNUser)
	}
	if e == nil {
		e = checkIfMatch(r, version(u.UpdatedAt))
	}
	var doc map[string]any
	if e == nil {
		doc, e = normalizeUser(raw)
	}
	h.answerUserChange(w, r, u, doc, e)
}

func (h *Handler) patchUser(w http.ResponseWriter, r *request, id string) {
	u, err := h.loadUser(r.Context(), r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ops, e := parsePatch(r.body)
	if e == nil {
		e = checkIfMatch(r, version(u.UpdatedAt))
	}
	doc := userDoc(u)
	if e == nil {
		e = applyUserPatch(doc, ops)
	}
	if e == nil {
		doc, e = normalizeUser(doc)
	}
	h.answerUserChange(w, r, u, doc, e)
}

// answerUserChange ends a PUT or PATCH of user u: the first problem with
// the request (e) as a SCIM error, else doc saved through the engine and
// the user as it now is.
func (h *Handler) answerUserChange(w http.ResponseWriter, r *request, u store.User, doc map[string]any, e *Error) {
	if e != nil {
		writeError(w, e)
		return
	}
	u, err := h.saveUser(r.Context(), r, &u, doc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeResource(w, r, http.StatusOK, h.renderUser(r, u))
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *request, id string) {
	u, err := h.loadUser(r.Context(), r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if e := checkIfMatch(r, version(u.UpdatedAt)); e != nil {
		writeError(w, e)
		return
	}
	if _, err := h.engine.Delete(r.Context(), r.p.SiteID, r.p.ID, u.ExternalID); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// saveUser hands a user doc to the provisioning engine: a new account
// when existing is nil, else an update of it. active=false deactivates
// through the engine, so the provider's deprovision_behavior decides
// between disabling and deleting; an absent active keeps the state.
func (h *Handler) saveUser(ctx context.Context, r *request, existing *store.User, doc map[string]any) (store.User, error) {
	x, e := identityOf(doc)
	if e != nil {
		return store.User{}, e
	}
	active, given := doc["active"].(bool)
	if existing == nil {
		twin, e := h.checkNewUser(ctx, r, &x)
		if e != nil {
			return store.User{}, e
		}
		existing = twin
	}
	switch {
	case existing == nil:
		if !given {
			active = true
		}
		x.Active = active
	default:
		x.ExternalID = existing.ExternalID
		if x.ExternalID == "" { // an account of the provider not yet linked to an identity
			x.ExternalID = newKey()
		}
		if !given {
			active = !existing.Disabled || existing.SCIM.Deleted
		}
		x.Active = active || !existing.Disabled
	}
	res, err := h.engine.Upsert(ctx, r.p.SiteID, r.p.ID, x)
	if err != nil {
		return store.User{}, err
	}
	u := res.User
	if existing == nil || active || existing.Disabled {
		return u, nil
	}
	dr, err := h.engine.Deactivate(ctx, r.p.SiteID, r.p.ID, x.ExternalID)
	var refused *provision.RefusedError
	switch {
	case errors.As(err, &refused):
		// deprovision_users is off: the engine recorded why; the account
		// stays active and the answer shows it.
		return u, nil
	case err != nil:
		return store.User{}, err
	case dr.Action == provision.ActionDelete:
		u.Disabled = true // deleted: answer with its last state
		return u, nil
	}
	return dr.User, nil
}

// checkNewUser refuses a create whose userName or externalId is taken,
// and sets x's immutable id. One exception: the account of this provider
// that was deleted over SCIM and that the doc names again (by userName or
// externalId) is returned as the twin to restore. The person was assigned
// again, so the same account is linked and made active (unless the doc
// says otherwise), not refused as a conflict or made twice.
func (h *Handler) checkNewUser(ctx context.Context, r *request, x *provision.ExternalIdentity) (*store.User, *Error) {
	deleted := func(u store.User) bool { return u.SSOStrategyID == r.p.ID && u.SCIM.Deleted }
	if u, err := h.id.GetUserByUsername(ctx, r.p.SiteID, x.Username); err == nil {
		if deleted(u) {
			return &u, nil
		}
		return nil, &Error{Status: http.StatusConflict, ScimType: typeUniqueness,
			Detail: "userName " + strconvQuote(x.Username) + " is taken; find the existing user with filter=userName eq \"…\""}
	} else if !notFound(err) {
		return nil, errInternal()
	}
	x.ExternalID = x.SCIM.ExternalID
	if x.ExternalID == "" {
		x.ExternalID = newKey()
		return nil, nil
	}
	if strings.HasPrefix(x.ExternalID, generatedKeyPrefix) {
		return nil, badRequest(typeInvalidValue, "externalId may not start with %q", generatedKeyPrefix)
	}
	taken, err := h.id.ListUsers(ctx, r.p.SiteID, store.UserQuery{SSOStrategyID: r.p.ID, ExternalID: x.ExternalID,
		ListOptions: store.ListOptions{Limit: 1}})
	if err != nil {
		return nil, errInternal()
	}
	if len(taken) > 0 {
		if deleted(taken[0]) {
			return &taken[0], nil
		}
		return nil, &Error{Status: http.StatusConflict, ScimType: typeUniqueness,
			Detail: "externalId " + strconvQuote(x.ExternalID) + " belongs to user " + strconv.FormatInt(taken[0].ID, 10)}
	}
	return nil, nil
}

func strconvQuote(s string) string { return strconv.Quote(clip(s, 200)) }
