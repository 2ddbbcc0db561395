package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// A membership is addressed the way Files.com's SDK does: the membership
// id in the path and, required alongside it, group_id and user_id (in the
// body for PATCH, in the query for DELETE). The path id must name that
// same membership, so a confused request cannot touch another one.

type groupUserJSON struct {
	ID        int64  `json:"id"`
	GroupID   int64  `json:"group_id"`
	GroupName string `json:"group_name"`
	UserID    int64  `json:"user_id"`
	Username  string `json:"username"`
	Admin     bool   `json:"admin"`
}

func renderGroupUser(gu store.GroupUser) groupUserJSON {
	return groupUserJSON{ID: gu.ID, GroupID: gu.GroupID, GroupName: gu.GroupName, UserID: gu.UserID,
		Username: gu.Username, Admin: gu.Admin}
}

// groupUserParams are the membership fields of a request body.
type groupUserParams struct {
	GroupID *int64    `json:"group_id"`
	UserID  *int64    `json:"user_id"`
	Admin   *flexBool `json:"admin"`
}

func (p groupUserParams) ids() (groupID, userID int64, err error) {
	if p.GroupID == nil || p.UserID == nil || *p.GroupID <= 0 || *p.UserID <= 0 {
		return 0, 0, identity.ErrParamsRequired.With("group_id and user_id are required")
	}
	return *p.GroupID, *p.UserID, nil
}

func (s *server) listGroupUsers(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	p, _, err := parseList(r, groupUserList)
	if err != nil {
		return err
	}
	q := store.GroupUserQuery{ListOptions: p.options()}
	if q.GroupID, err = queryID(r, "group_id"); err != nil {
		return err
	}
	if q.UserID, err = queryID(r, "user_id"); err != nil {
		return err
	}
	if q.GroupID == 0 && q.UserID == 0 {
		return identity.ErrParamsRequired.With("group_id or user_id is required")
	}
	list, err := s.svc.ListGroupUsers(r.Context(), c.site.ID, q)
	if err != nil {
		return err
	}
	return writePage(w, p, list, func(gu store.GroupUser) int64 { return gu.ID },
		func(gu store.GroupUser) (any, error) { return renderGroupUser(gu), nil })
}

func (s *server) createGroupUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var in groupUserParams
	if err := readJSONBody(r, &in); err != nil {
		return err
	}
	groupID, userID, err := in.ids()
	if err != nil {
		return err
	}
	gu, err := s.svc.AddGroupUser(r.Context(), c.actor(), c.site.ID, groupID, userID, in.Admin != nil && bool(*in.Admin))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, renderGroupUser(gu))
	return nil
}

func (s *server) updateGroupUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var in groupUserParams
	if err := readJSONBody(r, &in); err != nil {
		return err
	}
	groupID, userID, err := in.ids()
	if err != nil {
		return err
	}
	if err := s.checkMembershipID(r.Context(), r, c, groupID, userID); err != nil {
		return err
	}
	if in.Admin == nil {
		return identity.ErrParamsRequired.With("admin is required")
	}
	gu, err := s.svc.UpdateGroupUser(r.Context(), c.actor(), c.site.ID, groupID, userID, bool(*in.Admin))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderGroupUser(gu))
	return nil
}

func (s *server) deleteGroupUser(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var in groupUserParams
	if err := readJSONBody(r, &in); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  **int64
	}{{"group_id", &in.GroupID}, {"user_id", &in.UserID}} {
		if *f.dst != nil {
			continue
		}
		v, err := queryID(r, f.name)
		if err != nil {
			return err
		}
		*f.dst = &v
	}
	groupID, userID, err := in.ids()
	if err != nil {
		return err
	}
	if err := s.checkMembershipID(r.Context(), r, c, groupID, userID); err != nil {
		return err
	}
	if err := s.svc.RemoveGroupUser(r.Context(), c.actor(), c.site.ID, groupID, userID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkMembershipID confirms the path id is the membership of groupID and userID.
func (s *server) checkMembershipID(ctx context.Context, r *http.Request, c *apiCall, groupID, userID int64) error {
	notFound := identity.ErrNotFound.With("no group membership has that id, group_id and user_id")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return notFound
	}
	list, err := s.svc.ListGroupUsers(ctx, c.site.ID, store.GroupUserQuery{
		ListOptions: store.ListOptions{Limit: 1}, GroupID: groupID, UserID: userID})
	if err != nil {
		return err
	}
	if len(list) == 0 || list[0].ID != id {
		return notFound
	}
	return nil
}
